"""Mount the submission routers (called by ``create_app``)."""

from __future__ import annotations

from fastapi import FastAPI


def register_routers(app: FastAPI) -> None:
    """Submissions, review, windows, completeness and applicability under ``/api/v1``."""
    from platform_api.routers import submission_admin, submission_review, submissions

    app.include_router(submissions.router)
    app.include_router(submission_review.router)
    app.include_router(submission_admin.router)

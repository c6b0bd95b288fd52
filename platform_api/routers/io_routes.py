"""Mount the file upload and FHIR routers (called by ``create_app``)."""

from __future__ import annotations

from fastapi import FastAPI


def register_routers(app: FastAPI) -> None:
    """``/api/v1/hospitals/{id}/submissions/{quarter}/template.{xlsx,csv}|upload`` and ``/fhir`` (with ``/fhir/metadata``)."""
    from platform_api.routers import fhir, fhir_metadata, uploads

    app.include_router(uploads.router)
    app.include_router(fhir.router)
    app.include_router(fhir_metadata.router)
    fhir.install_fhir_errors(app)

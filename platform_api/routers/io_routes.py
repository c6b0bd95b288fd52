"""Mount the file upload and FHIR routers (called by ``create_app``)."""

from __future__ import annotations

from fastapi import FastAPI


def register_routers(app: FastAPI) -> None:
    """``/api/v1/hospitals/{id}/submissions/{quarter}/template.{xlsx,csv}|upload``, ``/api/v1/bulk-uploads``
    and ``/fhir`` (with ``/fhir/metadata``)."""
    from platform_api.routers import bulk_uploads, fhir, fhir_metadata, uploads

    app.include_router(uploads.router)
    app.include_router(fhir.router)
    app.include_router(fhir_metadata.router)
    app.include_router(bulk_uploads.router)
    fhir.install_fhir_errors(app)

"""``GET /fhir/metadata``: the server's CapabilityStatement (public, like the Measures)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from platform_api.openapi_examples import CAPABILITY_STATEMENT, FHIR_JSON, fhir_resource
from platform_api.routers.fhir import FhirJSONResponse
from services.submission.fhir_capability import capability_statement

router = APIRouter(prefix="/fhir", tags=["fhir"])


@router.get(
    "/metadata",
    response_class=FhirJSONResponse,
    responses={
        200: {
            "description": "CapabilityStatement",
            "content": {
                FHIR_JSON: {"schema": fhir_resource("CapabilityStatement"), "example": CAPABILITY_STATEMENT}
            },
        }
    },
    summary="服务器能力声明 / the server's CapabilityStatement (public)",
    description="FHIR 客户端首先读取它：支持的资源、交互与格式 / FHIR clients read it first: the resources, "
    "interactions and formats this server supports.",
)
def get_metadata(request: Request) -> JSONResponse:
    base = str(request.base_url).rstrip("/") + "/fhir"
    body = capability_statement(base=base, software_version=request.app.version)
    return JSONResponse(body, media_type=FHIR_JSON)

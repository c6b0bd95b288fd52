"""The OpenAPI document says what the middleware guards and the error renderer really answer:
every operation may get 400 / 413 / 429 from ``platform_api.middleware`` (and one that takes JSON 415
from ``platform_api.content_type``), and error bodies are the
house ``{"error", "detail", "problems"}`` shape (``platform_api/errors.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from platform_api.openapi_examples import FHIR_SCHEMAS

ERROR_SCHEMA = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "稳定的错误代码 / stable error code"},
        "detail": {"type": "string", "description": "中文 / English message"},
        "problems": {"type": "array", "items": {"type": "object"}},
    },
}
GUARD_RESPONSES = {
    "400": "请求体无法解析（非 UTF-8、嵌套过深）/ unreadable body (not UTF-8, nested too deep)",
    "413": "请求体过大 / the request body is too large",
    "429": "请求过于频繁，见 Retry-After / too many requests: see Retry-After",
}
UNAUTHENTICATED = "缺少或无效的令牌 / missing or invalid bearer token"
# Under /fhir the same answers are OperationOutcomes (platform_api/fhir_errors.py).
FHIR_GUARD_EXAMPLES = {
    "400": ("structure", "json_too_deep", "JSON 嵌套超过 32 层 / JSON nested deeper than 32 levels"),
    "413": ("too-costly", "request_too_large", "请求体过大 / the request body is too large"),
    "429": (
        "throttled",
        "rate_limited",
        "请求过于频繁，请在 30 秒后重试 / too many requests: retry after 30 s",
    ),
}


def _fhir_guard_content(code: str) -> dict:
    issue_code, error, detail = FHIR_GUARD_EXAMPLES[code]
    example = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": issue_code, "diagnostics": detail, "details": {"text": error}}
        ],
    }
    return {"application/fhir+json": {"schema": {"type": "object"}, "example": example}}


UNSUPPORTED_MEDIA_TYPE = (
    "请求体不是 JSON（Content-Type 须为 application/json）/ the body is not sent as application/json"
)


BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "Keycloak（OIDC）签发的访问令牌 / an access token issued by Keycloak (OIDC)",
}


def _uses(dependant: Dependant, call: object) -> bool:
    return dependant.call is call or any(_uses(d, call) for d in dependant.dependencies)


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (FastAPI keeps them as the router that was
    included; the routers here carry their full prefix themselves)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)


def _needs_token(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every operation whose handler depends on the authenticated actor."""
    from platform_api.auth.deps import current_actor

    return {
        (route.path, method.lower())
        for route in _api_routes(app.routes)
        if _uses(route.dependant, current_actor)
        for method in route.methods or ()
    }


def _drop_json_placeholders(responses: dict) -> None:
    """FastAPI files a route's default JSON under 200 even when the route answers only files (HTML, PDF):
    an empty application/json entry beside the real media types is not an answer the route gives."""
    for status, response in responses.items():
        content = response.get("content") or {}
        if status.startswith("2") and content.get("application/json") == {"schema": {}} and len(content) > 1:
            del content["application/json"]


def document_guard_responses(app: FastAPI) -> None:
    """Make the OpenAPI document say what the guards and the error renderer really answer.

    Every operation can get 400 / 413 / 429 from the middleware, and 422 bodies are the house
    ``{"error", "detail", "problems"}`` shape (platform_api/errors.py), not FastAPI's default.
    """
    generate = app.openapi

    def openapi() -> dict:
        schema = generate()
        if schema.get("x-qcp-guards"):
            return schema
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorBody"] = ERROR_SCHEMA
        schemas.update(FHIR_SCHEMAS)
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = {**ERROR_SCHEMA, "title": "HTTPValidationError"}
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        schema["components"].setdefault("securitySchemes", {})["bearer"] = BEARER
        needs_token = _needs_token(app)
        for path, path_item in schema.get("paths", {}).items():
            fhir = path == "/fhir" or path.startswith("/fhir/")
            for method, operation in path_item.items():
                if (path, method) in needs_token:
                    operation["security"] = [{"bearer": []}]
                    operation.setdefault("responses", {}).setdefault(
                        "401", {"description": UNAUTHENTICATED, "content": ref}
                    )
                responses = operation.setdefault("responses", {})
                _drop_json_placeholders(responses)
                for code, description in GUARD_RESPONSES.items():
                    content = _fhir_guard_content(code) if fhir else ref
                    responses.setdefault(code, {"description": description, "content": content})
                if "application/json" in operation.get("requestBody", {}).get("content", {}):
                    responses.setdefault("415", {"description": UNSUPPORTED_MEDIA_TYPE, "content": ref})
        schema["x-qcp-guards"] = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema

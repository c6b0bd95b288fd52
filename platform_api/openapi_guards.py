"""The OpenAPI document says what the middleware guards and the error renderer really answer:
every operation may get 400 / 413 / 429 from ``platform_api.middleware`` (and one that takes JSON 415
from ``platform_api.content_type``), and error bodies are the
house ``{"error", "detail", "problems"}`` shape (``platform_api/errors.py``)."""

from __future__ import annotations

from fastapi import FastAPI

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
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = {**ERROR_SCHEMA, "title": "HTTPValidationError"}
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for path, path_item in schema.get("paths", {}).items():
            fhir = path == "/fhir" or path.startswith("/fhir/")
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for code, description in GUARD_RESPONSES.items():
                    content = _fhir_guard_content(code) if fhir else ref
                    responses.setdefault(code, {"description": description, "content": content})
                if "application/json" in operation.get("requestBody", {}).get("content", {}):
                    responses.setdefault("415", {"description": UNSUPPORTED_MEDIA_TYPE, "content": ref})
        schema["x-qcp-guards"] = True
        return schema

    app.openapi = openapi

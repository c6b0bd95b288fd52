"""415 for a body that is not JSON on an operation that takes JSON.

FastAPI hands a body with another Content-Type (``text/plain``, a form, none at all) to the
validator as raw bytes, which answers a misleading 422 about the payload's shape. Every route whose
body is a JSON model is checked here instead (an app-wide dependency, so it sees the matched
route): a request carrying a body must declare
``application/json`` (or ``application/<x>+json``), else it is refused with 415 in the house error
body before the body is parsed or anything is written. Routes that read their own body (file uploads,
FHIR) check their content types themselves and are left alone.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.params import Form

from services.core.errors import DomainError


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def refused(content_type: str | None) -> UnsupportedMediaType:
    shown = (content_type or "").split(";", 1)[0].strip()[:80] or "(未声明 / none)"
    return UnsupportedMediaType(
        f"请求体须为 JSON，Content-Type 应为 application/json，收到 {shown} / the body must be JSON "
        f"sent with Content-Type: application/json, got {shown}",
        content_type=shown,
    )


def takes_json(route: object) -> bool:
    body = getattr(route, "body_field", None)
    return body is not None and not isinstance(body.field_info, Form)


def require_json_body(request: Request) -> None:
    """App-wide dependency: runs once the route is known, before the endpoint and any write."""
    if not takes_json(request.scope.get("route")):
        return
    headers = request.headers
    has_body = "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("", "0")
    if has_body and not is_json(headers.get("content-type")):
        raise refused(headers.get("content-type"))

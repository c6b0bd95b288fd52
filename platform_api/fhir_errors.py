"""Every error answered under ``/fhir`` is an OperationOutcome (``application/fhir+json``).

The FHIR router renders its own refusals; the guards in front of it (413 body size, 400 JSON depth
and number checks, 429 rate limit), authentication (401) and the platform's parameter and
content-type checks answer the house JSON error. :class:`FhirErrors` wraps the application and
rewrites those answers on ``/fhir`` paths: same status and headers, the house ``error`` code kept
in ``issue.details.text``, the bilingual ``detail`` as ``issue.diagnostics``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FHIR_JSON = "application/fhir+json"
ISSUE_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    500: "exception",
    503: "transient",
}


def outcome_from_house_error(status: int, body: dict[str, Any]) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": "fatal" if status >= 500 else "error",
        "code": ISSUE_CODES.get(status, "processing"),
        "diagnostics": str(body.get("detail") or body.get("error") or status),
    }
    if body.get("error"):
        issue["details"] = {"text": str(body["error"])}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def _content_type(headers: list[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key.lower() == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


class FhirErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/fhir" or path.startswith("/fhir/")):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if (
                    message["status"] >= 400
                    and _content_type(message.get("headers", [])) == "application/json"
                ):
                    start = message  # hold it: the body is rewritten once complete
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_outcome(send, start, b"".join(chunks))

        await self.app(scope, receive, rewrite)


async def _send_outcome(send: Send, start: Message, raw: bytes) -> None:
    try:
        body = json.loads(raw)
    except ValueError:
        body = {"detail": raw.decode("utf-8", "replace")}
    data = json.dumps(outcome_from_house_error(start["status"], body), ensure_ascii=False).encode()
    headers = [
        (k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")
    ]
    headers += [(b"content-type", FHIR_JSON.encode()), (b"content-length", str(len(data)).encode())]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": data})

"""Request guards and response headers of the API: ``install_middleware(app, settings)``.

Pure ASGI middleware (no ``BaseHTTPMiddleware``: it buffers streamed responses and breaks
cancellation). From the outside in:

1. :class:`SecurityHeaders` — every response: CSP, ``nosniff``, ``X-Frame-Options: DENY``,
   Referrer-Policy, Permissions-Policy, HSTS when behind TLS, ``Cache-Control: no-store`` on
   responses to a request carrying a token. The CSP is strict (``default-src 'none'``) for the API,
   allows the CDN that serves Swagger UI / ReDoc on the docs pages (with hashes of their inline
   scripts), and leaves ``/dash`` the CSP the Dash server sets itself (hashes of Dash's inline
   scripts); a documented relaxed CSP is the fallback there.
2. :class:`RateLimit` — a burst and a per-minute limit per client (``platform_api/rate_limit.py``,
   the ``limits`` library; counters in Redis in production, shared by every worker and container):
   the verified token subject (or client id of a client-credentials token), else the client IP.
   Applies to requests carrying a token and to everything under ``/api/``; 429 with ``Retry-After``.
3. :class:`BodyGuard` — the body is read through a cap before the application sees it: 413 as soon
   as ``Content-Length`` or the bytes received pass ``max_request_bytes``. JSON bodies must be UTF-8,
   nested at most ``max_json_depth`` deep, and hold only finite numbers and integers that fit in
   64 bits (Python's parser accepts ``NaN``, ``Infinity`` and turns ``1e309`` into infinity).
   Routes in ``STREAMED`` (the bulk upload) read their multipart body themselves, capped by their
   own setting.

**Several workers**: with ``QCP_RATE_LIMIT_STORAGE_URL=redis://…`` (required in production) every
worker and container counts in the same Redis, so a client gets one limit however many workers
serve it; with ``memory://`` (the demo, tests) each process counts alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
from collections import OrderedDict

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from platform_api.auth.deps import VERIFIED
from platform_api.auth.verify import InvalidToken
from platform_api.fhir_errors import FhirErrors
from platform_api.openapi_guards import document_guard_responses
from platform_api.rate_limit import SharedRateLimiter
from platform_api.settings import ApiSettings

INT64 = 2**63


async def send_json(send: Send, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class _ClientKeys:
    """Bearer token → ``sub:<subject>`` (or ``client:<id>``), verified once and cached until expiry."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._cache: OrderedDict[str, tuple[str, dict]] = OrderedDict()

    async def key_for(self, scope: Scope) -> str:
        ip = f"ip:{scope['client'][0]}" if scope.get("client") else "ip:unknown"
        header = _header(scope, b"authorization") or ""
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return ip
        state = scope.setdefault("state", {})
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(digest)
        if cached and float(cached[1].get("exp", 0)) > time.time():
            state[VERIFIED] = (token, cached[1])  # the auth dependency reuses it: one verification per token
            return cached[0]
        verifier = getattr(scope["app"].state, "verifier", None)
        if verifier is None:  # an app without authentication: nothing to verify the token with
            return ip
        try:
            claims = await run_in_threadpool(verifier.verify, token)
        except InvalidToken as exc:  # counts against the IP; the auth dependency answers 401 with it
            state[VERIFIED] = (token, exc)
            return ip
        except Exception:  # noqa: BLE001 - anything else: let the auth dependency decide
            return ip
        state[VERIFIED] = (token, claims)
        key = self._claims_key(claims) or ip
        self._cache[digest] = (key, claims)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return key

    @staticmethod
    def _claims_key(claims: dict) -> str | None:
        roles = (claims.get("realm_access") or {}).get("roles") or []
        client = claims.get("azp") or claims.get("client_id")
        if "hospital_system" in roles and isinstance(client, str):
            return f"client:{client}"
        subject = claims.get("sub")
        return f"sub:{subject}" if isinstance(subject, str) and subject else None


UNLIMITED_PREFIXES = ("/health", "/docs", "/redoc", "/openapi.json", "/dash")


class RateLimit:
    def __init__(self, app: ASGIApp, *, limiter: SharedRateLimiter) -> None:
        self.app = app
        self.limiter = limiter
        self.keys = _ClientKeys()

    def _applies(self, scope: Scope) -> bool:
        if _header(scope, b"authorization"):
            return True
        path = scope.get("path", "")
        return path.startswith("/api/") and not path.startswith(UNLIMITED_PREFIXES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._applies(scope):
            await self.app(scope, receive, send)
            return
        wait = await self.limiter.take(await self.keys.key_for(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        await send_json(
            send,
            429,
            {
                "error": "rate_limited",
                "retry_after": seconds,
                "detail": f"请求过于频繁，请在 "
                f"{seconds} 秒后重试 / too many requests: retry after {seconds} s",
            },
            {"Retry-After": str(seconds)},
        )


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(body: bytes, limit: int) -> bool:
    """True when arrays/objects nest deeper than ``limit`` (strings are skipped; never recurses)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    skeleton = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in skeleton:
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class _Refused(ValueError):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(
            422, "invalid_payload", f"数字超出范围：{text[:40]} / number out of range: {text[:40]}"
        )
    return value


def _int64(text: str) -> int:
    # the length check first: int() of a 5000-digit string is refused by Python itself
    if len(text.lstrip("-")) > 19 or not -INT64 <= int(text) < INT64:
        raise _Refused(
            422,
            "invalid_payload",
            f"整数超出 64 位范围：{text[:40]}… / integer does not fit in 64 bits: {text[:40]}…",
        )
    return int(text)


def _constant(name: str) -> None:
    raise _Refused(
        422,
        "invalid_payload",
        f"JSON 数字必须是有限值，不接受 {name} / JSON numbers must be finite: {name} is not JSON",
    )


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(
                422,
                "duplicate_key",
                f"JSON 对象中键 {key[:40]!r} 出现了两次，请只保留一个 / the key {key[:40]!r} appears twice in "
                "one JSON object: send it once (a second value is never silently preferred)",
            )
        seen.add(key)
    return dict(pairs)


def check_json(body: bytes, max_depth: int) -> None:
    """Raise :class:`_Refused` for a JSON body we will not hand to the application."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(
            400,
            "invalid_encoding",
            f"请求体不是有效的 UTF-8（第 {exc.start} 字节） / the JSON "
            f"body is not valid UTF-8 (byte {exc.start}): send UTF-8",
        ) from None
    if json_too_deep(body, max_depth):
        raise _Refused(
            400,
            "json_too_deep",
            f"JSON 嵌套超过 {max_depth} 层 / the JSON body nests deeper than {max_depth} levels",
        )
    try:
        json.loads(
            text,
            parse_constant=_constant,
            parse_float=_finite,
            parse_int=_int64,
            object_pairs_hook=_unique_keys,
        )
    except _Refused:
        raise
    except json.JSONDecodeError:
        return  # malformed JSON: the application's parser names the position (422)
    except (ValueError, RecursionError) as exc:
        raise _Refused(
            400, "invalid_json", f"无法解析 JSON 请求体 / the JSON body cannot be parsed: {exc}"
        ) from None


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _too_large(limit: int) -> _Refused:
    return _Refused(
        413,
        "request_too_large",
        f"请求体过大，上限 {limit} 字节 / the request body exceeds the limit of {limit} bytes",
    )


# Bodies the route streams itself, under a cap of its own: a provincial bulk upload (QCP_BULK_MAX_BYTES,
# platform_api/routers/bulk_uploads.py) is spooled to disk as it arrives instead of held in memory here.
STREAMED = frozenset({("POST", "/api/v1/bulk-uploads")})


class BodyGuard:
    """Reads the body through a cap (413) and checks JSON before the application parses it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope.get("method"), scope.get("path")) in STREAMED:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
            if body and _is_json(_header(scope, b"content-type")):
                check_json(body, self.max_json_depth)
        except _Refused as exc:
            await send_json(
                send,
                exc.status,
                {"error": exc.code, "detail": exc.detail},
                {"Connection": "close"} if exc.status == 413 else None,
            )
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise _too_large(self.max_bytes)  # refused before a byte of the body is read
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _too_large(self.max_bytes)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect as usual

    return replay


API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CDN = "https://cdn.jsdelivr.net"
# Fallback for /dash when the Dash server sets no CSP itself: Dash renders with inline scripts.
DASH_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def docs_csp(html: bytes) -> str:
    """CSP for Swagger UI / ReDoc: their CDN, and the hashes of the page's own inline scripts."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'"
        for m in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {DOCS_CDN} {hashes}; style-src 'self' {DOCS_CDN} "
        "https://fonts.googleapis.com 'unsafe-inline'; font-src 'self' https://fonts.gstatic.com data:; "
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; connect-src 'self'; "
        "worker-src blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self.hsts = f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"

    def _common(self, scope: Scope) -> dict[str, str]:
        headers = {
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
            "cross-origin-opener-policy": "same-origin",
        }
        tls = self.settings.behind_tls or scope.get("scheme") == "https"
        if tls and self.settings.hsts_max_age_seconds > 0:
            headers["strict-transport-security"] = self.hsts
        if _header(scope, b"authorization") and not scope.get("path", "").startswith("/dash"):
            headers["cache-control"] = "no-store"  # nothing a token unlocked is kept by a cache
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = self._common(scope)
        if path.startswith(DOCS_PATHS):
            await self._docs(scope, receive, send, extra)
            return
        extra["content-security-policy"] = DASH_CSP if path.startswith("/dash") else API_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _merged(message.get("headers", []), extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send, extra: dict[str, str]) -> None:
        """Buffer the (small) docs page to hash its inline scripts into the CSP."""
        start: Message = {}
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = b"".join(chunks)
                headers = _merged(
                    start.get("headers", []), {**extra, "content-security-policy": docs_csp(body)}
                )
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


def _merged(raw: list[tuple[bytes, bytes]], extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """``raw`` plus ``extra``; a header the application set itself wins (e.g. the Dash server's CSP)."""
    present = {k.lower() for k, _ in raw}
    return list(raw) + [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]


def install_middleware(app: FastAPI, settings: ApiSettings) -> None:
    """Add the guards to ``app`` (called once by ``create_app``); idempotent."""
    if getattr(app.state, "middleware_installed", False):
        return
    per_minute, burst = settings.rate_limit
    app.add_middleware(
        BodyGuard, max_bytes=settings.max_request_bytes, max_json_depth=settings.max_json_depth
    )
    if settings.rate_limit_enabled:
        limiter = SharedRateLimiter(
            per_minute,
            burst,
            storage_url=settings.rate_limit_storage,
            key_prefix=settings.rate_limit_key_prefix,
        )
        app.state.rate_limiter = limiter
        app.add_middleware(RateLimit, limiter=limiter)
    app.add_middleware(FhirErrors)  # /fhir: the guards' and the platform's errors as OperationOutcome
    app.add_middleware(SecurityHeaders, settings=settings)  # outermost: 413 and 429 carry the headers too
    document_guard_responses(app)
    app.state.middleware_installed = True

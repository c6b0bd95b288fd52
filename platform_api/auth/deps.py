"""Authentication dependency: the bearer token → a verified :class:`Actor`.

The app factory stores a :class:`TokenVerifier` in ``app.state.verifier``; every failure becomes a
401 ``{"error": code, "detail": message}`` with an RFC 6750 ``WWW-Authenticate`` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from platform_api.auth.claims import actor_from_claims
from platform_api.auth.verify import InvalidToken, TokenVerifier
from services.core.actor import Actor

REALM_HINT = 'Bearer realm="qcp"'
VERIFIED = "qcp_verified_token"  # request.state key written by platform_api.middleware (rate limiter)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None when there is no header)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken(
            "malformed", "认证头格式应为 Bearer <令牌> / expected 'Authorization: Bearer <token>'"
        )
    return token


async def current_actor(request: Request) -> Actor:
    # async: the usual path is CPU-only and short, so it runs on the event loop instead of costing a
    # hop to the thread pool (bench/surge.py); a verification that may fetch the JWKS goes to the pool.
    token = bearer_token(request)
    # The rate limiter verified this request's token already (to tell clients apart): reuse its result
    # rather than verifying twice (a second unknown-kid lookup would refetch the JWKS again).
    earlier = getattr(request.state, VERIFIED, None)
    if earlier is not None and token is not None and earlier[0] == token:
        if isinstance(earlier[1], InvalidToken):
            raise earlier[1]
        return actor_from_claims(earlier[1])
    verifier: TokenVerifier = request.app.state.verifier
    return actor_from_claims(await run_in_threadpool(verifier.verify, token))


def _challenge(exc: InvalidToken) -> str:
    if exc.code == "missing":
        return REALM_HINT  # RFC 6750 §3.1: no error code when no credentials were sent
    english = exc.detail.split(" / ", 1)[-1]
    safe = "".join(ch for ch in english if 32 <= ord(ch) < 127 and ch not in '"\\')[:200]
    return f'{REALM_HINT}, error="invalid_token", error_description="{exc.code}: {safe}"'


async def _invalid_token(request: Request, exc: InvalidToken) -> JSONResponse:
    status = 503 if exc.code == "issuer_unavailable" else 401
    return JSONResponse(
        {"error": exc.code, "detail": exc.detail},
        status_code=status,
        headers={"WWW-Authenticate": _challenge(exc), "Cache-Control": "no-store"},
    )


def install_auth(app: FastAPI, verifier: TokenVerifier) -> None:
    """Store the verifier and render :class:`InvalidToken` (called by ``create_app``)."""
    app.state.verifier = verifier
    # Starlette types a handler as taking any Exception; this one is registered for InvalidToken only.
    app.add_exception_handler(InvalidToken, _invalid_token)  # type: ignore[arg-type]


CurrentActor = Annotated[Actor, Depends(current_actor)]

"""What a dashboard callback answers when it fails: a clear message, never a 500.

Callbacks receive ids and scopes from the browser, which can forge any of them. Services re-check
every scope against the session's actor and raise ``NotFound`` / ``PermissionDenied``; malformed
values raise ``ValueError`` and friends. Dash calls :func:`on_callback_error` (``Dash(on_error=…)``)
for any exception a callback lets through: the outputs stay as they were and the shell's notice
(``callback-notice``, an ARIA alert) says what happened. Out-of-scope and missing read the same,
so a forged id does not tell whether another tenant's row exists. Anything unexpected is logged
with an id that the notice shows.
"""

from __future__ import annotations

import logging
import uuid

from dash import set_props

from services.core.errors import DomainError

log = logging.getLogger("qcp.dash")

NOTICE_ID = "callback-notice"
REFUSED = "未找到或无权查看该范围 / not found, or not yours to see"
MALFORMED = "请求参数无效，请刷新页面后重试 / the request was malformed: reload the page and try again"


def message_for(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        if exc.status in (403, 404):
            return REFUSED
        return exc.detail
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError, IndexError)):
        return MALFORMED
    error_id = uuid.uuid4().hex[:16]
    log.error("dashboard callback failed error_id=%s", error_id, exc_info=exc)
    return f"内部错误，请联系管理员并提供编号 {error_id} / internal error: give the administrator the id {error_id}"


def on_callback_error(exc: Exception) -> None:
    """Dash's global callback error handler: show the notice, leave every output unchanged."""
    if not isinstance(exc, DomainError):
        log.info("dashboard callback refused %s: %s", type(exc).__name__, exc)
    set_props(NOTICE_ID, {"children": message_for(exc)})


def refuse(message: str = REFUSED) -> None:
    """Show the refusal from a callback that handled the error itself (and returns ``no_update``)."""
    set_props(NOTICE_ID, {"children": message})

"""One renderer for every error: ``{"error": code, "detail": message, ...}``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.core.errors import DomainError

log = logging.getLogger("qcp.api")


def _json(
    status: int, code: str, detail: str, /, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return _json(exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _shape(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                "problem": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        return _json(
            422,
            "invalid_payload",
            "请求格式错误 / the request payload has the wrong shape",
            problems=problems,
        )

    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schemas let through (e.g. a NUL byte in text, a number out of
        # range): the request was wrong, nothing was stored (the transaction rolled back).
        diag = getattr(exc.orig, "diag", None)
        reason = str(diag and diag.message_primary or exc.orig).split("\n")[0]
        return _json(
            422,
            "invalid_value",
            f"数据库拒绝了请求中的某个值 / a value in the request was refused: {reason}. "
            "请去掉 NUL 等控制字符并检查数值范围 / remove NUL and other control characters and check number ranges",
        )

    @app.exception_handler(PoolTimeout)
    async def _db_busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        return _json(
            503,
            "database_busy",
            "数据库连接全部繁忙，请稍后重试 / every database connection is busy, retry shortly "
            "(QCP_DB_POOL_SIZE sets how many each process keeps)",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        return _json(
            503,
            "database_unavailable",
            "数据库暂时不可用，请稍后重试 / the database is unavailable, retry shortly",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique or foreign-key check the services did not see coming: two requests raced for the
        # same key. Nothing was stored (the transaction rolled back); say which rule, not the SQL.
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "unknown"
        log.warning("integrity conflict on %s: %s %s", constraint, request.method, request.url.path)
        return _json(
            409,
            "conflict",
            f"与同时进行的另一请求冲突（{constraint}），未保存任何内容；请重新读取后重试 / the request "
            f"collided with another one made at the same time ({constraint}); nothing was stored: read "
            "again and retry",
            constraint=constraint,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a plain-text 500: the house error body, with an id that is also in the log line.
        request_id = uuid.uuid4().hex[:16]
        log.error(
            "unexpected error request_id=%s %s %s", request_id, request.method, request.url.path, exc_info=exc
        )
        return _json(
            500,
            "internal_error",
            f"服务器内部错误，请联系管理员并提供编号 {request_id} / internal error: give the administrator "
            f"the request id {request_id}",
            headers={"X-Request-ID": request_id},
            request_id=request_id,
        )

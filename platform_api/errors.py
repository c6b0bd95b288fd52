"""One renderer for every error: ``{"error": code, "detail": message, ...}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.core.errors import DomainError


def _json(status: int, code: str, detail: str, /, headers: dict | None = None, **extra) -> JSONResponse:
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
        reason = str(getattr(exc.orig, "diag", None) and exc.orig.diag.message_primary or exc.orig).split(
            "\n"
        )[0]
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

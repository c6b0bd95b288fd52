from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text

from platform_api.openapi_examples import E503_DB, HEALTH, error, ok

router = APIRouter(tags=["health"])


class HealthRead(BaseModel):
    status: str
    database: str


@router.get(
    "/health",
    response_model=HealthRead,
    summary="健康检查 / health check",
    description="无需登录；数据库不可用时回答 503 database_unavailable / no login; answers 503 "
    "database_unavailable when the database cannot be reached.",
    responses={
        200: ok(HEALTH),
        503: error("数据库不可用（带 Retry-After）/ database unavailable (with Retry-After)", E503_DB),
    },
)
def health(request: Request) -> dict:
    with request.app.state.database.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


FAVICON = Path(__file__).resolve().parents[2] / "dash_app" / "assets" / "favicon.ico"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask every origin for /favicon.ico (the sign-in pages have no icon link of their own)."""
    return Response(
        FAVICON.read_bytes(), media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )

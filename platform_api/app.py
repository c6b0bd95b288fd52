"""FastAPI application factory."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from platform_api.auth.deps import install_auth
from platform_api.auth.verify import TokenVerifier
from platform_api.content_type import require_json_body
from platform_api.errors import install_error_handlers
from platform_api.settings import ApiSettings, api_settings
from services.core.db import Database


def create_app(
    *, database: Database, settings: ApiSettings | None = None, verifier: TokenVerifier | None = None
) -> FastAPI:
    settings = settings or api_settings()
    app = FastAPI(
        title="QCP 医疗质量控制平台 / Quality Control Platform",
        version="0.1.0",
        description="国家医疗质量安全改进目标的上报、对标与追踪 / submission, benchmarking and tracking "
        "of the national healthcare quality and safety improvement goals.",
        dependencies=[Depends(require_json_body)],  # 415 for a non-JSON body on a JSON operation
    )
    app.state.database = database
    app.state.settings = settings
    install_error_handlers(app)
    verifier = verifier or TokenVerifier.from_settings(settings)
    install_auth(app, verifier)
    _include_routers(app)
    from dash_app.app import mount_dashboards

    mount_dashboards(app, database=database, settings=settings, verifier=verifier)
    from platform_api.middleware import install_middleware

    install_middleware(app, settings)
    return app


def _include_routers(app: FastAPI) -> None:
    from platform_api.routers import (
        benchmark_routes,
        catalog,
        health,
        io_routes,
        me,
        notifications,
        registry,
        submission_routes,
    )

    app.include_router(health.router)
    app.include_router(me.router)
    app.include_router(catalog.router)
    registry.register_routers(app)
    submission_routes.register_routers(app)
    io_routes.register_routers(app)
    benchmark_routes.register_routers(app)
    app.include_router(notifications.router)
    app.include_router(notifications.jobs_router)

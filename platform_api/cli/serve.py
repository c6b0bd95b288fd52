"""`qcp demo` and `qcp serve`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

import typer
import uvicorn

from services.core import runtime
from services.core.db import Database, assert_restricted_role
from services.demo.registry_data import DEMO_PROVINCES, demo_hospitals

if TYPE_CHECKING:  # imported where used: the CLI starts without loading the app
    from fastapi import FastAPI

    from platform_api.settings import ApiSettings

# uvloop's event loop and the httptools HTTP parser (uvicorn[standard], locked): named, not "auto",
# so a missing one fails at start instead of silently falling back to asyncio + h11 (slower per request).
LOOP: Final = "uvloop"
HTTP: Final = "httptools"


def preflight(settings: ApiSettings) -> None:
    """Refuse to serve with an unsafe database set-up (checked again by every worker in asgi.py)."""
    from platform_api.settings import UnsafeSettings
    from services.core.config import database_settings

    if settings.environment == "production" and not database_settings().database_url:
        raise UnsafeSettings(
            "生产环境必须配置数据库 / production requires QCP_DATABASE_URL (the restricted qcp_app role); "
            "the embedded PostgreSQL is for the demo and development only"
        )
    database = Database.from_url(runtime.app_url())
    try:
        assert_restricted_role(database.engine)
    finally:
        database.dispose()


def _build_app(settings: ApiSettings, database: Database) -> FastAPI:
    from platform_api.app import create_app
    from platform_api.auth.verify import TokenVerifier

    return create_app(database=database, settings=settings, verifier=TokenVerifier.from_settings(settings))


def _demo_database(scale: str, reset: bool) -> tuple[str, str]:
    if scale == "national":
        from services.demo.national import national_urls

        return national_urls(reset=reset)
    if reset:
        runtime.reset_embedded_database()
    return runtime.owner_url(), runtime.app_url()


def _load(scale: str, owner: str) -> tuple[dict[str, int], dict[str | None, int]]:
    if scale == "national":
        from services.demo.national import load_national

        result = load_national(owner, echo=typer.echo)
        if result.loaded:
            typer.echo(f"[demo] 全国规模数据 / national data set: {result.counts} in {result.seconds:.0f} s")
        return result.hospitals, result.centers
    from services.demo.load import load_demo

    return load_demo(owner, echo=typer.echo)


def demo(
    host: str = typer.Option("127.0.0.1", help="API address (loopback only in the demo)"),
    port: int = typer.Option(8000, help="API port"),
    issuer_port: int = typer.Option(8081, envvar="QCP_DEV_ISSUER_PORT", help="development issuer port"),
    reset: bool = typer.Option(False, help="drop the demo database and rebuild it from scratch"),
    no_serve: bool = typer.Option(
        False, "--no-serve", help="load the demo data, print the logins and exit (nothing is served)"
    ),
    scale: str = typer.Option(
        "demo",
        help=f"demo: {len(DEMO_PROVINCES)} provinces, {len(demo_hospitals())} hospitals (database qcp); national: 32 provinces, 13,000 hospitals, "
        "8 quarters (database qcp_national, built with COPY in a few minutes)",
    ),
) -> None:
    """演示：内嵌 PostgreSQL + 演示数据 + 开发签发者 / start the demo on the embedded PostgreSQL.

    Loads the demo data (once; --reset rebuilds it), starts the development issuer and serves the API and
    dashboards until Ctrl-C. Prints the addresses and every demo login with its role and scope.
    """
    from platform_api.auth.dev_issuer import start_dev_issuer
    from platform_api.cli.demo_users import DASHBOARD_SECRET, demo_directory, print_banner
    from platform_api.settings import ApiSettings

    os.environ.setdefault("QCP_ENVIRONMENT", "development")
    settings = ApiSettings(
        environment="development",
        dev_issuer=True,
        dev_issuer_host="127.0.0.1",
        dev_issuer_port=issuer_port,
        api_host=host,
        api_port=port,
        dashboard_client_secret=DASHBOARD_SECRET,
    )
    if scale not in ("demo", "national"):
        raise typer.BadParameter("--scale must be demo or national")
    runtime.stop_embedded_at_exit()  # Ctrl-C (or --no-serve finishing) stops the embedded PostgreSQL
    owner, app_url = _demo_database(scale, reset)
    typer.echo("[demo] 升级数据库结构 / migrating the schema …")
    runtime.upgrade(owner)
    hospitals, centers = _load(scale, owner)
    directory = demo_directory(hospitals, centers, api_base=f"http://{host}:{port}")
    if no_serve:
        print_banner(directory, settings, echo=typer.echo, running=False)
        return
    issuer = start_dev_issuer(directory, host="127.0.0.1", port=issuer_port, realm=settings.keycloak_realm)
    database = Database.from_url(app_url)
    assert_restricted_role(database.engine)
    app = _build_app(settings, database)
    from services.jobs.worker import BackgroundWorker

    worker = BackgroundWorker(app_url, database).start()  # notifications, reminders, freezing
    typer.echo("[demo] 任务进程已在后台运行 / the job worker runs in the background")
    print_banner(directory, settings, echo=typer.echo)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", loop=LOOP, http=HTTP)
    finally:
        worker.stop()
        issuer.stop()
        database.dispose()


def serve(
    host: str = typer.Option("127.0.0.1", envvar="QCP_API_HOST", help="listening address"),
    port: int = typer.Option(8000, envvar="QCP_API_PORT", help="listening port"),
    workers: int = typer.Option(1, envvar="QCP_WORKERS", help="uvicorn worker processes"),
) -> None:
    """运行平台（生产配置）/ serve the platform with the environment's configuration."""
    from platform_api.settings import api_settings

    settings = api_settings()  # refuses unsafe configurations
    preflight(settings)
    if workers > 1 and not settings.session_secret:
        from platform_api.settings import UnsafeSettings

        raise UnsafeSettings(
            "多个进程必须共享会话密钥 / several workers must share QCP_SESSION_SECRET (it signs the dashboard cookie)"
        )
    if workers > 1:
        uvicorn.run(
            "platform_api.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            loop=LOOP,
            http=HTTP,
        )
    else:
        app = _build_app(settings, Database.from_url(runtime.app_url()))
        uvicorn.run(app, host=host, port=port, loop=LOOP, http=HTTP)

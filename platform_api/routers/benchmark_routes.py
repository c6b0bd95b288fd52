"""Mount the benchmark routers (called by ``create_app``)."""

from __future__ import annotations

from fastapi import FastAPI


def register_routers(app: FastAPI) -> None:
    """Benchmarks, laggards, year over year, flag freezing, rollups and feedback reports under ``/api/v1``."""
    from platform_api.routers import benchmark_reports, benchmark_settings, benchmarks

    app.include_router(benchmarks.router)
    app.include_router(benchmark_reports.router)
    app.include_router(benchmark_settings.router)

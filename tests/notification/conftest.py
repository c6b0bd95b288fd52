"""A committed database of its own (the worker reads with its own connections): two provinces, a
hospital that owes and submits, one that owes and does not, one that does not owe yet, one
inactive, and a hospital of another province; contacts and webhook endpoints for them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from services.core.actor import Actor, Role
from services.core.config import notification_settings
from services.core.db import Database
from services.jobs import tasks
from tests.api_harness import LiveApi, start_live_api
from tests.db import fresh_database
from tests.submission.support import GD, ZJ, add_hospital, ensure_catalog, set_window

QUARTER = "2023Q2"


@dataclass
class World:
    app_url: str
    owner_url: str
    database: Database
    a: int  # ZJ, owes, submits
    b: int  # ZJ, owes, has not submitted
    late_joiner: int  # ZJ, reports from 2099Q1: owes nothing yet
    inactive: int  # ZJ, deactivated
    gd: int  # GD, owes, has not submitted

    def submitter(self, hospital_id: int, province: str = ZJ) -> Actor:
        return Actor(
            subject=f"submitter-{hospital_id}",
            roles=frozenset({Role.HOSPITAL_SUBMITTER}),
            province=province,
            hospital_id=hospital_id,
        )

    @staticmethod
    def admin(province: str = ZJ) -> Actor:
        return Actor(subject=f"admin-{province}", roles=frozenset({Role.PROVINCIAL_ADMIN}), province=province)


@pytest.fixture(scope="module", autouse=True)
def local_webhooks() -> Iterator[None]:
    """The tests' receivers listen on 127.0.0.1: allow loopback webhooks (off by default)."""
    os.environ["QCP_WEBHOOK_ALLOW_PRIVATE"] = "true"
    notification_settings.cache_clear()
    yield
    os.environ.pop("QCP_WEBHOOK_ALLOW_PRIVATE", None)
    notification_settings.cache_clear()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with fresh_database("qcp_notify") as urls:
        engine = create_engine(urls.owner)
        with Session(bind=engine) as s:
            s.info["raw"] = True
            s.execute(text("SELECT set_config('app.all_provinces', 'on', false)"))
            ensure_catalog(s)
            s.execute(
                text("UPDATE provinces SET onboarded_at = now() WHERE code IN (:z, :g)"), {"z": ZJ, "g": GD}
            )
            ids = dict(
                a=add_hospital(s, ZJ, "浙江甲医院"),
                b=add_hospital(s, ZJ, "浙江乙医院"),
                late_joiner=add_hospital(s, ZJ, "浙江新医院", reports_from="2099Q1"),
                inactive=add_hospital(s, ZJ, "浙江停用医院", active=False),
                gd=add_hospital(s, GD, "广东医院"),
            )
            for province in (ZJ, GD):
                set_window(s, province, QUARTER, opened=timedelta(days=20), due=timedelta(days=3))
            s.commit()
        engine.dispose()
        database = Database.from_url(urls.app, pool_size=4, max_overflow=4)
        tasks.use_database(database)
        try:
            yield World(app_url=urls.app, owner_url=urls.owner, database=database, **ids)
        finally:
            tasks.use_database(None)
            database.dispose()


@pytest.fixture(scope="module")
def live(world: World) -> Iterator[LiveApi]:
    """The platform over HTTP on the module's world, with real signed tokens."""
    api, server = start_live_api(world.database)
    yield api
    api.close()
    server.stop()
    api.issuer.stop()  # type: ignore[attr-defined]

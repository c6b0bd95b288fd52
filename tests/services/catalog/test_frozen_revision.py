"""A frozen flag snapshot and the feedback report keep the catalog revision they were computed with,
after a later revision of the year is published."""

from __future__ import annotations

from sqlalchemy import update

from services.benchmark.report import feedback_context
from services.benchmark.report_html import render_html
from services.benchmark.snapshots import catalog_revision, freeze
from services.core.quarter import Quarter
from services.models import CatalogYear
from tests.benchmark.conftest import ZJ, admin, world  # noqa: F401 (the fixture)
from tests.db import act_as_app, act_as_owner

Q3 = Quarter(2023, 3)


def test_snapshot_and_report_keep_the_revision_they_used(world):  # noqa: F811
    session = world.session
    act_as_owner(session)
    current = catalog_revision(session, 2023)
    act_as_app(session, admin())
    snap = freeze(session, admin(), quarter=Q3, scope=f"province:{ZJ}")
    assert snap.catalog_revision == current
    act_as_owner(session)  # a later revision of 2023 is published (only its number matters here)
    session.execute(update(CatalogYear).where(CatalogYear.year == 2023).values(revision=current + 1))
    assert catalog_revision(session, 2023) == current + 1
    act_as_app(session, admin())
    report = feedback_context(session, admin(), hospital_id=world.laggard.id, quarter=Q3)
    assert report["frozen"] and (report["catalog_year"], report["catalog_revision"]) == (2023, current)
    assert f"2023 年第 {current} 版 / 2023 revision {current}" in render_html(report)
    session.refresh(snap)
    assert snap.catalog_revision == current

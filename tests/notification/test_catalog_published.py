"""Publishing a catalog year tells everyone (audience 'all'), readable by every bound caller."""

from __future__ import annotations

from sqlalchemy import text

from services.catalog.steps import read_manifest, year_and_revision
from services.catalog.validate import read_source
from services.core.actor import Actor, Role
from tests.db import act_as_app


def test_each_published_catalog_year_is_announced_to_all(owner_session) -> None:  # noqa: ANN001
    # The shipped steps, published through services.catalog.publish by the session fixture (other suites
    # write synthetic years such as 2008 straight into the table, which announces nothing).
    shipped = {year_and_revision(read_source(f)) for step in read_manifest() for f in step}
    assert len(shipped) >= 7  # 2021, 2022 (two revisions), 2023 (two), 2024–2026
    hospital = Actor(subject="h", roles=frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=1)
    act_as_app(owner_session, hospital)
    seen = owner_session.execute(
        text("SELECT payload FROM notifications WHERE kind = 'catalog_published' AND audience = 'all'")
    ).scalars()
    assert {(p["year"], p["revision"]) for p in seen} >= shipped
    act_as_app(owner_session, None)
    assert owner_session.execute(text("SELECT count(*) FROM notifications")).scalar() == 0  # unbound: nothing

"""Publishing a catalog year tells everyone (audience 'all'), readable by every bound caller."""

from __future__ import annotations

from sqlalchemy import text

from services.core.actor import Actor, Role
from tests.db import act_as_app


def test_each_published_catalog_year_is_announced_to_all(owner_session) -> None:  # noqa: ANN001
    years = owner_session.execute(text("SELECT year, revision FROM catalog_years")).all()
    assert years
    hospital = Actor(subject="h", roles=frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=1)
    act_as_app(owner_session, hospital)
    seen = owner_session.execute(
        text("SELECT payload FROM notifications WHERE kind = 'catalog_published' AND audience = 'all'")
    ).scalars()
    assert {(p["year"], p["revision"]) for p in seen} >= {(y, r) for y, r in years}
    act_as_app(owner_session, None)
    assert owner_session.execute(text("SELECT count(*) FROM notifications")).scalar() == 0  # unbound: nothing

"""Freezing a quarter tells the QC center of all new flags and each flagged hospital of its own only
(issue 17). Read back as the app role: another hospital and another province hear nothing."""

from __future__ import annotations

from sqlalchemy import text

from services.benchmark.snapshots import freeze
from services.core.quarter import Quarter
from tests.benchmark.conftest import GD, ZJ, admin, viewer
from tests.db import act_as_app

Q3 = Quarter(2023, 3)


def _notifications(session, actor):  # noqa: ANN001, ANN202
    act_as_app(session, actor)
    return session.execute(
        text("SELECT audience, hospital_id, payload FROM notifications WHERE kind = 'flags_frozen'")
    ).all()


def test_freezing_notifies_the_flagged_hospital_and_the_qc_center_only(world):  # noqa: ANN001
    session = world.session
    act_as_app(session, admin())
    freeze(session, admin(), quarter=Q3, scope=f"province:{ZJ}")

    center = _notifications(session, admin())
    assert {r.audience for r in center} == {"hospital", "qc_center"}
    summary = next(r for r in center if r.audience == "qc_center")
    assert summary.payload["quarter"] == "2023Q3" and summary.payload["count"] >= 1

    laggard = _notifications(session, viewer(world.laggard))
    assert [(r.audience, r.hospital_id) for r in laggard] == [("hospital", world.laggard.id)]
    assert "alarm" in laggard[0].payload["kinds"]

    unflagged = next(h for h in world.hospitals if h.id != world.laggard.id)
    assert _notifications(session, viewer(unflagged)) == []
    assert _notifications(session, admin(GD)) == []

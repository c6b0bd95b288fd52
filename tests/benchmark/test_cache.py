"""Computed benchmarks kept per process (services/benchmark/cache.py): reused while the data stay
the same, never once they changed, and never across tenants."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.benchmark import cache
from services.benchmark.benchmarks import benchmark, compute_scope
from services.benchmark.queries import indicators_of_year
from services.benchmark.scope import resolve_scope
from services.core.errors import NotFound
from services.core.quarter import Quarter
from services.models import Submission
from services.submission.events import transition
from tests.benchmark.conftest import GD, ZJ, analyst, national, viewer
from tests.benchmark.world import correct_value
from tests.db import act_as_app, act_as_owner

Q3 = Quarter(2023, 3)
CODE = "NIT-2023-I.1"


def _rate(world, actor, hospital_id: int, **kw) -> float | None:  # noqa: ANN001
    report = benchmark(world.session, actor, quarter=Q3, scope=f"province:{ZJ}", indicator=CODE, **kw)
    (b,) = report.indicators
    found = [k for k, h in enumerate(b.hospital_id.tolist()) if h == hospital_id]
    return float(b.units["rate"][found[0]]) if found else None


def _header(world, hospital_id: int) -> Submission:  # noqa: ANN001
    stmt = select(Submission).where(Submission.hospital_id == hospital_id, Submission.quarter == str(Q3))
    return world.session.scalars(stmt).one()


def test_same_data_is_computed_once_and_the_result_cannot_be_changed_in_place(world) -> None:  # noqa: ANN001
    act_as_app(world.session, analyst())
    first = benchmark(world.session, analyst(), quarter=Q3, scope=f"province:{ZJ}", indicator=CODE)
    hits = cache.BENCHMARKS.hits
    again = benchmark(world.session, analyst(), quarter=Q3, scope=f"province:{ZJ}", indicator=CODE)
    assert cache.BENCHMARKS.hits == hits + 1
    assert again.indicators[0] is first.indicators[0]
    with pytest.raises(ValueError, match="read-only"):
        again.indicators[0].units["rate"][0] = 0.0


def test_a_corrected_value_is_shown_at_once(world) -> None:  # noqa: ANN001
    session, laggard = world.session, world.laggard.id
    act_as_app(session, analyst())
    assert _rate(world, analyst(), laggard) == pytest.approx(0.30)
    act_as_owner(session)
    correct_value(session, _header(world, laggard), CODE, 70, 100)  # a new history row, header untouched
    act_as_app(session, analyst())
    assert _rate(world, analyst(), laggard) == pytest.approx(0.70)


def test_a_status_change_is_shown_at_once(world) -> None:  # noqa: ANN001
    session, laggard = world.session, world.laggard.id
    act_as_app(session, analyst())
    assert _rate(world, analyst(), laggard) is not None
    act_as_owner(session)
    transition(session, national(), _header(world, laggard), action="reopen", to_status="returned")
    act_as_app(session, analyst())
    assert _rate(world, analyst(), laggard) is None  # approved data only: a returned one no longer counts


def test_another_provinces_analyst_never_gets_a_cached_benchmark(world) -> None:  # noqa: ANN001
    session = world.session
    act_as_app(session, analyst(ZJ))
    scope = resolve_scope(session, analyst(ZJ), f"province:{ZJ}", quarter=Q3)
    infos = indicators_of_year(session, 2023, indicator=CODE)
    zj = compute_scope(session, analyst(ZJ), scope, quarter=Q3, indicators=infos)
    assert zj.indicators[0].reporting == 12
    act_as_app(session, analyst(GD))
    with pytest.raises(NotFound):  # the scope itself is out of reach
        benchmark(session, analyst(GD), quarter=Q3, scope=f"province:{ZJ}", indicator=CODE)
    # even handed Zhejiang's resolved scope, Guangdong's analyst reads nothing of it: not from the
    # cache (another tenant's key), not from the tables (row-level security as the app role)
    other = compute_scope(session, analyst(GD), scope, quarter=Q3, indicators=infos)
    assert other.indicators[0] is not zj.indicators[0]
    assert other.indicators[0].reporting == 0


def test_a_hospital_user_shares_nothing_with_the_provinces_analyst(world) -> None:  # noqa: ANN001
    session = world.session
    act_as_app(session, analyst())
    staff = benchmark(session, analyst(), quarter=Q3, scope=f"province:{ZJ}", indicator=CODE)
    me = viewer(world.hospitals[3])
    act_as_app(session, me)
    mine = benchmark(session, me, quarter=Q3, scope=f"province:{ZJ}", indicator=CODE)
    assert mine.indicators[0] is not staff.indicators[0]
    assert mine.scope.own_hospital_only and set(mine.labels) == {world.hospitals[3].id}

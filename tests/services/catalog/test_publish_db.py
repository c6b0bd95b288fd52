"""Publishing into PostgreSQL (migrated schema, owner role, rolled back after each test)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.catalog.publish import load_builtin_catalogs, publish_catalog, publish_step
from services.catalog.queries import diff_years, export_catalog, get_catalog, lineage_path, successor_of
from services.core.errors import CatalogInvalid, Conflict, NotFound
from services.models.catalog import CatalogYear, Goal, GoalLineage, Indicator, IndicatorLineage, Specialty
from tests.services.catalog.support import FILE_2022, FILE_2023, SYNTHETIC_2024
from tests.services.catalog.test_validate import broken_2023

TABLES = (CatalogYear, Specialty, Goal, Indicator, GoalLineage, IndicatorLineage)


def counts(session) -> dict[str, int]:
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture
def published(bare_owner_session):
    """The first two shipped steps (2022 and 2023, revision 1): what these tests are about.

    The later shipped steps (2021 with 2022 r2, 2023 r2, …) are published by load_builtin_catalogs
    (see test_loading_again_is_a_no_op and test_facts_2021_definitions.py).
    """
    results = [
        r
        for f in (FILE_2022, FILE_2023)
        for r in publish_step(bare_owner_session, sources=[f], published_by="tests").results
    ]
    return bare_owner_session, results


def test_builtin_catalogs_load_in_order_with_the_diff(published):
    session, (r22, r23) = published
    assert (r22.year, r22.status, r22.goals, r22.diff) == (2022, "published", 10, None)
    assert (r23.year, r23.status, r23.goals) == (2023, "published", 49)
    assert r23.diff is not None and r23.diff.retired == ["NIT-2022-VIII"]
    assert counts(session)["specialties"] == 40


def test_loading_again_is_a_no_op(published):
    session, _ = published
    first = load_builtin_catalogs(session, published_by="tests")
    assert [r.status for r in first[:2]] == ["unchanged", "unchanged"]  # 2022 and 2023 r1 already there
    before = counts(session)
    again = load_builtin_catalogs(session, published_by="someone else")
    assert {r.status for r in again} == {"unchanged"} and len(again) == len(first)
    assert counts(session) == before


def test_a_different_file_for_a_published_year_is_refused(published):
    session, _ = published
    changed = FILE_2023.read_text(encoding="utf-8").replace("title: 2023 年", "title: 修改 2023 年", 1)
    with pytest.raises(Conflict):
        publish_catalog(session, path_or_text=changed, published_by="tests")


def test_broken_file_loads_nothing_and_lists_every_problem(bare_owner_session):
    owner_session = bare_owner_session
    publish_catalog(owner_session, path_or_text=FILE_2023.parent / "catalog-2022.yaml", published_by="tests")
    before = counts(owner_session)
    with pytest.raises(CatalogInvalid) as exc:
        publish_catalog(owner_session, path_or_text=broken_2023(), published_by="tests")
    codes = {p["code"] for p in exc.value.problems}
    assert {
        "duplicate_goal_code",
        "shape_missing",
        "lineage_source_missing",
        "missing_outgoing",
        "shape_literal_error",
        "unknown_owner",
    } <= codes
    assert counts(owner_session) == before


def test_catalog_of_a_year_has_goals_indicators_owners_and_lineage(published):
    session, _ = published
    cat = get_catalog(session, 2023)
    assert len(cat.goals) == 49 and len(cat.specialties) == 40
    viii = cat.goal("NIT-2023-VIII")
    assert viii.owners == ["icu"] and viii.lineage[0].from_code == "NIT-2022-VI"
    assert viii.lineage[0].comparability == "partial"
    assert {e.from_code for e in cat.retired} == {
        "NIT-2022-VIII",
        "NIT-2022-VIII.1",
        "NIT-2022-VI.1",
        "NIT-2022-IX.2",
    }
    assert get_catalog(session, 2022).goal("NIT-2022-VI").code_as_published == "NIT-2022-Ⅵ"


def test_diff_from_the_database_matches_the_files(published):
    session, _ = published
    diff = diff_years(session, 2022, 2023)
    assert diff.moved_to_specialty == ["NIT-2022-IV → PIT-2023-37"]
    assert diff.direction_changed == ["NIT-2022-IX → NIT-2023-VI"]


def test_export_is_json_ready(published):
    session, _ = published
    exported = export_catalog(session, 2023)
    assert exported["format"] == "qcp-catalog-export/1" and exported["year"] == 2023
    assert isinstance(exported["published_at"], str)


def test_successor_names_the_2023_code_or_retired(published):
    session, _ = published
    assert successor_of(session, "NIT-2022-IX.1", 2023) == ["NIT-2023-VI.1"]
    assert successor_of(session, "NIT-2022-IV.1", 2023) == ["PIT-2023-37.1"]
    assert successor_of(session, "NIT-2022-VI.1", 2023) == "retired"
    assert successor_of(session, "NIT-2022-VIII.1", 2023) == "retired"
    assert successor_of(session, "NIT-2023-IV.2", 2023) == ["NIT-2023-IV.2"]
    with pytest.raises(NotFound):
        successor_of(session, "NIT-2022-XI.1", 2023)


def test_reinstated_across_a_skipped_year(published):
    session, _ = published
    result = publish_catalog(session, path_or_text=SYNTHETIC_2024, published_by="tests")
    assert result.diff is not None and result.diff.reinstated == ["NIT-2022-VIII → NIT-2024-II"]
    assert successor_of(session, "NIT-2022-VIII.1", 2023) == "retired"
    assert successor_of(session, "NIT-2022-VIII.1", 2024) == ["NIT-2024-II.1"]
    start = session.scalar(select(Indicator.id).where(Indicator.code == "NIT-2022-VIII.1"))
    paths = lineage_path(session, start, 2024)
    assert [[(e.from_code, e.to_code, e.kinds) for e in p] for p in paths] == [
        [("NIT-2022-VIII.1", None, ["retired"])],
        [("NIT-2022-VIII.1", "NIT-2024-II.1", ["reinstated"])],
    ]
    across = diff_years(session, 2022, 2024)
    assert "NIT-2022-VIII → NIT-2024-II" in across.reinstated

"""Revisions in PostgreSQL: in place by code (ids stay), withdrawn indicators, the stored diff and
file, the audit, 2021 behind 2022 in one step, pending specialty lists and unknown destinations."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import func, select

from services.catalog.publish import publish_catalog, publish_step
from services.catalog.queries import export_catalog, get_catalog, successor_of
from services.core.errors import CatalogInvalid, Conflict
from services.models import AuditEntry
from services.models.catalog import CatalogRevision, Goal, Indicator
from tests.services.catalog.support import FILE_2022, FILE_2023
from tests.services.catalog.v2_support import V2, text_of


def publish_r1(session) -> None:
    """Only revision 1 of 2022 and 2023 (the synthetic fixtures build on them, not on the shipped revisions)."""
    for path in (FILE_2022, FILE_2023):
        publish_catalog(session, path_or_text=path, published_by="tests")


@pytest.fixture
def published(bare_owner_session):
    publish_r1(bare_owner_session)
    return bare_owner_session


def ids(session, model, year: int) -> dict[str, int]:
    return dict(session.execute(select(model.code, model.id).where(model.year == year)).all())


def test_2021_alone_behind_2022_is_refused_and_loads_nothing(published):
    session = published
    with pytest.raises(CatalogInvalid) as exc:
        publish_catalog(session, path_or_text=V2 / "catalog-2021.yaml", published_by="tests")
    assert [p["code"] for p in exc.value.problems] == ["earlier_year_needs_link"]
    assert "qcp catalog publish catalog-2021.yaml catalog-2022.r2.yaml" in exc.value.problems[0]["message"]
    assert session.scalar(select(func.count()).select_from(Goal).where(Goal.year == 2021)) == 0


def test_revision_updates_in_place_withdraws_adds_and_keeps_the_file_and_diff(published):
    session = published
    goals_before, inds_before = ids(session, Goal, 2022), ids(session, Indicator, 2022)
    step = publish_step(
        session, sources=[V2 / "catalog-2022.r2.yaml", V2 / "catalog-2021.yaml"], published_by="tests"
    )
    assert [(r.label, r.status) for r in step.results] == [("2021", "published"), ("2022 r2", "published")]
    assert ids(session, Goal, 2022) == goals_before  # same rows, same ids
    after = ids(session, Indicator, 2022)
    assert {c: after[c] for c in inds_before} == inds_before and "NIT-2022-IX.5" in after
    cat = get_catalog(session, 2022)
    assert cat.revision == 2 and cat.file_format == "qcp-catalog/2" and cat.revision_reason
    assert [r.revision for r in cat.revisions] == [1, 2]
    assert cat.goal("NIT-2022-I").lineage[0].from_code == "NIT-2021-I"
    assert "NIT-2022-IX.4" not in [i.code for g in cat.goals for i in g.indicators]
    (withdrawn,) = cat.withdrawn
    assert (withdrawn.code, withdrawn.withdrawn_revision, withdrawn.replaced_by) == (
        "NIT-2022-IX.4",
        2,
        ["NIT-2022-IX.5"],
    )
    diff = step.results[1].revision_diff
    assert diff is not None and diff.indicators_withdrawn == ["NIT-2022-IX.4"]
    assert diff.indicators_added == ["NIT-2022-IX.5"]
    changed = {c.code: c.changes for c in diff.indicators_changed}
    assert "denominator" in changed["NIT-2022-VI.1"]
    assert any("NIT-2021-I → NIT-2022-I" in e for e in diff.lineage_added)
    assert any(e.startswith("NIT-2022-VI.1 → retired") for e in diff.later_edges_to_review)
    stored = session.scalar(
        select(CatalogRevision).where(CatalogRevision.year == 2022, CatalogRevision.revision == 2)
    )
    assert stored.file_text == text_of("catalog-2022.r2.yaml") and stored.diff["indicators_withdrawn"]
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "catalog.revise")).all()
    assert [a.entity_id for a in audit] == ["2022r2"] and "2021" in audit[0].reason
    assert successor_of(session, "NIT-2021-I.1", 2022) == ["NIT-2022-I.1"]
    assert successor_of(session, "NIT-2021-II.1", 2022) == "retired"


def test_publishing_the_step_again_changes_nothing(published):
    session = published
    sources = [V2 / "catalog-2021.yaml", V2 / "catalog-2022.r2.yaml"]
    publish_step(session, sources=sources, published_by="tests")
    rows = session.scalar(select(func.count()).select_from(CatalogRevision))
    again = publish_step(session, sources=sources, published_by="someone else")
    assert again.status == "unchanged" and [r.status for r in again.results] == ["unchanged", "unchanged"]
    assert session.scalar(select(func.count()).select_from(CatalogRevision)) == rows
    assert publish_catalog(session, path_or_text=FILE_2023, published_by="x").status == "unchanged"


def test_another_file_under_a_published_revision_is_a_conflict_naming_the_next_revision(published):
    session = published
    publish_step(session, sources=[V2 / "catalog-2021.yaml", V2 / "catalog-2022.r2.yaml"], published_by="t")
    changed = text_of("catalog-2022.r2.yaml").replace("合成：在 2022", "合成：修改 2022", 1)
    with pytest.raises(Conflict) as exc:
        publish_catalog(session, path_or_text=changed, published_by="tests")
    assert "第 3 版" in exc.value.detail and "revision 3" in exc.value.detail


def test_pending_specialty_list_then_a_revision_that_loads_it(published):
    session = published
    publish_catalog(session, path_or_text=V2 / "catalog-2024.yaml", published_by="tests")
    cat = get_catalog(session, 2024)
    assert cat.specialty_list == "pending" and len(cat.pending) == 39 and cat.pending[0] == "PIT-2023-01"
    moved = next(e for e in cat.retired if e.from_code == "NIT-2023-IX")
    assert moved.kinds == ["moved_to_specialty"] and moved.to_code is None
    assert successor_of(session, "NIT-2023-IX.1", 2024) == []  # not known yet: neither code nor retired
    assert successor_of(session, "PIT-2023-37.1", 2024) == []
    result = publish_catalog(session, path_or_text=V2 / "catalog-2024.r2.yaml", published_by="tests")
    assert result.revision_diff is not None and result.revision_diff.goals_added == [
        "PIT-2024-01",
        "PIT-2024-02",
    ]
    cat = get_catalog(session, 2024)
    assert cat.revision == 2 and cat.pending == [] and cat.specialty_list == "loaded"
    assert successor_of(session, "NIT-2023-IX.1", 2024) == ["PIT-2024-02.1"]
    assert successor_of(session, "PIT-2023-38.1", 2024) == "retired"


def test_export_carries_marks_sources_and_core_strategies(published):
    session = published
    publish_step(session, sources=[V2 / "catalog-2021.yaml", V2 / "catalog-2022.r2.yaml"], published_by="t")
    exported = export_catalog(session, 2021)
    goal = exported["goals"][0]
    assert goal["verification"] == "verified" and goal["sources"] == ["synthetic"]
    assert goal["core_strategies"] == ["合成核心策略一。", "合成核心策略二。"]
    assert exported["sources"][0]["id"] == "synthetic" and exported["revision"] == 1
    assert goal["lineage"][0]["verification"] == "inferred"
    json.dumps(exported, ensure_ascii=False)


def test_a_one_line_json_file_publishes(bare_owner_session):
    one_line = json.dumps(yaml.safe_load(FILE_2022.read_text(encoding="utf-8")), ensure_ascii=False)
    result = publish_catalog(bare_owner_session, path_or_text=one_line, published_by="tests")
    assert (result.year, result.status, result.goals) == (2022, "published", 10)

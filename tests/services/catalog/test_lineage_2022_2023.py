"""Every 2022 → 2023 relation, as read from the two documents' definitions."""

from __future__ import annotations

import pytest

from services.catalog.diff import diff_catalogs
from tests.services.catalog.support import FILE_2022, FILE_2023, catalog_file, catalog_read

GOALS = [
    ("NIT-2022-I", "NIT-2023-I", ["continued"], "comparable"),
    ("NIT-2022-II", "NIT-2023-II", ["continued"], "comparable"),
    ("NIT-2022-III", "NIT-2023-III", ["continued"], "comparable"),
    ("NIT-2022-IV", "PIT-2023-37", ["moved_to_specialty"], "comparable"),
    ("NIT-2022-V", "NIT-2023-IX", ["renumbered", "redefined"], "not_comparable"),
    ("NIT-2022-VI", "NIT-2023-VIII", ["renumbered", "redefined"], "partial"),
    ("NIT-2022-VII", "NIT-2023-V", ["renumbered"], "comparable"),
    ("NIT-2022-IX", "NIT-2023-VI", ["renumbered", "redefined"], "not_comparable"),
    ("NIT-2022-X", "NIT-2023-X", ["continued"], "comparable"),
]
INDICATORS = [
    ("NIT-2022-IV.1", "PIT-2023-37.1", "comparable"),
    ("NIT-2022-IV.2", "PIT-2023-37.2", "comparable"),
    ("NIT-2022-V.1", "NIT-2023-IX.1", "not_comparable"),
    ("NIT-2022-VI.2", "NIT-2023-VIII.1", "comparable"),
    ("NIT-2022-IX.1", "NIT-2023-VI.1", "comparable"),
    ("NIT-2022-IX.3", "NIT-2023-VI.4", "partial"),
    ("NIT-2022-IX.4", "NIT-2023-VI.3", "partial"),
    ("NIT-2022-X.1", "NIT-2023-X.1", "comparable"),
]


def goal_edges():
    return {e.from_: (g.code, e) for g in catalog_file(FILE_2023).goals for e in g.lineage}


def indicator_edges():
    return {
        e.from_: (i.code, e) for g in catalog_file(FILE_2023).goals for i in g.indicators for e in i.lineage
    }


@pytest.mark.parametrize("source,target,kinds,comparability", GOALS)
def test_goal_relation_2022_to_2023(source, target, kinds, comparability):
    to_code, edge = goal_edges()[source]
    assert (to_code, edge.kinds, edge.comparability) == (target, kinds, comparability)
    assert edge.reason and edge.reason_en


@pytest.mark.parametrize("source,target,comparability", INDICATORS)
def test_indicator_relation_2022_to_2023(source, target, comparability):
    to_code, edge = indicator_edges()[source]
    assert (to_code, edge.comparability) == (target, comparability)
    assert edge.reason and edge.reason_en


def test_unplanned_reoperation_is_retired_not_succeeded_by_perioperative_mortality():
    cat = catalog_file(FILE_2023)
    assert [r.code for r in cat.retired.goals] == ["NIT-2022-VIII"]
    assert "NIT-2022-VIII" not in goal_edges()
    assert [e.kinds for e in next(g for g in cat.goals if g.code == "NIT-2023-IV").lineage] == [["new"]]


def test_one_hour_bundle_and_infusion_days_are_retired_indicators():
    assert {r.code for r in catalog_file(FILE_2023).retired.indicators} == {"NIT-2022-VI.1", "NIT-2022-IX.2"}


def test_new_2023_goals_are_iv_vii_and_every_specialty_goal_but_37():
    new = {g.code for g in catalog_file(FILE_2023).goals if g.lineage[0].kinds == ["new"]}
    expected = {"NIT-2023-IV", "NIT-2023-VII"} | {f"PIT-2023-{n:02d}" for n in range(1, 40) if n != 37}
    assert new == expected


def test_antimicrobial_goal_moved_with_new_hospital_infection_emphasis():
    goal = next(g for g in catalog_file(FILE_2023).goals if g.code == "PIT-2023-37")
    assert goal.owners == ["infection_control"]
    assert goal.indicators[2].lineage[0].kinds == ["new"] and "医院感染" in goal.indicators[2].name


def test_diff_2022_2023_groups_the_changes():
    diff = diff_catalogs(catalog_read(FILE_2022), catalog_read(FILE_2023))
    assert diff.retired == ["NIT-2022-VIII"]
    assert diff.moved_to_specialty == ["NIT-2022-IV → PIT-2023-37"]
    assert diff.direction_changed == ["NIT-2022-IX → NIT-2023-VI"]
    assert set(diff.redefined) == {
        "NIT-2022-V → NIT-2023-IX",
        "NIT-2022-VI → NIT-2023-VIII",
        "NIT-2022-IX → NIT-2023-VI",
    }
    assert set(diff.continued) == {f"NIT-2022-{r} → NIT-2023-{r}" for r in ("I", "II", "III", "X")}
    assert len(diff.added) == 2 + 38
    infusion = next(c for c in diff.changes if c.from_code == "NIT-2022-IX")
    assert {(i.from_code, i.to_code) for i in infusion.indicators} == {
        ("NIT-2022-IX.1", "NIT-2023-VI.1"),
        ("NIT-2022-IX.2", None),
        ("NIT-2022-IX.3", "NIT-2023-VI.4"),
        ("NIT-2022-IX.4", "NIT-2023-VI.3"),
        (None, "NIT-2023-VI.2"),
    }
    usage = next(i for i in infusion.indicators if i.from_code == "NIT-2022-IX.1")
    assert (usage.comparability, usage.direction_from, usage.direction_to) == ("comparable", "lower", "lower")

"""Validation reports every problem at once, naming the code and field, and skip-year lineage works."""

from __future__ import annotations

import yaml

from services.catalog.diff import diff_catalogs
from services.catalog.lineage import follow, outgoing_index, successors
from services.catalog.validate import validate_catalog
from tests.services.catalog.support import FILE_2022, FILE_2023, SYNTHETIC_2024, catalog_file, catalog_read


def broken_2023() -> str:
    doc = yaml.safe_load(FILE_2023.read_text(encoding="utf-8"))
    goals = {g["code"]: g for g in doc["goals"]}
    goals["NIT-2023-V"]["code"] = "NIT-2023-IV"  # duplicate goal code
    del goals["NIT-2023-I"]["indicators"][0]["denominator"]  # missing denominator
    goals["NIT-2023-II"]["lineage"][0]["from"] = "NIT-2022-XI"  # lineage to a goal that does not exist
    doc["retired"]["goals"] = []  # NIT-2022-VIII loses its outgoing relation
    goals["NIT-2023-III"]["direction"] = "up"  # bad direction
    goals["NIT-2023-IV"]["indicators"][0]["multiplier"] = 1000  # % needs 100
    goals["PIT-2023-01"]["owners"] = ["nobody"]  # unknown owner
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_broken_file_reports_every_problem_with_code_and_field():
    report = validate_catalog(broken_2023(), earlier=[catalog_file(FILE_2022)])
    assert not report.ok and report.catalog is None
    found = {(p.code, p.where, p.field) for p in report.problems}
    assert ("duplicate_goal_code", "NIT-2023-IV", "code") in found
    assert ("shape_missing", "NIT-2023-I.1", "denominator") in found
    assert ("lineage_source_missing", "NIT-2023-II", "lineage[0].from") in found
    assert ("missing_outgoing", "NIT-2022-VIII", "lineage") in found
    assert ("missing_outgoing", "NIT-2022-VIII.1", "lineage") in found
    assert ("shape_literal_error", "NIT-2023-III", "direction") in found
    assert ("multiplier_mismatch", "NIT-2023-IV.1", "multiplier") in found
    assert ("unknown_owner", "PIT-2023-01", "owners") in found
    for p in report.problems:
        zh, en = p.message.split(" / ", 1)
        assert zh and en and not zh.isascii(), p


def test_first_year_file_cannot_reference_an_unknown_earlier_year():
    report = validate_catalog(FILE_2023)  # no 2022 known
    assert {p.code for p in report.problems} == {"lineage_source_missing", "retired_unknown"}


def test_a_2022_code_must_not_vanish_silently():
    doc = yaml.safe_load(FILE_2023.read_text(encoding="utf-8"))
    doc["retired"]["indicators"] = [r for r in doc["retired"]["indicators"] if r["code"] != "NIT-2022-VI.1"]
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True), earlier=[catalog_file(FILE_2022)])
    assert [(p.code, p.where) for p in report.problems] == [("missing_outgoing", "NIT-2022-VI.1")]


def test_direction_change_must_be_declared():
    doc = yaml.safe_load(FILE_2023.read_text(encoding="utf-8"))
    goal = next(g for g in doc["goals"] if g["code"] == "NIT-2023-VI")
    goal["lineage"][0]["kinds"] = ["renumbered"]
    goal["lineage"][0]["comparability"] = "comparable"
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True), earlier=[catalog_file(FILE_2022)])
    assert [(p.code, p.where) for p in report.problems] == [("direction_change_undeclared", "NIT-2023-VI")]


def test_skip_year_edge_must_be_marked_reinstated():
    doc = yaml.safe_load(SYNTHETIC_2024.read_text(encoding="utf-8"))
    doc["goals"][1]["lineage"][0]["kinds"] = ["renumbered"]
    report = validate_catalog(
        yaml.safe_dump(doc, allow_unicode=True), earlier=[catalog_file(FILE_2022), catalog_file(FILE_2023)]
    )
    assert ("skip_year_needs_reinstated", "NIT-2024-II") in {(p.code, p.where) for p in report.problems}


def test_yaml_syntax_error_is_one_problem():
    report = validate_catalog("format: [\n")
    assert [p.code for p in report.problems] == ["yaml_syntax"]


def test_synthetic_2024_reinstates_a_goal_retired_in_2023():
    assert catalog_file(SYNTHETIC_2024).year == 2024
    c22, c23, c24 = catalog_read(FILE_2022), catalog_read(FILE_2023), catalog_read(SYNTHETIC_2024)
    diff = diff_catalogs(c23, c24)
    assert diff.reinstated == ["NIT-2022-VIII → NIT-2024-II"]
    across = diff_catalogs(c22, c24, between=[c23])
    assert "NIT-2022-VIII → NIT-2024-II" in across.reinstated
    assert "NIT-2022-I → NIT-2024-I" in across.continued


def test_indicator_successor_across_the_gap():
    c23, c24 = catalog_read(FILE_2023), catalog_read(SYNTHETIC_2024)
    edges = [e for c in (c23, c24) for g in c.goals for i in g.indicators for e in i.lineage]
    edges += [e for c in (c23, c24) for e in c.retired if "." in (e.from_code or "")]
    index = outgoing_index(edges)
    assert successors(follow("NIT-2022-VIII.1", 2023, index), 2023) == "retired"
    assert successors(follow("NIT-2022-VIII.1", 2024, index), 2024) == ["NIT-2024-II.1"]
    assert successors(follow("NIT-2022-IX.1", 2023, index), 2023) == ["NIT-2023-VI.1"]
    assert successors(follow("NIT-2022-IX.1", 2024, index), 2024) == "retired"
    assert successors(follow("NIT-2022-I.1", 2024, index), 2024) == ["NIT-2024-I.1"]


def test_parsed_yaml_is_cached_but_every_caller_gets_its_own_copy():
    from services.catalog.validate import load_yaml

    text = "format: 2\nyear: 2023\ngoals:\n  - code: NIT-2023-I\n"
    first, _ = load_yaml(text)
    first["goals"][0]["code"] = "changed by the first caller"
    second, problems = load_yaml(text)
    assert problems == [] and second["goals"][0]["code"] == "NIT-2023-I"


def test_yaml_syntax_error_is_reported_with_its_line_after_caching():
    from services.catalog.validate import load_yaml

    raw, problems = load_yaml("year: 2023\ngoals: [unclosed\n")
    assert raw is None and [p.code for p in problems] == ["yaml_syntax"]
    assert "line 2" in problems[0].message

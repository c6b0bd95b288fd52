"""qcp-catalog/2 without a database: verification marks, sources, revisions, pending specialty
lists, moves with an unknown destination, and the bugs found on the way (JSON text, cycles, order)."""

from __future__ import annotations

import json

import yaml

from services.catalog.convert import catalog_read_from_file
from services.catalog.diff import diff_catalogs
from services.catalog.known import KnownCatalog
from services.catalog.rules import code_sort_key
from services.catalog.steps import check_step
from services.catalog.validate import read_source, validate_catalog
from tests.services.catalog.support import FILE_2022, FILE_2023, catalog_file, catalog_read
from tests.services.catalog.v2_support import V2, known_after, text_of


def codes(report) -> set[tuple[str, str, str]]:
    return {(p.code, p.where, p.field) for p in report.problems}


def test_a_one_line_json_catalog_is_text_not_a_file_name():
    doc = yaml.safe_load(FILE_2022.read_text(encoding="utf-8"))
    one_line = json.dumps(doc, ensure_ascii=False)
    assert "\n" not in one_line and len(one_line) > 4096  # longer than any file name
    assert read_source(one_line) == one_line
    report = validate_catalog(one_line)
    assert report.ok, [str(p) for p in report.problems]


def test_a_long_single_line_that_is_not_json_is_reported_not_crashed():
    report = validate_catalog("x" * 5000)
    assert not report.ok and {p.code for p in report.problems} == {"not_a_mapping"}


def test_v1_file_using_v2_keys_is_told_to_switch_format():
    doc = yaml.safe_load(FILE_2022.read_text(encoding="utf-8"))
    doc["goals"][0]["verification"] = "verified"
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True))
    assert ("v2_key_in_v1", "file", "verification/sources") in codes(report)


def test_v2_requires_verification_and_known_sources():
    doc = yaml.safe_load(text_of("catalog-2021.yaml"))
    del doc["goals"][1]["verification"]
    doc["goals"][0]["indicators"][0].update(verification="verified", sources=["nowhere"])
    doc["goals"][0]["lineage"][0].pop("verification")
    doc["goals"][1]["summary"] = ""
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True))
    found = codes(report)
    assert ("verification_missing", "NIT-2021-II", "verification") in found
    assert ("unknown_source", "NIT-2021-I.1", "sources") in found
    assert ("verification_missing", "NIT-2021-I", "lineage[0].verification") in found
    assert ("summary_missing", "NIT-2021-II", "summary") in found


def test_verified_without_sources_is_refused_but_unverified_may_have_none():
    doc = yaml.safe_load(text_of("catalog-2021.yaml"))
    doc["goals"][0]["sources"] = []
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True))
    assert ("sources_missing", "NIT-2021-I", "sources") in codes(report)
    assert all(p.where != "NIT-2021-II" for p in report.problems)  # unverified, no sources: fine


def test_a_lineage_cycle_has_its_own_message():
    doc = yaml.safe_load(text_of("catalog-2021.yaml"))
    doc["goals"][1]["lineage"] = [
        {
            "from": "NIT-2021-I",
            "kinds": ["continued"],
            "comparability": "comparable",
            "reason": "环",
            "reason_en": "cycle",
            "verification": "unverified",
        }
    ]
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True))
    cycle = [p for p in report.problems if p.code == "lineage_cycle"]
    assert cycle and cycle[0].where == "NIT-2021-II"
    assert "环" in cycle[0].message and "not a goal of a published year" not in cycle[0].message
    assert not any(p.code == "lineage_source_missing" for p in report.problems)


def test_a_source_from_a_later_year_is_a_cycle_too():
    later = validate_catalog(
        text_of("catalog-2021.yaml").replace(
            "kinds:\n    - new\n", "from: NIT-2022-I\n    kinds:\n    - continued\n", 1
        ),
        earlier=[catalog_file(FILE_2022)],
    )
    assert "lineage_cycle" in {p.code for p in later.problems}


def test_pending_specialty_list_leaves_the_previous_specialty_goals_pending_not_retired():
    known = known_after("2022", "2023")
    report = validate_catalog(V2 / "catalog-2024.yaml", known=known)
    assert report.ok, [str(p) for p in report.problems]
    doc = yaml.safe_load(text_of("catalog-2024.yaml"))
    doc["specialty_list"] = "loaded"
    loaded = validate_catalog(yaml.safe_dump(doc, allow_unicode=True), known=known)
    assert ("missing_outgoing", "PIT-2023-37", "lineage") in codes(loaded)
    read = catalog_read_from_file(report.catalog, known)
    assert "PIT-2023-37" in read.pending and len(read.pending) == 39


def test_move_with_an_unknown_destination_is_not_a_retirement():
    known = known_after("2022", "2023")
    report = validate_catalog(V2 / "catalog-2024.yaml", known=known)
    read = catalog_read_from_file(report.catalog, known)
    moved = [e for e in read.retired if e.from_code == "NIT-2023-IX"]
    assert moved[0].kinds == ["moved_to_specialty"] and moved[0].destination_unknown
    diff = diff_catalogs(catalog_read(FILE_2023), read)
    assert "NIT-2023-IX" in diff.destination_unknown and "NIT-2023-IX" not in diff.retired
    assert "NIT-2023-IX → ?" in diff.moved_to_specialty
    assert "PIT-2023-37" in diff.pending


def test_a_later_year_links_across_a_pending_year_without_reinstated():
    known = known_after("2022", "2023", "v2/2024")
    report = validate_catalog(V2 / "catalog-2025.yaml", known=known)
    assert report.ok, [str(p) for p in report.problems]


def test_diff_orders_goals_by_list_then_number_not_as_text():
    known = known_after("2022", "2023")
    report = validate_catalog(V2 / "catalog-2024.yaml", known=known)
    diff = diff_catalogs(catalog_read(FILE_2023), catalog_read_from_file(report.catalog, known))
    assert diff.added == ["NIT-2024-V", "NIT-2024-IX"]  # text order would put IX before V
    targets = [c.to_code for c in diff.changes if c.to_code]
    assert targets.index("NIT-2024-V") < targets.index("NIT-2024-IX")
    assert sorted(["PIT-2023-10", "NIT-2023-IX", "NIT-2023-V", "PIT-2023-9"], key=code_sort_key) == [
        "NIT-2023-V",
        "NIT-2023-IX",
        "PIT-2023-9",
        "PIT-2023-10",
    ]


def test_earlier_year_alone_behind_a_published_one_is_refused_naming_the_command():
    known = known_after("2022", "2023")
    alone = check_step([V2 / "catalog-2021.yaml"], known)
    problem = next(p for p in alone[0].report.problems if p.code == "earlier_year_needs_link")
    assert "qcp catalog publish catalog-2021.yaml catalog-2022.r2.yaml" in problem.message
    together = check_step([V2 / "catalog-2022.r2.yaml", V2 / "catalog-2021.yaml"], known)
    assert [c.report.catalog.label for c in together] == ["2021", "2022 r2"]  # ordered by year
    assert all(c.report.ok for c in together), [str(p) for c in together for p in c.report.problems]


def test_revision_rules_codes_stable_withdrawn_listed_no_gaps():
    known = known_after("2022", "2023")
    doc = yaml.safe_load(text_of("catalog-2022.r2.yaml"))
    doc["withdrawn"] = []  # NIT-2022-IX.4 disappears without being withdrawn
    doc["goals"] = [g for g in doc["goals"] if g["code"] != "NIT-2022-X"]  # a goal dropped
    doc["revision"] = 3
    doc["revision_reason"] = ""
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True), known=known, earlier=[])
    found = codes(report)
    assert ("indicator_dropped_in_revision", "NIT-2022-IX.4", "code") in found
    assert ("goal_dropped_in_revision", "NIT-2022-X", "code") in found
    assert ("revision_gap", "file", "revision") in found
    assert ("revision_reason_missing", "file", "revision_reason") in found


def test_withdrawn_is_only_for_revisions():
    doc = yaml.safe_load(text_of("catalog-2021.yaml"))
    doc["withdrawn"] = [{"code": "NIT-2021-I.1", "reason": "x", "reason_en": "x"}]
    report = validate_catalog(yaml.safe_dump(doc, allow_unicode=True))
    assert ("withdrawn_in_first_revision", "file", "withdrawn") in codes(report)


def test_known_catalog_of_files_keeps_the_highest_revision():
    known = KnownCatalog.from_files([catalog_file(FILE_2022)])
    assert known.revisions == {2022: 1}
    r2 = validate_catalog(V2 / "catalog-2022.r2.yaml", known=known_after("2022", "2023", "v2/2021")).catalog
    assert r2 is not None
    merged = known.merged_with([r2])
    assert merged.revisions[2022] == 2 and "NIT-2022-IX.5" in merged.indicators

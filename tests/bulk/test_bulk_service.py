"""Provincial bulk upload through the service, on committed PostgreSQL as the restricted app role.

Each test makes its own hospitals, so tests do not see each other's values.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.errors import NotFound, PermissionDenied
from services.core.quarter import Quarter
from services.submission import bulk
from services.submission.schemas import ValueIn
from services.submission.service import submit
from tests.bulk.conftest import QUARTER, BulkDb, Hospitals, csv_file, run_upload
from tests.submission.support import GD, ZJ, add_hospital, provincial_admin, set_window, submitter

ADMIN = provincial_admin(ZJ)


def stored(db: BulkDb, hospital_id: int) -> dict[str, int]:
    """Rows of each submission table (and audit rows) for the hospital, read as the owner."""
    out = {}
    with db.owner.connect() as conn:
        for table in ("submissions", "submission_values", "submission_value_versions", "submission_events"):
            out[table] = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE hospital_id = :h"), {"h": hospital_id}
            ).scalar_one()
        out["audit"] = conn.execute(
            text(
                "SELECT count(*) FROM audit_log a JOIN submissions s ON a.entity = 'submission'"
                " AND a.entity_id = s.id::text WHERE s.hospital_id = :h"
            ),
            {"h": hospital_id},
        ).scalar_one()
    return out


NOTHING = {
    "submissions": 0,
    "submission_values": 0,
    "submission_value_versions": 0,
    "submission_events": 0,
    "audit": 0,
}


def codes(job: bulk.BulkUploadRead) -> list[tuple[int | None, str]]:
    return [(p["row"], p["code"]) for p in job.problems]


def good_rows(h: Hospitals) -> list[tuple]:
    return [
        (h.zj, QUARTER, "NIT-2023-I.1", 3, 10, "含日间手术"),
        (h.zj, QUARTER, "NIT-2023-IV.1", 1, 100, None),
        (h.zj_code, QUARTER, "NIT-2023-IV.2", 2, 100, None),
        (h.zj2, QUARTER, "NIT-2023-I.1", 4, 10, None),
    ]


def test_stores_every_hospital_with_versions_events_and_one_audit_row_each(bulk_db, hospitals):
    job = run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals)))
    assert job.status == "succeeded", job.problems
    assert job.result["hospitals_passed"] == 2 and job.result["values_written"] == 4
    assert stored(bulk_db, hospitals.zj) == {
        "submissions": 1,
        "submission_values": 3,
        "submission_value_versions": 3,
        "submission_events": 1,
        "audit": 1,
    }
    with bulk_db.owner.connect() as conn:
        header = conn.execute(
            text("SELECT status, version FROM submissions WHERE hospital_id = :h"), {"h": hospitals.zj}
        ).one()
        after = conn.execute(
            text(
                "SELECT a.after FROM audit_log a JOIN submissions s ON a.entity_id = s.id::text"
                " AND a.entity = 'submission' WHERE s.hospital_id = :h"
            ),
            {"h": hospitals.zj},
        ).scalar_one()
        comment = conn.execute(
            text("SELECT comment FROM submission_values WHERE hospital_id = :h AND comment IS NOT NULL"),
            {"h": hospitals.zj},
        ).scalar_one()
    assert tuple(header) == ("submitted", 1)
    assert after["changed"] == ["NIT-2023-I.1", "NIT-2023-IV.1", "NIT-2023-IV.2"]
    assert after["bulk_upload"] == job.id and after["source"] == "csv"
    assert comment == "含日间手术"


def test_a_hospital_of_another_province_refuses_the_file_naming_the_row(bulk_db, hospitals):
    rows = [*good_rows(hospitals), (hospitals.gd_code, QUARTER, "NIT-2023-I.1", 1, 10, None)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert job.status == "refused"
    assert codes(job) == [(6, "hospital_not_found")]
    assert "第 6 行" in job.problems[0]["problem"] and hospitals.gd_code in job.problems[0]["problem"]
    assert stored(bulk_db, hospitals.zj) == NOTHING and stored(bulk_db, hospitals.gd) == NOTHING


def test_a_hospital_id_outside_the_province_or_unknown_is_refused(bulk_db, hospitals):
    rows = [
        (hospitals.zj, QUARTER, "NIT-2023-I.1", 1, 10, None),
        (hospitals.gd, QUARTER, "NIT-2023-I.1", 1, 10, None),
        (99999999, QUARTER, "NIT-2023-I.1", 1, 10, None),
        ("", QUARTER, "NIT-2023-I.1", 1, 10, None),
    ]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert job.status == "refused"
    assert codes(job) == [(3, "hospital_not_found"), (4, "hospital_not_found"), (5, "required")]
    assert stored(bulk_db, hospitals.zj) == NOTHING


def test_duplicated_rows_are_listed_with_the_row_they_repeat(bulk_db, hospitals):
    rows = [*good_rows(hospitals), (hospitals.zj_code, QUARTER, "NIT-2023-I.1", 5, 10, None)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert codes(job) == [(6, "duplicate_indicator")]
    assert "与第 2 行重复" in job.problems[0]["problem"]
    assert stored(bulk_db, hospitals.zj) == NOTHING


def test_mixed_quarters_are_refused(bulk_db, hospitals):
    rows = [*good_rows(hospitals), (hospitals.zj2, "2023Q1", "NIT-2023-IV.1", 1, 100, None)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert codes(job) == [(6, "mixed_quarters")]
    assert "2023Q1" in job.problems[0]["problem"]


def test_the_quarter_can_come_from_the_file(bulk_db, hospitals):
    job = run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals)), quarter=None)
    assert job.status == "succeeded" and job.quarter == QUARTER


def test_every_value_problem_is_listed_by_row_hospital_and_indicator(bulk_db, hospitals):
    h = hospitals
    rows = [
        (h.zj, QUARTER, "NIT-2023-I.1", 11, 10, None),  # numerator above denominator
        (h.zj, QUARTER, "NOPE-1", 1, 10, None),  # unknown
        (h.zj, QUARTER, "NIT-2022-VI.2", 1, 10, None),  # renumbered in 2023
        (h.zj, QUARTER, "NIT-2023-IV.1", "abc", 10, None),
        (h.zj, QUARTER, "NIT-2023-IV.2", -1, 10, None),
        (h.zj, QUARTER, "NIT-2023-IV.3", 1, "", None),
        (h.zj2, QUARTER, "NIT-2023-VIII.1", 2, 0, None),
    ]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert codes(job) == [
        (2, "numerator_above_denominator"),
        (3, "unknown_indicator"),
        (4, "indicator_renamed"),
        (5, "not_a_count"),
        (6, "not_a_count"),
        (7, "required"),
        (8, "numerator_without_denominator"),
    ]
    renamed = job.problems[2]
    assert renamed["hospital_id"] == h.zj and renamed["indicator"] == "NIT-2022-VI.2"
    assert "NIT-2023-VIII.1" in renamed["fix"]
    assert job.problem_count == 7 and stored(bulk_db, h.zj2) == NOTHING


def test_cross_indicator_rules_apply_per_hospital(bulk_db, hospitals):
    rows = [
        (hospitals.zj, QUARTER, "NIT-2023-IV.1", 5, 100, None),
        (hospitals.zj, QUARTER, "NIT-2023-IV.2", 2, 100, None),
    ]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert [p["code"] for p in job.problems] == ["cross_indicator_order"]
    assert job.problems[0]["hospital_id"] == hospitals.zj and job.problems[0]["row"] == 2


def test_keep_passing_stores_the_clean_hospitals_and_lists_the_others(bulk_db, hospitals):
    rows = [*good_rows(hospitals), (hospitals.zj2, QUARTER, "NIT-2023-IV.1", 9, 1, None)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows), keep_passing=True)
    assert job.status == "succeeded"
    assert codes(job) == [(6, "numerator_above_denominator")]
    assert job.result["hospitals_passed"] == 1 and job.result["hospitals_refused"] == 1
    assert stored(bulk_db, hospitals.zj)["submission_values"] == 3
    assert stored(bulk_db, hospitals.zj2) == NOTHING


def test_a_dry_run_that_keeps_passing_hospitals_says_which_would_be_stored(bulk_db, hospitals):
    rows = [*good_rows(hospitals), (hospitals.zj2, QUARTER, "NIT-2023-IV.1", 9, 1, None)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows), keep_passing=True, dry_run=True)
    assert job.status == "succeeded" and codes(job) == [(6, "numerator_above_denominator")]
    assert job.result["hospitals_passed"] == 1 and job.result["stored"] is False
    assert stored(bulk_db, hospitals.zj) == NOTHING


def test_dry_run_stores_nothing_and_reports_what_would_change(bulk_db, hospitals):
    job = run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals)), dry_run=True)
    assert job.status == "succeeded" and job.dry_run
    assert job.result["stored"] is False and job.result["values_changed"] == 4
    assert stored(bulk_db, hospitals.zj) == NOTHING and stored(bulk_db, hospitals.zj2) == NOTHING


def test_a_correction_needs_a_reason_and_keeps_the_history(bulk_db, hospitals):
    first = run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals)))
    assert first.status == "succeeded"
    changed = [
        (hospitals.zj, QUARTER, "NIT-2023-I.1", 4, 10, None),
        (hospitals.zj2, QUARTER, "NIT-2023-I.1", 4, 10, None),
    ]
    refused = run_upload(bulk_db.database, ADMIN, csv_file(changed))
    assert codes(refused) == [(2, "reason_required")]  # hospital zj2 sent the same value: no correction
    job = run_upload(bulk_db.database, ADMIN, csv_file(changed), reason="更正：漏报 1 例")
    assert job.status == "succeeded" and job.result["values_changed"] == 1
    with bulk_db.owner.connect() as conn:
        history = conn.execute(
            text(
                "SELECT v.version, v.numerator, v.reason FROM submission_value_versions v JOIN indicators i"
                " ON i.id = v.indicator_id WHERE v.hospital_id = :h AND i.code = 'NIT-2023-I.1' ORDER BY v.version"
            ),
            {"h": hospitals.zj},
        ).all()
        events = (
            conn.execute(
                text("SELECT action FROM submission_events WHERE hospital_id = :h ORDER BY id"),
                {"h": hospitals.zj},
            )
            .scalars()
            .all()
        )
    assert [tuple(r) for r in history] == [(1, 3, ""), (2, 4, "更正：漏报 1 例")]
    assert events == ["submit", "correct"]


def test_an_approved_quarter_is_locked_for_the_upload(bulk_db, hospitals):
    assert run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals))).status == "succeeded"
    with Session(bulk_db.owner) as session, session.begin():
        session.execute(
            text("UPDATE submissions SET status = 'approved' WHERE hospital_id = :h"), {"h": hospitals.zj}
        )
    # the lock sits on the hospital's first row, yet that row's value still counts for the other rules
    # (else IV.1 on record, 1/100, would meet the new 2/500 and 3/500: a false denominator_mismatch)
    rows = [(hospitals.zj, QUARTER, f"NIT-2023-IV.{i}", i, 500, None) for i in (1, 2, 3)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows), reason="更正")
    assert codes(job) == [(2, "submission_locked")]


def test_a_locked_window_refuses_hospitals_that_were_not_reopened(bulk_db, hospitals):
    with Session(bulk_db.owner) as session, session.begin():
        set_window(
            session,
            GD,
            "2023Q3",
            opened=timedelta(days=60),
            due=-timedelta(days=30),
            locks=-timedelta(days=1),
        )
        set_window(
            session,
            ZJ,
            "2023Q3",
            opened=timedelta(days=60),
            due=-timedelta(days=30),
            locks=-timedelta(days=1),
        )
    rows = [(hospitals.zj, "2023Q3", "NIT-2023-I.1", 1, 10, None)]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows), quarter="2023Q3")
    assert codes(job) == [(2, "window_locked")]


def test_the_same_rules_as_a_single_submission_after_a_bulk_upload(bulk_db, hospitals):
    """A single submission later sees the bulk values as on record (a change needs a reason)."""
    assert run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals))).status == "succeeded"
    actor = submitter(hospitals.zj)
    with bulk_db.database.unit_of_work(actor) as session:
        result = submit(
            session,
            actor,
            hospital_id=hospitals.zj,
            quarter=Quarter.parse(QUARTER),
            values=[ValueIn(indicator="NIT-2023-I.1", numerator=3, denominator=10, comment="含日间手术")],
            source="api",
        )
    assert result.unchanged == ["NIT-2023-I.1"] and result.version == 1


def test_json_lines_and_xlsx_are_read_like_csv(bulk_db, hospitals):
    lines = [
        {"hospital": hospitals.zj, "indicator": "NIT-2023-I.1", "numerator": 1, "denominator": 2},
        {
            "credit_code": hospitals.zj2,
            "quarter": QUARTER,
            "indicator": "NIT-2023-I.1",
            "numerator": 1,
            "denominator": 2,
        },
    ]
    jsonl = "\n".join(json.dumps(x) for x in lines).encode()
    assert run_upload(bulk_db.database, ADMIN, jsonl, kind="jsonl").status == "succeeded"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["hospital", "indicator", "numerator", "denominator"])
    ws.append([hospitals.zj, "NIT-2023-IV.1", 1.0, 100])
    ws.append([hospitals.zj, "NIT-2023-IV.2", "x", 100])
    out = io.BytesIO()
    wb.save(out)
    job = run_upload(bulk_db.database, ADMIN, out.getvalue(), kind="xlsx")
    assert codes(job) == [(3, "not_a_count")]


def test_bad_json_lines_and_bad_headers_are_named(bulk_db, hospitals):
    job = run_upload(bulk_db.database, ADMIN, b'{"hospital": 1, "indicator": "x"\n[1]\n', kind="jsonl")
    assert [p["code"] for p in job.problems][:2] == ["bad_json", "bad_json"]
    job = run_upload(bulk_db.database, ADMIN, csv_file([], header="指标编码,分子,分母,颜色"))
    assert job.status == "refused"
    assert sorted(p["code"] for p in job.problems) == ["missing_column", "unknown_column"]


def test_hospital_users_cannot_upload_or_read_jobs(bulk_db, hospitals):
    job = run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals)), dry_run=True)
    hospital_user = submitter(hospitals.zj)
    with pytest.raises(PermissionDenied), bulk_db.database.unit_of_work(hospital_user) as session:
        bulk.create_job(session, hospital_user, options=bulk.BulkOptions(kind="csv"), bytes_total=1)
    with pytest.raises(PermissionDenied), bulk_db.database.unit_of_work(hospital_user) as session:
        bulk.get_job(session, hospital_user, job_id=job.id)


def test_another_province_cannot_see_the_job_even_past_the_service(bulk_db, hospitals):
    job = run_upload(bulk_db.database, ADMIN, csv_file(good_rows(hospitals)), dry_run=True)
    gd_admin = provincial_admin(GD)
    with pytest.raises(NotFound), bulk_db.database.unit_of_work(gd_admin) as session:
        bulk.get_job(session, gd_admin, job_id=job.id)
    with bulk_db.database.unit_of_work(gd_admin) as session:  # RLS alone, no service filter
        assert (
            session.execute(text("SELECT count(*) FROM bulk_uploads WHERE id = :i"), {"i": job.id}).scalar()
            == 0
        )
    with bulk_db.database.unit_of_work(submitter(hospitals.zj)) as session:  # a hospital role of the province
        assert session.execute(text("SELECT count(*) FROM bulk_uploads")).scalar() == 0


def test_an_upload_waits_for_a_single_submission_in_flight_and_sees_its_values(bulk_db, hospitals):
    """The province-quarter lock: a single writer holds it shared, the upload exclusively."""
    import threading

    actor = submitter(hospitals.zj)
    outcome: dict[str, bulk.BulkUploadRead] = {}
    rows = [(hospitals.zj, QUARTER, "NIT-2023-I.1", 7, 10, None)]
    worker = threading.Thread(
        target=lambda: outcome.setdefault("job", run_upload(bulk_db.database, ADMIN, csv_file(rows)))
    )
    with bulk_db.database.unit_of_work(actor) as session:
        submit(
            session,
            actor,
            hospital_id=hospitals.zj,
            quarter=Quarter.parse(QUARTER),
            values=[ValueIn(indicator="NIT-2023-I.1", numerator=3, denominator=10)],
            source="api",
        )
        worker.start()
        worker.join(timeout=1.5)
        assert worker.is_alive(), "the upload did not wait for the submission in flight"
    worker.join(timeout=60)
    # it ran after the commit: 3/10 is on record, so 7/10 is a correction that needs a reason
    assert codes(outcome["job"]) == [(2, "reason_required")]


def test_every_kind_of_bad_row_in_one_file_is_named_by_row_hospital_and_indicator(bulk_db, hospitals):
    """The checks run as one pass over the rows plus one row per hospital: each problem still lands on
    its own row, hospital and indicator when many kinds are mixed in one file."""
    h = hospitals
    with Session(bulk_db.owner) as session, session.begin():
        session.info["raw"] = True
        inactive = add_hospital(session, ZJ, "批量停用院", active=False)
        indicator, goal = session.execute(
            text("SELECT id, goal_id FROM indicators WHERE code = 'NIT-2023-I.1'")
        ).one()
        session.execute(
            text(
                "INSERT INTO indicator_applicability (province_code, hospital_id, goal_id, indicator_id, status,"
                " reason, set_by) VALUES (:p, :h, :g, :i, 'not_applicable', '无此科室', 'test')"
            ),
            {"p": ZJ, "h": h.zj2, "g": goal, "i": indicator},
        )
    rows = [
        (h.zj, QUARTER, "NIT-2023-I.1", 3, 10, None),  # 2: clean
        (h.gd_code, QUARTER, "NIT-2023-I.1", 1, 10, None),  # 3: another province's hospital (credit code)
        (h.gd, QUARTER, "NIT-2023-IV.1", 1, 10, None),  # 4: another province's hospital (id)
        (h.zj, QUARTER, "NIT-2023-I.1", 4, 10, None),  # 5: repeats row 2
        (h.zj, "2023Q1", "NIT-2023-IV.1", 1, 100, None),  # 6: another quarter
        (h.zj2, QUARTER, "NIT-2023-I.1", 1, 10, None),  # 7: marked not applicable
        (inactive, QUARTER, "NIT-2023-I.1", 1, 10, None),  # 8: inactive hospital
        (h.zj2, QUARTER, "NIT-2023-IV.2", 1, 10, "x" * 2001),  # 9: comment too long
        (h.zj2, QUARTER, "NIT-2023-IV.3", 1, 10, None),  # 10: clean
        (h.gd_code, QUARTER, "NIT-2023-IV.2", 1, 10, None),  # 11: the same foreign hospital again
    ]
    job = run_upload(bulk_db.database, ADMIN, csv_file(rows))
    assert job.status == "refused"
    assert [(p["row"], p["code"], p["hospital_id"], p["indicator"]) for p in job.problems] == [
        (3, "hospital_not_found", None, None),
        (4, "hospital_not_found", None, None),
        (5, "duplicate_indicator", h.zj, "NIT-2023-I.1"),
        (6, "mixed_quarters", h.zj, "NIT-2023-IV.1"),
        (7, "not_applicable", h.zj2, "NIT-2023-I.1"),
        (8, "hospital_inactive", inactive, None),
        (9, "too_long", h.zj2, "NIT-2023-IV.2"),
    ]
    assert "共 2 行" in job.problems[0]["problem"]  # the foreign hospital's two rows, named once
    assert "无此科室" in job.problems[4]["problem"] and "与第 2 行重复" in job.problems[2]["problem"]
    assert job.problem_count == 7
    for hospital in (h.zj, h.zj2, h.gd, inactive):
        assert stored(bulk_db, hospital) == NOTHING
    kept = run_upload(bulk_db.database, ADMIN, csv_file(rows), keep_passing=True, dry_run=True)
    assert kept.result["hospitals"] == 3 and kept.result["hospitals_passed"] == 0

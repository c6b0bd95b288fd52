"""Set-based writing of a checked bulk upload: the same tables, versions, events and audit rows as
``service.submit`` writes for one hospital, one statement per table for all hospitals at once.

Runs after ``bulk_checks.run_checks`` in the same transaction, under the province-quarter lock
(``repository.lock_hospital_quarter`` takes it shared for single writers). ``bulk_ok`` holds the
hospitals to store: all of them, or those without problems when the caller keeps the ones that passed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from services.core.errors import Conflict
from services.core.quarter import Quarter

_STATEMENTS = {
    "ok": """
CREATE TEMP TABLE bulk_ok ON COMMIT DROP AS
SELECT hospital_id FROM bulk_hospitals
EXCEPT SELECT hospital_id FROM bulk_problems WHERE hospital_id IS NOT NULL
""",
    # per hospital, the codes whose values change (once: the summary, the headers and the audit rows
    # read these few thousand rows instead of aggregating the changes again)
    "changed": """
CREATE TEMP TABLE bulk_changed ON COMMIT DROP AS
SELECT hospital_id, count(*) AS n, array_agg(code ORDER BY code) AS codes FROM bulk_changes GROUP BY hospital_id
""",
    "lock": """
SELECT s.id FROM submissions s JOIN bulk_ok o ON o.hospital_id = s.hospital_id
WHERE s.quarter = :quarter ORDER BY s.id FOR UPDATE OF s
""",
    "headers": """
INSERT INTO submissions (province_code, hospital_id, quarter, catalog_year, status, version)
SELECT :province, o.hospital_id, :quarter, :year, 'draft', 0 FROM bulk_ok o
WHERE NOT EXISTS (SELECT 1 FROM submissions s WHERE s.hospital_id = o.hospital_id AND s.quarter = :quarter)
""",
    # the headers of the hospitals to store (new ones included), analysed: the planner's statistics
    # of ``submissions`` do not know the rows this transaction has just added, and without them it
    # picked nested loops over the staged changes (minutes instead of seconds at national scale)
    "header_ids": """
CREATE TEMP TABLE bulk_headers ON COMMIT DROP AS
SELECT s.id AS submission_id, s.hospital_id FROM submissions s JOIN bulk_ok o ON o.hospital_id = s.hospital_id
WHERE s.quarter = :quarter
""",
    "analyze": "ANALYZE bulk_headers",
    "insert_values": """
INSERT INTO submission_values (submission_id, province_code, hospital_id, indicator_id, numerator, denominator,
                               comment, version, updated_at, updated_by)
SELECT h.submission_id, :province, c.hospital_id, c.indicator_id, c.numerator, c.denominator, c.comment, 1,
       CAST(:at AS timestamptz), CAST(:by AS text)
FROM bulk_changes c JOIN bulk_headers h ON h.hospital_id = c.hospital_id WHERE c.version = 1
""",
    "update_values": """
UPDATE submission_values v
SET numerator = c.numerator, denominator = c.denominator, comment = c.comment, version = c.version,
    updated_at = CAST(:at AS timestamptz), updated_by = CAST(:by AS text)
FROM bulk_changes c JOIN bulk_headers h ON h.hospital_id = c.hospital_id
WHERE c.version > 1 AND v.submission_id = h.submission_id AND v.indicator_id = c.indicator_id
  AND v.version = c.version - 1
""",
    "versions": """
INSERT INTO submission_value_versions (submission_id, province_code, hospital_id, indicator_id, version, numerator,
                                       denominator, comment, reason, source, actor_subject, actor_roles, client_id)
SELECT h.submission_id, :province, c.hospital_id, c.indicator_id, c.version, c.numerator, c.denominator, c.comment,
       CAST(:reason AS text), CAST(:source AS text), CAST(:by AS text), CAST(:roles AS varchar(32)[]), CAST(:client AS text)
FROM bulk_changes c JOIN bulk_headers h ON h.hospital_id = c.hospital_id
""",
    "done_table": """
CREATE TEMP TABLE bulk_done (id bigint, hospital_id bigint, version integer, old_status text, old_version integer)
ON COMMIT DROP
""",
    "submit_headers": """
WITH touched AS (
  SELECT s.id, s.status AS old_status, s.version AS old_version
  FROM submissions s JOIN bulk_headers h ON h.submission_id = s.id
  WHERE s.status <> 'submitted' OR EXISTS (SELECT 1 FROM bulk_changed ch WHERE ch.hospital_id = s.hospital_id)
), updated AS (
  UPDATE submissions s
  SET status = 'submitted', version = s.version + 1, submitted_at = CAST(:at AS timestamptz), updated_at = CAST(:at AS timestamptz),
      late = CASE WHEN s.first_submitted_at IS NULL THEN CAST(:late AS boolean) ELSE s.late END,
      first_submitted_at = coalesce(s.first_submitted_at, CAST(:at AS timestamptz))
  FROM touched t WHERE s.id = t.id
  RETURNING s.id, s.hospital_id, s.version, t.old_status, t.old_version
)
INSERT INTO bulk_done SELECT * FROM updated
""",
    "events": """
INSERT INTO submission_events (submission_id, province_code, hospital_id, action, from_status, to_status,
                               submission_version, comment, actor_subject, actor_roles, client_id, at)
SELECT d.id, :province, d.hospital_id, CASE WHEN d.old_status = 'submitted' THEN 'correct' ELSE 'submit' END,
       d.old_status, 'submitted', d.version, CAST(:reason AS text), CAST(:by AS text), CAST(:roles AS varchar(32)[]), CAST(:client AS text), CAST(:at AS timestamptz)
FROM bulk_done d
""",
    "audit": """
INSERT INTO audit_log (province_code, actor_subject, actor_roles, client_id, action, entity, entity_id, outcome,
                       reason, before, after)
SELECT :province, CAST(:by AS text), CAST(:roles AS varchar(32)[]), CAST(:client AS text),
       CASE WHEN d.old_status = 'submitted' THEN 'submission.correct' ELSE 'submission.submit' END,
       'submission', d.id::text, 'ok', CAST(:reason AS text),
       jsonb_build_object('status', d.old_status, 'version', d.old_version),
       jsonb_build_object('status', 'submitted', 'version', d.version, 'source', CAST(:source AS text),
                          'bulk_upload', CAST(:job AS bigint), 'changed', coalesce(to_jsonb(ch.codes), '[]'::jsonb))
FROM bulk_done d LEFT JOIN bulk_changed ch ON ch.hospital_id = d.hospital_id
""",
}

log = logging.getLogger(__name__)
CONCURRENT = "并发更正冲突，请重试 / a concurrent correction won: retry"


@dataclass(frozen=True)
class WriteContext:
    province: str
    quarter: Quarter
    at: datetime
    late: bool
    by: str
    roles: list[str]
    client: str | None
    reason: str
    source: str
    job: int


def choose_hospitals(session: Session, quarter: Quarter) -> None:
    """``bulk_ok``: the hospitals whose rows are all clean; their headers locked ``FOR UPDATE``."""
    session.execute(text(_STATEMENTS["ok"]))
    session.execute(text("ANALYZE bulk_ok"))
    session.execute(text(_STATEMENTS["changed"]))
    session.execute(text("ANALYZE bulk_changed"))
    session.execute(text(_STATEMENTS["lock"]), {"quarter": str(quarter)})


def write(session: Session, ctx: WriteContext) -> dict[str, int]:
    """Store ``bulk_changes`` of the ``bulk_ok`` hospitals; counts of what was written."""
    params: dict[str, Any] = {
        "province": ctx.province,
        "quarter": str(ctx.quarter),
        "year": ctx.quarter.year,
        "at": ctx.at,
        "late": ctx.late,
        "by": ctx.by,
        "roles": ctx.roles,
        "client": ctx.client,
        "reason": ctx.reason,
        "source": ctx.source,
        "job": ctx.job,
    }

    seconds: dict[str, float] = {}

    def run(name: str) -> int:
        start = time.perf_counter()
        result: CursorResult[Any] = session.execute(text(_STATEMENTS[name]), params)  # type: ignore[assignment]
        seconds[name] = round(time.perf_counter() - start, 3)
        return result.rowcount

    created = run("headers")
    run("header_ids")
    run("analyze")
    changes = session.execute(
        text("SELECT count(*) FROM bulk_changes c JOIN bulk_headers h ON h.hospital_id = c.hospital_id")
    ).scalar_one()
    written = run("insert_values") + run("update_values")
    if written != changes:  # under the lock this cannot happen; never let it pass silently either
        raise Conflict(CONCURRENT, expected=changes, written=written)
    run("versions")
    run("done_table")
    submitted = run("submit_headers")
    run("events")
    run("audit")
    log.info("bulk upload %s: seconds per statement %s", ctx.job, seconds)
    return {"values_written": written, "headers_created": created, "hospitals_submitted": submitted}

"""Queries of the submission package. Tenant-scoped reads go through :func:`submissions_stmt`
(the one place the caller's scope filter is written; RLS enforces the same thing underneath)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Select,
    Text,
    any_,
    bindparam,
    column,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.quarter import Quarter
from services.models import (
    CatalogYear,
    Goal,
    Hospital,
    IdempotencyKey,
    Indicator,
    IndicatorApplicability,
    Submission,
    SubmissionValue,
    SubmissionValueVersion,
)
from services.registry.queries import hospitals_stmt, province_scope, province_scope_sql
from services.submission.validation import Counts, IndicatorInfo

# Lists travel as one array parameter (``= ANY(:codes)``), not ``IN (:c1, …, :c62)``: one short
# statement whatever the batch size, which psycopg and SQLAlchemy prepare once instead of per request.
_INFO_COLUMNS = (
    Indicator.id,
    Indicator.code,
    Indicator.year,
    Indicator.goal_id,
    Goal.code,
    Goal.list,
    Indicator.kind,
    Indicator.withdrawn_revision,
    Indicator.replaced_by,
)


def submissions_stmt(actor: Actor) -> Select[Submission]:
    stmt = select(Submission).where(province_scope(Submission.province_code, actor))
    if actor.hospital_id is not None:
        stmt = stmt.where(Submission.hospital_id == actor.hospital_id)
    return stmt


def submissions_scope_sql(actor: Actor, alias: str) -> tuple[str, dict[str, Any]]:
    """:func:`submissions_stmt`'s filter for a text statement on submissions ``alias``."""
    sql, params = province_scope_sql(f"{alias}.province_code", actor)
    if actor.hospital_id is not None:
        sql, params = (
            f"{sql} AND {alias}.hospital_id = :scope_hospital",
            {**params, "scope_hospital": actor.hospital_id},
        )
    return sql, params


def bulk_lock_key(province_code: str, quarter: Quarter) -> str:
    return f"qcp.bulk:{province_code}:{quarter}"


def hospital_lock_key(hospital_id: int, quarter: Quarter) -> str:
    return f"qcp.submission:{hospital_id}:{quarter}"


def lock_hospital_quarter(session: Session, hospital: Hospital, quarter: Quarter) -> None:
    """Serialise every writer of one hospital-quarter, even before its header row exists.

    A transaction-level advisory lock writes nothing, so a refused request leaves no trace; the
    header is additionally read ``FOR UPDATE`` by :func:`load_header`. The province-quarter lock is
    taken shared first: a bulk upload of the province's quarter (``services.submission.bulk``) holds
    it exclusively, so single writers wait for it (and it for them) without one lock per hospital.
    """
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock_shared(hashtextextended(:b, 0)),"
            " pg_advisory_xact_lock(hashtextextended(:k, 0))"
        ),
        {"b": bulk_lock_key(hospital.province_code, quarter), "k": hospital_lock_key(hospital.id, quarter)},
    )


def load_hospital_locked(
    session: Session, actor: Actor, hospital_id: int, quarter: Quarter
) -> Hospital | None:
    """The hospital in the caller's scope with :func:`lock_hospital_quarter`'s two locks (same keys,
    same order) taken by the same statement, only when the row is found (one round trip, not two)."""
    bulk_key = literal("qcp.bulk:", Text) + Hospital.province_code + literal(f":{quarter}", Text)
    stmt = (
        hospitals_stmt(actor)
        .where(Hospital.id == hospital_id)
        .add_columns(
            func.pg_advisory_xact_lock_shared(func.hashtextextended(bulk_key, 0)),
            func.pg_advisory_xact_lock(
                func.hashtextextended(literal(hospital_lock_key(hospital_id, quarter), Text), 0)
            ),
        )
    )
    row = session.execute(stmt).first()
    return row[0] if row is not None else None


def lock_idempotency_key(session: Session, province: str, subject: str, key: str) -> None:
    """Serialise requests that carry the same caller's Idempotency-Key (two quarters sent at once
    with one key: the second waits, then finds the key used and answers 409 instead of a unique
    violation)."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"qcp.idempotency:{province}:{subject}:{key}"},
    )


def load_header(
    session: Session, actor: Actor, hospital_id: int, quarter: Quarter, *, for_update: bool = False
) -> Submission | None:
    stmt = submissions_stmt(actor).where(
        Submission.hospital_id == hospital_id, Submission.quarter == str(quarter)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def catalog_published(session: Session, year: int) -> bool:
    return session.get(CatalogYear, year) is not None


def _infos(session: Session, stmt: Select[*tuple[Any, ...]]) -> dict[str, IndicatorInfo]:
    # The statement's columns are IndicatorInfo's fields in order; mypy cannot count a star-argument.
    return {row[1]: IndicatorInfo(*row[:-1], tuple(row[-1] or ())) for row in session.execute(stmt).all()}  # type: ignore[call-arg]


def indicators_by_code(session: Session, codes: Iterable[str]) -> dict[str, IndicatorInfo]:
    stmt = (
        select(*_INFO_COLUMNS)
        .join(Goal, Goal.id == Indicator.goal_id)
        .where(Indicator.code == any_(bindparam("codes", list(codes), type_=ARRAY(Text))))
    )
    return _infos(session, stmt)


def year_indicators(session: Session, year: int) -> dict[str, IndicatorInfo]:
    stmt = (
        select(*_INFO_COLUMNS)
        .join(Goal, Goal.id == Indicator.goal_id)
        .where(Indicator.year == year, Indicator.withdrawn_revision.is_(None))  # withdrawn: no new values
    )
    return _infos(session, stmt.order_by(Goal.list, Goal.number, Indicator.seq))


def year_indicator_rows(session: Session, year: int) -> list[list[Any]]:
    """Every indicator of ``year`` (withdrawn ones too), as the rows ``_INFO_COLUMNS`` describe."""
    stmt = select(*_INFO_COLUMNS).join(Goal, Goal.id == Indicator.goal_id).where(Indicator.year == year)
    return [list(row) for row in session.execute(stmt).all()]


def applicability_rows(session: Session, hospital_id: int) -> list[IndicatorApplicability]:
    stmt = select(IndicatorApplicability).where(IndicatorApplicability.hospital_id == hospital_id)
    return list(session.execute(stmt).scalars())


def not_applicable_reasons(
    session: Session, hospital_id: int, infos: Iterable[IndicatorInfo]
) -> dict[str, str]:
    """Indicator code → reason, for indicators (or their goals) marked not applicable to the hospital."""
    marks = (
        (r.goal_id, r.indicator_id, r.status, r.reason) for r in applicability_rows(session, hospital_id)
    )
    return reasons_by_code(marks, infos)


def reasons_by_code(marks: Iterable[Sequence[Any]], infos: Iterable[IndicatorInfo]) -> dict[str, str]:
    """Indicator code → reason from applicability marks ``(goal_id, indicator_id, status, reason)``:
    an indicator's own mark wins over its goal's."""
    rows = [m for m in marks if m[2] == "not_applicable"]
    by_goal = {m[0]: m[3] for m in rows if m[1] is None}
    by_indicator = {m[1]: m[3] for m in rows if m[1] is not None}
    out = {}
    for info in infos:
        reason = by_indicator.get(info.id, by_goal.get(info.goal_id))
        if reason is not None:
            out[info.code] = reason
    return out


def current_values(session: Session, submission_id: int) -> dict[str, SubmissionValue]:
    rows = session.execute(
        select(Indicator.code, SubmissionValue)
        .join(Indicator, Indicator.id == SubmissionValue.indicator_id)
        .where(SubmissionValue.submission_id == submission_id)
        .order_by(Indicator.code)
    ).all()
    return dict(rows)


def earlier_counts(
    session: Session, hospital_id: int, indicator_ids: list[int], before: Quarter
) -> dict[int, list[Counts]]:
    """The hospital's own earlier quarters per indicator, oldest first (for plausibility)."""
    rows = session.execute(
        select(SubmissionValue.indicator_id, SubmissionValue.numerator, SubmissionValue.denominator)
        .join(Submission, Submission.id == SubmissionValue.submission_id)
        .where(
            Submission.hospital_id == hospital_id,
            Submission.quarter < str(before),
            SubmissionValue.indicator_id
            == any_(bindparam("indicator_ids", list(indicator_ids), type_=ARRAY(BigInteger))),
        )
        .order_by(Submission.quarter)
    ).all()
    out: dict[int, list[Counts]] = {}
    for indicator_id, num, den in rows:
        out.setdefault(indicator_id, []).append(Counts(num, den))
    return out


def value_versions(session: Session, submission_id: int, indicator_id: int | None = None) -> list[Any]:
    stmt = (
        select(Indicator.code, SubmissionValueVersion)
        .join(Indicator, Indicator.id == SubmissionValueVersion.indicator_id)
        .where(SubmissionValueVersion.submission_id == submission_id)
        .order_by(Indicator.code, SubmissionValueVersion.version)
    )
    if indicator_id is not None:
        stmt = stmt.where(SubmissionValueVersion.indicator_id == indicator_id)
    return list(session.execute(stmt).all())


def find_idempotency_key(
    session: Session, province_code: str, subject: str, key: str
) -> IdempotencyKey | None:
    return session.execute(
        select(IdempotencyKey).where(
            IdempotencyKey.province_code == province_code,
            IdempotencyKey.actor_subject == subject,
            IdempotencyKey.key == key,
        )
    ).scalar_one_or_none()


def count_versions(session: Session, submission_id: int) -> int:
    return session.execute(
        select(func.count()).where(SubmissionValueVersion.submission_id == submission_id)
    ).scalar_one()


# Writing a batch of values: one statement per table, whatever the number of values (the arrays
# travel as single parameters), instead of an ORM object and an INSERT row per value and version.
_BATCH = (
    "unnest(CAST(:indicator_ids AS bigint[]), CAST(:versions AS integer[]), CAST(:numerators AS integer[]), "
    "CAST(:denominators AS integer[]), CAST(:comments AS text[])) "
    "AS u(indicator_id, version, numerator, denominator, comment)"
)
# New values, corrections and their history rows in one statement (data-modifying CTEs run once
# each, to completion, whatever the final SELECT reads); the answer is how many current rows
# were written.
_WRITE_BATCH = text(f"""
WITH inserted AS (
  INSERT INTO submission_values (submission_id, province_code, hospital_id, indicator_id, numerator, denominator,
                                 comment, version, updated_at, updated_by)
  SELECT :submission, :province, :hospital, u.indicator_id, u.numerator, u.denominator, u.comment, u.version,
         :at, :by
  FROM {_BATCH}
  WHERE u.version = 1
  RETURNING 1
), updated AS (
  UPDATE submission_values v
  SET numerator = u.numerator, denominator = u.denominator, comment = u.comment, version = u.version,
      updated_at = :at, updated_by = :by
  FROM {_BATCH}
  WHERE u.version > 1 AND v.submission_id = :submission AND v.indicator_id = u.indicator_id
    AND v.version = u.version - 1
  RETURNING 1
), history AS (
  INSERT INTO submission_value_versions (submission_id, province_code, hospital_id, indicator_id, version,
                                         numerator, denominator, comment, reason, source, actor_subject,
                                         actor_roles, client_id)
  SELECT :submission, :province, :hospital, u.indicator_id, u.version, u.numerator, u.denominator, u.comment,
         :reason, :source, :by, CAST(:roles AS varchar(32)[]), :client
  FROM {_BATCH}
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated)
""")


def write_values(
    session: Session,
    header: Submission,
    batch: Mapping[str, Sequence[Any]],
    *,
    at: datetime,
    by: str,
    reason: str,
    source: str,
    roles: list[str],
    client_id: str | None,
) -> int:
    """Store a batch of accepted values (parallel lists: indicator_ids, versions, numerators,
    denominators, comments; version 1 = new value, else the row's next version) and one history
    row each. Returns how many current rows were written: fewer than the batch means another
    writer got there first (the caller holds the hospital-quarter lock, so that is a bug)."""
    params = {
        **batch,
        "submission": header.id,
        "province": header.province_code,
        "hospital": header.hospital_id,
        "at": at,
        "by": by,
    }
    if not batch["versions"]:
        return 0  # nothing changed (a status change only): no statement
    params = {**params, "reason": reason, "source": source, "roles": roles, "client": client_id}
    return int(session.execute(_WRITE_BATCH, params).scalar_one())


# One submission's reads in one statement (services.submission.context): the header (locked for a
# write) joined to one row of scalar subqueries, each a JSON array so that the row stays one row.
# Written as SQL text, built once per scope shape: composing it from ORM constructs cost ~6 ms of CPU
# per request (more than the round trips it saves), and a constant text is prepared by psycopg.
# The catalog token is the year's version: its revision and the row versions (xmin) of the year row,
# its indicators and their goals. Publishing rewrites them, so the token changes with every
# publication (and any other change to those rows); NULL when the year is not published.
_CONTEXT_SQL = """
WITH hdr AS MATERIALIZED (
  SELECT * FROM submissions s WHERE s.hospital_id = :hospital AND s.quarter = :quarter AND {scope} {lock}
), year AS MATERIALIZED (
  SELECT cy.revision::text || ':' || cy.xmin::text || ':' || (
           SELECT count(*)::text || ':' || coalesce(sum(i.xmin::text::bigint + g.xmin::text::bigint), 0)::text
           FROM indicators i JOIN goals g ON g.id = i.goal_id WHERE i.year = cy.year) AS token
  FROM catalog_years cy WHERE cy.year = :year
)
SELECT {header},
  year.token,
  CASE WHEN year.token = :cached_token THEN NULL ELSE (
    SELECT json_agg(json_build_array(i.id, i.code, i.year, i.goal_id, g.code, g.list, i.kind,
                                     i.withdrawn_revision, i.replaced_by))
    FROM indicators i JOIN goals g ON g.id = i.goal_id WHERE i.year = :year) END AS sent,
  w.opens_at, w.due_at, w.locks_at,
  (SELECT json_agg(json_build_array(i.code, v.numerator, v.denominator, v.comment, v.version))
   FROM submission_values v JOIN indicators i ON i.id = v.indicator_id
   WHERE v.submission_id = hdr.id) AS current,
  (SELECT json_agg(json_build_array(a.goal_id, a.indicator_id, a.status, a.reason))
   FROM indicator_applicability a WHERE a.hospital_id = :hospital) AS applicability,
  (SELECT json_agg(json_build_array(v.indicator_id, v.numerator, v.denominator) ORDER BY e.quarter)
   FROM submission_values v JOIN submissions e ON e.id = v.submission_id
   JOIN indicators i ON i.id = v.indicator_id
   WHERE e.hospital_id = :hospital AND e.quarter < :quarter AND i.code = ANY(CAST(:codes AS text[]))) AS history
FROM (SELECT 1) AS one
LEFT JOIN hdr ON true
LEFT JOIN year ON true
LEFT JOIN submission_windows w ON w.province_code = :province AND w.quarter = :quarter
"""
_CONTEXT_EXTRA = (
    column("token", Text),
    column("sent", JSON),
    column("opens_at", DateTime(timezone=True)),
    column("due_at", DateTime(timezone=True)),
    column("locks_at", DateTime(timezone=True)),
    column("current", JSON),
    column("applicability", JSON),
    column("history", JSON),
)
_context_statements: dict[tuple[str, bool], Any] = {}


def _context_statement(scope: str, for_update: bool) -> Any:
    key = (scope, for_update)
    if key not in _context_statements:
        header = ", ".join(f"hdr.{c.name}" for c in Submission.__table__.c)
        sql = _CONTEXT_SQL.format(scope=scope, lock="FOR UPDATE" if for_update else "", header=header)
        textual = text(sql).columns(*Submission.__table__.c, *_CONTEXT_EXTRA)
        extras = [textual.selected_columns[c.name] for c in _CONTEXT_EXTRA]
        _context_statements[key] = select(Submission, *extras).from_statement(textual)
    return _context_statements[key]


def submission_context(
    session: Session,
    actor: Actor,
    hospital: Hospital,
    quarter: Quarter,
    codes: list[str],
    cached_token: str | None,
    *,
    for_update: bool,
) -> tuple[Any, ...]:
    """(header or None, catalog token or None, the year's indicators as JSON rows or None when
    ``cached_token`` is current, window opens/due/locks or None, current values, applicability rows,
    earlier counts). Run after the hospital-quarter lock for a write: a statement sees what was
    committed before it started."""
    scope, scope_params = submissions_scope_sql(actor, "s")
    params = {
        **scope_params,
        "hospital": hospital.id,
        "province": hospital.province_code,
        "quarter": str(quarter),
        "year": quarter.year,
        "codes": codes,
        "cached_token": cached_token,
    }
    stmt = _context_statement(scope, for_update)
    result = session.execute(stmt, params, execution_options={"populate_existing": True})
    return tuple(result.one())

"""Set-based checks of a staged bulk upload: the rules of a single submission, in SQL over all rows.

Works on session-local temporary tables (dropped at commit or rollback): ``bulk_stage`` (the file's
text cells, filled by COPY), ``bulk_hosp`` (hospital references resolved in the caller's province),
``bulk_codes`` (indicator codes judged by ``validation.check_indicator``, the single submission's own
rule and messages), ``bulk_rows`` (typed rows), ``bulk_changes`` (values that differ from the values
on record) and ``bulk_problems`` (every problem with its row, hospital and indicator).

Each rule mirrors ``planning.make_plan`` / ``validation``: the same stable codes, the same Chinese /
English messages, the row of the file added. Checks that only need one answer per indicator code
(catalog year, renumbered or retired successors, withdrawn indicators) run once per distinct code in
Python; cross-indicator rules run in Python over the few indicators they name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.quarter import Quarter
from services.submission import ports
from services.submission import repository as repo
from services.submission.rules import CROSS_RULES
from services.submission.schemas import ValueIn
from services.submission.validation import MAX_COUNT, Counts, check_cross_rules, check_indicator

log = logging.getLogger(__name__)
WORK_MEM = "64MB"
# a value's comment: the single submission's limit (its schema), not a copy of the number
MAX_COMMENT: int = next(
    m.max_length for m in ValueIn.model_fields["comment"].metadata if hasattr(m, "max_length")
)

STAGE_DDL = """
CREATE TEMP TABLE bulk_stage (
  row_no integer, hospital text, quarter text, indicator text, numerator text, denominator text,
  comment text, note_code text, note text
) ON COMMIT DROP
"""

_SETUP = [
    """
CREATE TEMP TABLE bulk_problems (
  row_no integer, hospital text, hospital_id bigint, indicator text, field text, code text,
  problem text, fix text
) ON COMMIT DROP
""",
    "ANALYZE bulk_stage",
    # hospital references: internal id or 统一社会信用代码, only in the caller's province (RLS says the
    # same underneath: another province's hospital is simply not found)
    """
CREATE TEMP TABLE bulk_hosp ON COMMIT DROP AS
SELECT r.ref, coalesce(a.id, b.id) AS hospital_id, coalesce(a.active, b.active) AS active
FROM (SELECT DISTINCT btrim(hospital) AS ref FROM bulk_stage WHERE btrim(hospital) <> '') r
LEFT JOIN hospitals a ON r.ref ~ '^[0-9]{1,12}$' AND a.province_code = CAST(:province AS text)
     AND a.id = CASE WHEN r.ref ~ '^[0-9]{1,12}$' THEN r.ref::bigint END
LEFT JOIN hospitals b ON b.credit_code = upper(r.ref) AND b.province_code = CAST(:province AS text)
""",
    "ANALYZE bulk_hosp",
    # each cell trimmed once (in the subquery) and counts told by ltrim over the digits rather than a
    # regular expression: half the time of the first version at national scale (832,000 rows)
    f"""
CREATE TEMP TABLE bulk_rows ON COMMIT DROP AS
SELECT s.row_no, coalesce(s.href, '') AS hospital_ref, h.hospital_id, h.active,
       coalesce(btrim(s.quarter), '') AS quarter_text, coalesce(btrim(s.indicator), '') AS code,
       s.numerator AS num_text, s.denominator AS den_text,
       CASE WHEN length(s.num) BETWEEN 1 AND 10 AND ltrim(s.num, '0123456789') = ''
                 AND s.num::bigint <= {MAX_COUNT} THEN s.num::integer END AS numerator,
       CASE WHEN length(s.den) BETWEEN 1 AND 10 AND ltrim(s.den, '0123456789') = ''
                 AND s.den::bigint <= {MAX_COUNT} THEN s.den::integer END AS denominator,
       CASE WHEN btrim(coalesce(s.comment, '')) = '' THEN NULL ELSE s.comment END AS comment,
       s.note_code, s.note
FROM (SELECT b.*, btrim(b.hospital) AS href, btrim(b.numerator) AS num, btrim(b.denominator) AS den
      FROM bulk_stage b OFFSET 0) s
LEFT JOIN bulk_hosp h ON h.ref = s.href
""",
    "ANALYZE bulk_rows",
    """
CREATE TEMP TABLE bulk_codes (
  code text PRIMARY KEY, indicator_id bigint, goal_id bigint, kind text, problem_code text, problem text, fix text
) ON COMMIT DROP
""",
]

# (field, SQL condition over r = bulk_rows, code, problem, fix) — per row; a row the reader could not
# interpret (note_code: bad JSON, extra cells) gets that one problem only
_ROW_RULES: list[tuple[str, str, str, str, str]] = [
    (
        "row",
        "r.note_code IS NOT NULL",
        "r.note_code",
        "format('第 %s 行：%s', r.row_no, r.note)",
        "'请修正该行 / fix the row'",
    ),
    (
        "hospital",
        "r.hospital_ref = ''",
        "'required'",
        "format('第 %s 行 医院编号: 不能为空 / row %s hospital: is required', r.row_no, r.row_no)",
        "'填写医院编号或统一社会信用代码 / give the hospital id or credit code'",
    ),
    (
        "quarter",
        "r.quarter_text <> '' AND r.quarter_text <> CAST(:quarter AS text)",
        "'mixed_quarters'",
        "format('第 %s 行 季度为 %s，本次上传为 %s；一个文件只能上报一个季度 / row %s is for quarter %s, this upload is "
        "for %s: one file reports one quarter', r.row_no, r.quarter_text, CAST(:quarter AS text), r.row_no, r.quarter_text, CAST(:quarter AS text))",
        "'把其他季度的行放入另一个文件 / put other quarters in a file of their own'",
    ),
    (
        "indicator",
        "r.code = ''",
        "'required'",
        "format('第 %s 行 指标编码: 不能为空 / row %s indicator: is required', r.row_no, r.row_no)",
        "'填写指标编码 / give the indicator code'",
    ),
    (
        "indicator",
        "r.code <> '' AND c.code IS NULL",
        "'unknown_indicator'",
        "format('第 %s 行：未知指标 %s / row %s: unknown indicator %s', r.row_no, r.code, r.row_no, r.code)",
        "format('请使用 %s 年目录中的指标编码 / use an indicator code of the %s catalog', CAST(:year AS integer), CAST(:year AS integer))",
    ),
    (
        "indicator",
        "c.problem_code IS NOT NULL",
        "c.problem_code",
        "format('第 %s 行：%s', r.row_no, c.problem)",
        "c.fix",
    ),
]


def _count_rules(name: str, label: str, column: str) -> list[tuple[str, str, str, str, str]]:
    text_col = f"r.{column[:3]}_text"
    return [
        (
            name,
            f"r.{column} IS NULL AND btrim(coalesce({text_col}, '')) = ''",
            "'required'",
            f"format('第 %s 行 {label}: 不能为空 / row %s {name}: is required', r.row_no, r.row_no)",
            "'填写非负整数 / give a non-negative integer'",
        ),
        (
            name,
            f"btrim(coalesce({text_col}, '')) <> '' AND r.{column} IS NULL "
            f"AND btrim({text_col}) !~ '^[0-9]{{1,10}}$'",
            "'not_a_count'",
            f"format('第 %s 行 {label}: ''%s'' 不是非负整数 / row %s {name}: ''%s'' is not a non-negative "
            f"integer', r.row_no, left(btrim({text_col}), 40), r.row_no, left(btrim({text_col}), 40))",
            "'计数为非负整数 / counts are non-negative integers'",
        ),
        (
            name,
            f"r.{column} IS NULL AND btrim(coalesce({text_col}, '')) ~ '^[0-9]{{1,10}}$'",
            "'count_too_large'",
            f"format('第 %s 行 {label}: %s 超过上限 {MAX_COUNT} / row %s {name}: %s exceeds the maximum "
            f"{MAX_COUNT}', r.row_no, btrim({text_col}), r.row_no, btrim({text_col}))",
            "'请核对数值 / check the value'",
        ),
    ]


_ROW_RULES += _count_rules("numerator", "分子", "numerator")
_ROW_RULES += _count_rules("denominator", "分母", "denominator")
_ROW_RULES += [
    (
        "comment",
        f"length(r.comment) > {MAX_COMMENT}",
        "'too_long'",
        f"format('第 %s 行 备注: %s 字，最多 {MAX_COMMENT} 字 / row %s comment: %s characters, at most {MAX_COMMENT}', "
        "r.row_no, length(r.comment), r.row_no, length(r.comment))",
        "'缩短备注 / shorten the comment'",
    ),
    (
        "numerator",
        "r.denominator = 0 AND r.numerator > 0",
        "'numerator_without_denominator'",
        "format('第 %s 行：分母为 0 时分子必须为 0 / row %s: numerator must be 0 when the denominator is 0 "
        "(no cases)', r.row_no, r.row_no)",
        "'无病例请填 0/0；否则请填写分母 / send 0/0 for no cases, or fill in the denominator'",
    ),
    (
        "numerator",
        "r.numerator > r.denominator AND r.denominator > 0 AND c.kind = 'proportion'",
        "'numerator_above_denominator'",
        "format('第 %s 行：分子 %s 大于分母 %s / row %s: numerator %s exceeds denominator %s', r.row_no, "
        "r.numerator, r.denominator, r.row_no, r.numerator, r.denominator)",
        "'比例类指标的分子不能大于分母 / a proportion''s numerator cannot exceed its denominator'",
    ),
]


def _row_problems_sql() -> str:
    """Every per-row rule in one pass over ``bulk_rows`` (joined to its code's verdict once): rows
    that break no rule are filtered out by cheap conditions first, and only the rows that break one
    build their messages (one arm of the lateral ``UNION ALL`` per rule, in the rules' order)."""
    arms, hits = [], []
    for field, where, code, problem, fix in _ROW_RULES:
        hit = f"({where})" if field == "row" else f"({where}) AND r.note_code IS NULL"
        hits.append(f"({hit})")
        arms.append(
            f"SELECT CAST('{field}' AS text) AS field, CAST({code} AS text) AS code, CAST({problem} AS text) AS problem,"
            f" CAST({fix} AS text) AS fix WHERE {hit}"
        )
    union = "\n  UNION ALL ".join(arms)
    any_hit = "\n   OR ".join(hits)
    return f"""
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT r.row_no, r.hospital_ref, r.hospital_id, nullif(r.code, ''), x.field, x.code, x.problem, x.fix
FROM bulk_rows r LEFT JOIN bulk_codes c ON c.code = r.code
CROSS JOIN LATERAL (
  {union}
) x
WHERE {any_hit}
"""


_ROW_PROBLEMS = _row_problems_sql()

# One row per hospital of the file (found in the province): the hospital-level rules and the write's
# choice of hospitals read these few thousand rows instead of the file's rows again. ``coded`` >
# ``codes`` says the hospital repeats an indicator: only those hospitals' rows are sorted to name the
# repeats (sorting every row of the file took longer than counting distinct codes per hospital).
_HOSPITALS = """
CREATE TEMP TABLE bulk_hospitals ON COMMIT DROP AS
SELECT r.hospital_id, min(r.row_no) AS first_row, min(r.hospital_ref) AS ref, bool_and(r.active) AS active,
       count(*) FILTER (WHERE r.code <> '') AS coded,
       count(DISTINCT r.code COLLATE "C") FILTER (WHERE r.code <> '') AS codes
FROM bulk_rows r WHERE r.hospital_id IS NOT NULL GROUP BY r.hospital_id
"""

# Hospital-level problems: one per hospital (or unresolved reference), at its first row.
_HOSPITAL_RULES = [
    """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT min(r.row_no), r.hospital_ref, NULL, NULL, 'hospital', 'hospital_not_found',
  format('第 %s 行（共 %s 行）：%s 不是本省（%s）的医院，或不存在 / row %s (%s rows): %s is not a hospital of your '
         'province (%s)', min(r.row_no), count(*), r.hospital_ref, CAST(:province AS text), min(r.row_no), count(*), r.hospital_ref,
         CAST(:province AS text)),
  '请核对医院编号或统一社会信用代码；只能上传本省医院的数据 / check the hospital id or credit code: only your '
  'province''s hospitals can be uploaded'
FROM bulk_rows r WHERE r.hospital_ref <> '' AND r.hospital_id IS NULL GROUP BY r.hospital_ref
""",
    """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT h.first_row, h.ref, h.hospital_id, NULL, 'hospital', 'hospital_inactive',
  format('第 %s 行：医院 %s 已停用 / row %s: hospital %s is inactive', h.first_row, h.hospital_id, h.first_row,
         h.hospital_id),
  '请联系省级质控中心 / contact the provincial QC center'
FROM bulk_hospitals h WHERE NOT h.active
""",
    """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT r.row_no, r.hospital_ref, r.hospital_id, r.code, 'indicator', 'duplicate_indicator',
  format('第 %s 行：医院 %s 的指标 %s 与第 %s 行重复 / row %s: indicator %s of hospital %s repeats row %s',
         r.row_no, r.hospital_ref, r.code, r.first_row, r.row_no, r.code, r.hospital_ref, r.first_row),
  '每家医院的每个指标只报一次 / send each indicator once per hospital'
FROM (SELECT *, min(row_no) OVER (PARTITION BY hospital_id, code COLLATE "C") AS first_row FROM bulk_rows
      WHERE hospital_id IN (SELECT hospital_id FROM bulk_hospitals WHERE coded > codes) AND code <> '') r
WHERE r.row_no > r.first_row
""",
    """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT a.row_no, a.hospital_ref, a.hospital_id, a.code, 'indicator', 'not_applicable',
  format('第 %s 行：指标 %s 已标记为医院 %s 不适用（%s）/ row %s: indicator %s is marked not applicable to '
         'hospital %s (%s)', a.row_no, a.code, a.hospital_ref, a.reason, a.row_no, a.code, a.hospital_ref, a.reason),
  '删除该行，或请质控中心恢复为需上报 / drop the row, or ask the QC center to mark it required'
FROM (  -- driven by the (few) not-applicable marks of the file's hospitals: one pass over the rows
  SELECT DISTINCT ON (r.row_no) r.row_no, r.hospital_ref, r.hospital_id, r.code, x.reason
  FROM indicator_applicability x
  JOIN bulk_hospitals h ON h.hospital_id = x.hospital_id
  JOIN bulk_rows r ON r.hospital_id = x.hospital_id
  JOIN bulk_codes c ON c.code = r.code AND c.problem_code IS NULL
  WHERE x.status = 'not_applicable'
    AND (x.indicator_id = c.indicator_id OR (x.indicator_id IS NULL AND x.goal_id = c.goal_id))
  ORDER BY r.row_no, x.indicator_id NULLS LAST
) a
""",
    """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT h.first_row, h.ref, h.hospital_id, NULL, 'hospital', 'submission_locked',
  format('第 %s 行：医院 %s 的 %s 已审核通过并锁定 / row %s: %s of hospital %s is approved and locked',
         h.first_row, h.hospital_id, CAST(:quarter AS text), h.first_row, CAST(:quarter AS text), h.hospital_id),
  '如需更正请联系省级质控中心重新开放 / ask the provincial QC center to reopen it'
FROM bulk_hospitals h JOIN submissions s ON s.hospital_id = h.hospital_id AND s.quarter = CAST(:quarter AS text)
WHERE s.status = 'approved'
""",
]

_WINDOW_LOCKED = """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT h.first_row, h.ref, h.hospital_id, NULL, 'quarter', 'window_locked',
  format('第 %s 行：%s 已锁定，医院 %s 未被重新开放 / row %s: %s is locked and hospital %s was not reopened',
         h.first_row, CAST(:quarter AS text), h.hospital_id, h.first_row, CAST(:quarter AS text), h.hospital_id),
  '如需更正请先为该医院重新开放 / reopen the quarter for that hospital first'
FROM bulk_hospitals h LEFT JOIN submissions s ON s.hospital_id = h.hospital_id AND s.quarter = CAST(:quarter AS text)
WHERE s.reopened_at IS NULL
"""

# The values on record for the file's hospitals in this quarter: driven by the few thousand hospitals
# (one index lookup of the header each, then its values by the header's index), whatever the planner
# believes about a quarter whose headers this upload's own transaction may just have seen change.
_ON_RECORD = """
CREATE TEMP TABLE bulk_on_record ON COMMIT DROP AS
SELECT s.hospital_id, v.submission_id, v.indicator_id, v.numerator, v.denominator, v.comment, v.version
FROM bulk_hospitals h
JOIN submissions s ON s.hospital_id = h.hospital_id AND s.quarter = CAST(:quarter AS text)
JOIN submission_values v ON v.submission_id = s.id
"""

# Values of clean rows that differ from the values on record (new ones: version 1). A hospital-level
# problem sits on the hospital's first row but says nothing against that row's value.
_CHANGES = """
CREATE TEMP TABLE bulk_changes ON COMMIT DROP AS
SELECT r.row_no, r.hospital_id, v.submission_id, c.indicator_id, r.code, r.numerator, r.denominator,
       r.comment, coalesce(v.version, 0) + 1 AS version, v.version IS NOT NULL AS correction
FROM bulk_rows r
JOIN bulk_codes c ON c.code = r.code AND c.problem_code IS NULL
LEFT JOIN bulk_on_record v ON v.hospital_id = r.hospital_id AND v.indicator_id = c.indicator_id
WHERE r.hospital_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM bulk_problems p WHERE p.row_no = r.row_no
                  AND p.code NOT IN ('hospital_inactive', 'submission_locked', 'window_locked'))
  AND (v.version IS NULL OR (v.numerator, v.denominator, v.comment)
       IS DISTINCT FROM (r.numerator, r.denominator, r.comment))
"""

_REASON_REQUIRED = """
INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)
SELECT min(c.row_no), NULL, c.hospital_id, NULL, 'reason', 'reason_required',
  format('第 %s 行起：更正医院 %s 已上报的指标 %s 需要说明原因 / from row %s: correcting reported indicators %s of '
         'hospital %s needs a reason', min(c.row_no), c.hospital_id, string_agg(c.code, ', ' ORDER BY c.code),
         min(c.row_no), string_agg(c.code, ', ' ORDER BY c.code), c.hospital_id),
  '请在 reason 中说明更正原因 / say why in ''reason'''
FROM bulk_changes c WHERE c.correction GROUP BY c.hospital_id
"""

_RULE_STATE = """
SELECT hospital_id, code, numerator, denominator, row_no FROM bulk_changes WHERE code = ANY(:codes)
UNION ALL
SELECT s.hospital_id, i.code, v.numerator, v.denominator, NULL
FROM submission_values v JOIN submissions s ON s.id = v.submission_id JOIN indicators i ON i.id = v.indicator_id
WHERE s.quarter = CAST(:quarter AS text) AND i.code = ANY(:codes)
  AND s.hospital_id IN (SELECT hospital_id FROM bulk_changes WHERE code = ANY(:codes))
  AND NOT EXISTS (SELECT 1 FROM bulk_changes c WHERE c.hospital_id = s.hospital_id AND c.code = i.code)
ORDER BY 1
"""


@dataclass(frozen=True)
class Setting:
    province: str
    quarter: Quarter
    reason: str
    window_locked: bool

    def params(self) -> dict[str, Any]:
        return {"province": self.province, "quarter": str(self.quarter), "year": self.quarter.year}


def _judge_codes(session: Session, year: int) -> None:
    """Fill ``bulk_codes`` with every known code in the file and the single submission's verdict."""
    codes = session.execute(
        text("SELECT DISTINCT r.code FROM bulk_rows r JOIN indicators i ON i.code = r.code")
    ).scalars()
    rows: list[dict[str, Any]] = []
    for code, info in repo.indicators_by_code(session, list(codes)).items():
        successor = ports.successor_of(session, code, year) if info.year != year else None
        found = check_indicator(code, info, year, successor)
        rows.append(
            {
                "code": code,
                "indicator_id": info.id,
                "goal_id": info.goal_id,
                "kind": info.kind,
                "problem_code": found[0].code if found else None,
                "problem": found[0].problem if found else None,
                "fix": found[0].fix if found else None,
            }
        )
    if rows:
        session.execute(
            text(
                "INSERT INTO bulk_codes VALUES (:code, :indicator_id, :goal_id, :kind, :problem_code, :problem, :fix)"
            ),
            rows,
        )


def _hospital_groups(session: Session, setting: Setting, codes: list[str]) -> Iterator[list[Any]]:
    result = session.execute(text(_RULE_STATE), {**setting.params(), "codes": codes})
    group: list[Any] = []
    for row in result:
        if group and group[0][0] != row[0]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def _cross_rule_problems(session: Session, setting: Setting) -> None:
    """The cross-indicator rules over each hospital's values after the upload (on record + new)."""
    codes = sorted({c for rule in CROSS_RULES for c in rule.codes})
    found: list[dict[str, Any]] = []
    for group in _hospital_groups(session, setting, codes):
        state = {code: Counts(num, den) for _h, code, num, den, _r in group}
        rows = {code: row for _h, code, _n, _d, row in group if row is not None}
        for p in check_cross_rules(state):
            row = rows.get(p.indicator or "") or min(rows.values(), default=None)
            found.append(
                {
                    "row_no": row,
                    "hospital_id": group[0][0],
                    "indicator": p.indicator,
                    "field": p.field,
                    "code": p.code,
                    "problem": f"第 {row} 行（医院 {group[0][0]}）：{p.problem}",
                    "fix": p.fix,
                }
            )
    if found:
        session.execute(
            text(
                "INSERT INTO bulk_problems (row_no, hospital, hospital_id, indicator, field, code, problem, fix)"
                " VALUES (:row_no, NULL, :hospital_id, :indicator, :field, :code, :problem, :fix)"
            ),
            found,
        )


def run_checks(session: Session, setting: Setting) -> dict[str, float]:
    """Every rule over the staged rows; problems land in ``bulk_problems``, changes in ``bulk_changes``.
    Returns the seconds each step took (logged; the bench prints them)."""
    params = setting.params()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def step(name: str, sql: str | None = None) -> None:
        nonlocal clock
        if sql is not None:
            session.execute(text(sql), params)
        now = time.perf_counter()
        seconds[name] = round(seconds.get(name, 0.0) + now - clock, 3)
        clock = now

    # sorts and hashes over the file's rows (duplicates, changes, per-hospital aggregates) stay in memory
    # instead of spilling at the default 4 MB; this transaction only
    step("work_mem", f"SET LOCAL work_mem = '{WORK_MEM}'")
    for number, statement in enumerate(_SETUP):
        step(f"setup{number}", statement)
    _judge_codes(session, setting.quarter.year)
    step("codes", "ANALYZE bulk_codes")
    step("row_rules", _ROW_PROBLEMS)
    step("hospitals", _HOSPITALS)
    step("hospitals", "ANALYZE bulk_hospitals")
    for number, statement in enumerate(_HOSPITAL_RULES):
        step(f"hospital_rule{number}", statement)
    if setting.window_locked:
        step("window_locked", _WINDOW_LOCKED)
    step("on_record", _ON_RECORD)
    step("on_record", "ANALYZE bulk_on_record")
    step("changes", "ANALYZE bulk_problems")
    step("changes", _CHANGES)
    step("changes", "ANALYZE bulk_changes")
    if not setting.reason:
        step("reason", _REASON_REQUIRED)
    _cross_rule_problems(session, setting)
    step("cross_rules")
    log.info("bulk upload checks: seconds per step %s", seconds)
    return seconds

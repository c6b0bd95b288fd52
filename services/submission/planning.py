"""Everything :func:`service.submit` decides before writing: checks, the changed values, warnings.

``make_plan`` raises (``ValidationFailed`` with every problem, window or lock errors) or returns a
:class:`Plan`; a dry run stops there and shows the plan as a preview. What it reads from the
database comes in one :class:`~services.submission.context.Context` (one statement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from services.core.quarter import Quarter
from services.models import Hospital, Submission
from services.submission import plausibility, ports
from services.submission.context import Context, StoredValue
from services.submission.errors import SubmissionLocked
from services.submission.schemas import PlausibilityWarning, Problem, SubmissionResult, ValueIn, ValueRead
from services.submission.validation import (
    Counts,
    IndicatorInfo,
    check_applicable,
    check_counts,
    check_cross_rules,
    check_duplicates,
    check_indicator,
    check_quarter,
    check_reason,
    problem,
    refuse,
)
from services.submission.windows import check_open, now, today_in_china


@dataclass
class Change:
    index: int
    value: ValueIn
    info: IndicatorInfo
    current: StoredValue | None

    @property
    def next_version(self) -> int:
        """The version this change stores: the row's next, or 1 for a new value."""
        return (self.current.version if self.current is not None else 0) + 1


@dataclass
class Plan:
    catalog_year: int
    late: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[PlausibilityWarning] = field(default_factory=list)
    current: dict[str, StoredValue] = field(default_factory=dict)

    def values(self) -> list[ValueRead]:
        """Every current value once the plan is stored: what ``submit`` answers (it writes exactly
        these, each change as the row's next version, or fails) and what a dry run previews."""
        values = {
            code: ValueRead(
                indicator=code,
                numerator=r.numerator,
                denominator=r.denominator,
                comment=r.comment,
                version=r.version,
                no_cases=r.denominator == 0,
            )
            for code, r in self.current.items()
        }
        for c in self.changes:
            values[c.value.indicator] = ValueRead(
                indicator=c.value.indicator,
                numerator=c.value.numerator,
                denominator=c.value.denominator,
                comment=c.value.comment,
                version=c.next_version,
                no_cases=c.value.denominator == 0,
            )
        return sorted(values.values(), key=lambda v: v.indicator)

    def preview(self, hospital: Hospital, quarter: Quarter, header: Submission | None) -> SubmissionResult:
        """What ``submit`` would answer, without writing anything."""
        return SubmissionResult(
            hospital_id=hospital.id,
            quarter=str(quarter),
            catalog_year=self.catalog_year,
            status="submitted",
            version=header.version if header else 0,
            late=header.late if header and header.first_submitted_at else self.late,
            dry_run=True,
            changed=[c.value.indicator for c in self.changes],
            unchanged=self.unchanged,
            values=self.values(),
            warnings=self.warnings,
        )


def _preconditions(hospital: Hospital, quarter: Quarter, published: bool) -> list[Problem]:
    out = check_quarter(quarter, today_in_china())
    if not hospital.active:
        out.append(
            problem(
                "hospital_inactive",
                "hospital_id",
                f"医院 {hospital.id} 已停用",
                f"hospital {hospital.id} is inactive",
                "请联系省级质控中心",
                "contact the provincial QC center",
            )
        )
    if not published:
        out.append(
            problem(
                "catalog_not_published",
                "quarter",
                f"{quarter.year} 年目标目录尚未发布",
                f"the {quarter.year} goal catalog is not published",
                "请等待目录发布后上报",
                "report once the catalog is published",
            )
        )
    return out


def _value_problems(
    session: Session,
    year: int,
    values: Sequence[ValueIn],
    infos: dict[str, IndicatorInfo],
    not_applicable: dict[str, str],
) -> list[Problem]:
    out = check_duplicates(values)
    for index, value in enumerate(values):
        info = infos.get(value.indicator)
        successor = ports.successor_of(session, value.indicator, year) if info and info.year != year else None
        found = check_indicator(value.indicator, info, year, successor, index)
        out += found
        out += check_counts(value, info.kind if info else None, index)
        if not found:
            out += check_applicable(value.indicator, not_applicable.get(value.indicator), index)
    return out


def _same(row: StoredValue, value: ValueIn) -> bool:
    return (row.numerator, row.denominator, row.comment) == (
        value.numerator,
        value.denominator,
        value.comment,
    )


def _diff(
    values: Sequence[ValueIn],
    infos: dict[str, IndicatorInfo],
    current: dict[str, StoredValue],
    bad: set[int],
) -> tuple[list[Change], list[str]]:
    changes, unchanged = [], []
    for index, value in enumerate(values):
        if index in bad:
            continue
        row = current.get(value.indicator)
        if row is not None and _same(row, value):
            unchanged.append(value.indicator)
        else:
            changes.append(Change(index, value, infos[value.indicator], row))
    return changes, unchanged


def _warnings(history: dict[int, list[Counts]], changes: list[Change]) -> list[PlausibilityWarning]:
    out: list[PlausibilityWarning] = []
    for c in changes:
        new = Counts(c.value.numerator, c.value.denominator)
        out += plausibility.warnings_for(c.value.indicator, new, history.get(c.info.id, []))
    return out


def make_plan(
    session: Session,
    hospital: Hospital,
    quarter: Quarter,
    values: Sequence[ValueIn],
    reason: str | None,
    context: Context,
) -> Plan:
    header = context.header
    refuse(_preconditions(hospital, quarter, context.published))
    if header is not None and header.status == "approved":
        raise SubmissionLocked(
            f"{quarter} 已审核通过并锁定；如需更正请联系省级质控中心 / {quarter} is approved and "
            "locked: ask the provincial QC center to reopen it"
        )
    late = check_open(context.window, header, now())
    current, infos = context.current, context.infos
    problems = _value_problems(session, quarter.year, values, infos, context.not_applicable)
    # rows with problems of their own are left out of the checks below, which still run: one answer
    # lists every problem of the batch
    bad = {p.index for p in problems if p.index is not None and p.code != "duplicate_indicator"}
    bad |= {
        i
        for i, v in enumerate(values)
        if any(p.code == "duplicate_indicator" and p.indicator == v.indicator for p in problems)
    }
    changes, unchanged = _diff(values, infos, current, bad)
    state = {code: Counts(r.numerator, r.denominator) for code, r in current.items()}
    state |= {c.value.indicator: Counts(c.value.numerator, c.value.denominator) for c in changes}
    problems += check_reason([c.value.indicator for c in changes if c.current is not None], reason)
    problems += check_cross_rules(state)
    refuse(problems)
    return Plan(
        catalog_year=quarter.year,
        late=late,
        changes=changes,
        unchanged=unchanged,
        warnings=_warnings(context.history, changes),
        current=current,
    )

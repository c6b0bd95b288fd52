"""What one submission needs to read before it can decide, in one round trip.

:func:`read_context` answers, from a single statement run as the app role (row-level security on,
the caller's scope filter in the statement as well): the header (locked ``FOR UPDATE`` for a
write), whether the quarter's catalog year is published, the province's window, the header's
current values, the hospital's applicability rows and its earlier counts of the requested
indicators (plausibility). The year's indicators come from a per-process cache of the published
catalog (:class:`CatalogCache`), keyed by a token computed in the same statement that changes with
every publication (the year's revision and the row versions of the year row, its indicators and
their goals): the statement sends the indicators only when the token differs from the cached one, so a newly published revision is used by the next
submission, without a restart. Only public catalog data is cached; nothing tenant-scoped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.quarter import Quarter
from services.models import Hospital, Submission
from services.submission import repository as repo
from services.submission.validation import Counts, IndicatorInfo
from services.submission.windows import WindowRead, default_window


@dataclass(frozen=True)
class StoredValue:
    """A current value of the submission as read before this request's write."""

    numerator: int
    denominator: int
    comment: str | None
    version: int


@dataclass
class Context:
    header: Submission | None
    published: bool
    window: WindowRead
    infos: dict[str, IndicatorInfo]  # requested codes found in the catalog (any year)
    current: dict[str, StoredValue] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)  # code → reason (quarter's year)
    history: dict[int, list[Counts]] = field(default_factory=dict)  # indicator id → earlier, oldest first


class CatalogCache:
    """The published indicators of each catalog year, per process, with the token they were read at.

    Thread-safe (the API runs sync handlers in a thread pool); at most ``max_years`` years."""

    def __init__(self, max_years: int = 16) -> None:
        self.max_years = max_years
        self._lock = threading.Lock()
        self._years: dict[int, tuple[str, dict[str, IndicatorInfo]]] = {}
        self.loads = 0  # how many times a year's indicators were (re)read: tests and benches look

    def token(self, year: int) -> str | None:
        with self._lock:
            entry = self._years.get(year)
            return entry[0] if entry else None

    def get(self, year: int, token: str) -> dict[str, IndicatorInfo] | None:
        with self._lock:
            entry = self._years.get(year)
            return entry[1] if entry is not None and entry[0] == token else None

    def put(self, year: int, token: str, infos: dict[str, IndicatorInfo]) -> None:
        with self._lock:
            self._years.pop(year, None)
            self._years[year] = (token, infos)
            while len(self._years) > self.max_years:
                self._years.pop(next(iter(self._years)))
            self.loads += 1

    def clear(self) -> None:
        with self._lock:
            self._years.clear()


CATALOG = CatalogCache()


def _info(row: Sequence[Any]) -> IndicatorInfo:
    return IndicatorInfo(
        id=row[0],
        code=row[1],
        year=row[2],
        goal_id=row[3],
        goal_code=row[4],
        goal_list=row[5],
        kind=row[6],
        withdrawn_revision=row[7],
        replaced_by=tuple(row[8] or ()),
    )


def _year_infos(
    session: Session, year: int, token: str | None, sent: list[list[Any]] | None
) -> dict[str, IndicatorInfo]:
    if token is None:
        return {}  # not published: no indicator belongs to the year
    if sent is None:  # the statement saw the cached token: nothing was sent
        cached = CATALOG.get(year, token)
        if cached is not None:
            return cached
        # replaced meanwhile by another thread (rare): read again, not cached (read after the token)
        return {row[1]: _info(row) for row in repo.year_indicator_rows(session, year)}
    infos = {row[1]: _info(row) for row in sent}
    CATALOG.put(year, token, infos)
    return infos


def _window(hospital: Hospital, quarter: Quarter, opens: datetime | None, due: Any, locks: Any) -> WindowRead:
    if opens is None:
        return default_window(hospital.province_code, quarter)
    return WindowRead(
        province_code=hospital.province_code,
        quarter=str(quarter),
        opens_at=opens,
        due_at=due,
        locks_at=locks,
        is_default=False,
    )


def read_context(
    session: Session,
    actor: Actor,
    hospital: Hospital,
    quarter: Quarter,
    codes: Iterable[str],
    *,
    for_update: bool,
) -> Context:
    """Everything :func:`planning.make_plan` reads, in one statement (see the module docstring)."""
    codes = sorted(set(codes))
    year = quarter.year
    row = repo.submission_context(
        session, actor, hospital, quarter, codes, CATALOG.token(year), for_update=for_update
    )
    header, token, sent, opens, due, locks, current, applicability, history = row
    year_infos = _year_infos(session, year, token, sent)
    infos = {c: year_infos[c] for c in codes if c in year_infos}
    if missing := [c for c in codes if c not in infos]:  # other years' codes (a refusal follows)
        infos |= repo.indicators_by_code(session, missing)
    out: dict[int, list[Counts]] = {}
    for indicator_id, num, den in history or ():
        out.setdefault(indicator_id, []).append(Counts(num, den))
    return Context(
        header=header,
        published=token is not None,
        window=_window(hospital, quarter, opens, due, locks),
        infos=infos,
        current={r[0]: StoredValue(r[1], r[2], r[3], r[4]) for r in current or ()},
        not_applicable=repo.reasons_by_code(
            applicability or (), [i for i in infos.values() if i.year == year]
        ),
        history=out,
    )

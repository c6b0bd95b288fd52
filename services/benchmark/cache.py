"""Computed benchmarks kept per worker process, keyed by the data they were computed from.

A province's funnel of one indicator in one quarter is computed again and again: by the benchmark
page, by the province overview's flags, by every hospital page's early warnings (12 quarters) and
by year-over-year checks. Between two changes of that province-quarter's submissions the answer is
the same, so ``compute_scope`` keeps each indicator's result here under a key that holds
everything the result depends on:

* the **data version** of the scope's submissions in the quarter, read from the data itself
  before the values are read: per quarter the number of submission headers, the sum of their
  versions, the highest header id, the latest ``updated_at`` and how many are approved and
  submitted; and the newest row of the province's value history (``submission_value_versions``,
  indexed by province and id in migration 0012). Every status change bumps its header's
  ``version`` (``services.submission.events``), a new submission adds a header and every value
  written (sent, corrected, bulk) appends a history row, so the key changes in the transaction
  that changes the data, and a result is never read for data that changed after it was computed;
* the inputs read fresh on every call (cheap): the QC center's settings and targets, the number
  of hospitals expected and, per indicator, of those declaring it not applicable;
* the scope (provinces, network members), the caller's province and the asked-for options.

Nothing else is cached: hospital names, the caller's view (a hospital user's own row) and every
check of who may see what still run per request. Peer-group scopes (membership read from the
hospital registry) and indicators with an O/E baseline (peer profiles read from the registry) are
always computed. The cache is bounded (least recently used out first) and per process: each worker
of a deployment fills its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.benchmark.scope import BenchmarkScope
from services.core.actor import Actor
from services.core.quarter import Quarter

MAX_BYTES = 256 * 1024 * 1024  # per worker process
_VERSIONS = """
SELECT s.quarter, count(*), sum(s.version), max(s.id), max(s.updated_at),
       count(*) FILTER (WHERE s.status = 'approved'), count(*) FILTER (WHERE s.status = 'submitted')
FROM submissions s WHERE s.quarter = ANY(:quarters) {where}
GROUP BY s.quarter
"""
# the newest accepted value: every value written (sent, corrected, bulk) appends its history row
# (the table's oid and the database name: a database built again from scratch starts its ids anew)
_NEWEST_VALUE = """
SELECT max(vv.id), 'submission_value_versions'::regclass::oid::bigint, current_database()
FROM submission_value_versions vv {where}
"""


def cacheable(scope: BenchmarkScope) -> bool:
    """Scopes whose hospitals do not depend on registry fields outside the key (peer groups do)."""
    return scope.level is None


def data_version(
    session: Session, actor: Actor, scope: BenchmarkScope, *, quarter: Quarter
) -> tuple[Any, ...]:
    """The version of the scope's submissions in ``quarter`` (the caller's province restated; row-level
    security applies). Read it before the data it versions."""
    return quarter_versions(session, actor, scope, [quarter])


def _province(actor: Actor, scope: BenchmarkScope) -> str | None:
    """The one province the scope's data lies in (None: several, or the nation)."""
    if not actor.is_national:
        return actor.province or ""
    return scope.province


def quarter_versions(
    session: Session, actor: Actor, scope: BenchmarkScope, quarters: list[Quarter]
) -> tuple[Any, ...]:
    """``data_version`` of each of ``quarters`` in one read, and the newest accepted value of the
    scope's province (of all provinces for a national scope): headers change with every status
    change and every submission (their version grows), history rows with every value written.
    Any new value of the province, in whichever quarter, gives every quarter a new version."""
    clauses, params = [], dict[str, Any](quarters=[str(q) for q in quarters])
    if scope.provinces is not None:
        clauses.append("s.province_code = ANY(:provinces)")
        params["provinces"] = list(scope.provinces)
    if not actor.is_national:
        clauses.append("s.province_code = :actor_province")
        params["actor_province"] = actor.province or ""
    if scope.members is not None:
        clauses.append("s.hospital_id = ANY(:members)")
        params["members"] = list(scope.members)
    where = "".join(f" AND {c}" for c in clauses)
    headers = session.execute(text(_VERSIONS.format(where=where)), params).all()
    province = _province(actor, scope)
    newest = session.execute(
        text(_NEWEST_VALUE.format(where="WHERE vv.province_code = :p" if province is not None else "")),
        {"p": province},
    ).one()
    return (tuple(newest), *sorted(tuple(row) for row in headers))


class ResultCache:
    """A bounded, thread-safe LRU of computed values with their approximate size in bytes."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def frozen_size(value: object) -> int:
    """Make every numpy array of a dataclass instance read-only (a caller changing a cached result
    in place would change it for the next request: it fails loudly instead) and return their size."""
    size = 512
    for name, item in vars(value).items():
        arrays = item.values() if isinstance(item, dict) else [item]
        for array in arrays:
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
                size += array.nbytes if array.dtype != object else array.size * 8
        if name == "oe" and item is not None:
            size += frozen_size(item)
    return size


BENCHMARKS = ResultCache()

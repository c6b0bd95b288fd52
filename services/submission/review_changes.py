"""What a reviewer needs to decide: the latest write of each queued submission (the values it
changed, before → after, and the reason given), read in one statement for the whole queue."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session


class ValueChange(BaseModel):
    indicator: str
    numerator: int
    denominator: int
    previous_numerator: int | None = None  # None: the value is new in this write
    previous_denominator: int | None = None
    comment: str | None = None


class LatestWrite(BaseModel):
    values: int  # values the submission holds now
    written: int  # values written by the latest request (new or changed)
    correction: bool  # the latest request changed values already on record
    reason: str = ""  # the correction reason given with it
    changes: list[ValueChange] = []  # changed values first, then new ones (at most CHANGES_SHOWN)


CHANGES_SHOWN = 50  # a first submission writes ~60 values: the queue shows counts, not all of them

# Rows written by one request share recorded_at (the transaction's now()); of those, the current
# version of each value (the one submission_values holds); its previous version is version − 1.
# Row-level security limits every table to the caller's tenant.
LATEST = text("""
WITH latest AS (
    SELECT submission_id, max(recorded_at) AS at
    FROM submission_value_versions WHERE submission_id = ANY(:ids) GROUP BY submission_id
)
SELECT v.submission_id, i.code, i.goal_id, v.numerator, v.denominator, v.comment, v.reason,
       p.numerator AS previous_numerator, p.denominator AS previous_denominator
FROM submission_value_versions v
JOIN latest l ON l.submission_id = v.submission_id AND v.recorded_at = l.at
JOIN submission_values cur
     ON cur.submission_id = v.submission_id AND cur.indicator_id = v.indicator_id AND cur.version = v.version
JOIN indicators i ON i.id = v.indicator_id
LEFT JOIN submission_value_versions p
       ON p.submission_id = v.submission_id AND p.indicator_id = v.indicator_id AND p.version = v.version - 1
ORDER BY v.submission_id, (p.numerator IS NULL), i.code
""")
COUNTS = text(
    "SELECT submission_id, count(*) FROM submission_values WHERE submission_id = ANY(:ids) GROUP BY submission_id"
)


def latest_writes(
    session: Session, submission_ids: Iterable[int], goal_ids: set[int] | None = None
) -> dict[int, LatestWrite]:
    """Per submission id, its latest write; ``goal_ids`` limits the values shown to a specialty's goals."""
    ids = list(submission_ids)
    if not ids:
        return {}
    counts: dict[int, int] = {row[0]: row[1] for row in session.execute(COUNTS, {"ids": ids})}
    out: dict[int, LatestWrite] = {}
    for row in session.execute(LATEST, {"ids": ids}).mappings():
        if goal_ids is not None and row["goal_id"] not in goal_ids:
            continue
        write = out.setdefault(
            row["submission_id"],
            LatestWrite(values=counts.get(row["submission_id"], 0), written=0, correction=False),
        )
        write.written += 1
        changed = row["previous_numerator"] is not None
        write.correction |= changed
        write.reason = write.reason or (row["reason"] or "")
        if len(write.changes) < CHANGES_SHOWN and (changed or not write.correction):
            write.changes.append(
                ValueChange(
                    indicator=row["code"],
                    numerator=row["numerator"],
                    denominator=row["denominator"],
                    previous_numerator=row["previous_numerator"],
                    previous_denominator=row["previous_denominator"],
                    comment=row["comment"],
                )
            )
    return out

"""COPY writers for the national data set: submission headers, values, history and events.

Rows have the shape the submission service writes (see ``values_load.py`` for the small demo):
a header per hospital × quarter, the current value and its first version per indicator, a submit
event and, once reviewed, an approve or return event. Every row names the synthetic actor that
"made" it. Text-format COPY: strings contain no tabs, backslashes or newlines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
import psycopg

from services.core.quarter import Quarter
from services.demo.values_load import CHINA, REVIEWER_ROLES, SUBMITTER_ROLES

RETURN_COMMENT = "数据与病案首页不一致，请核对分母 / denominator disagrees with the discharge records"
SUBMITTER = "{" + ",".join(SUBMITTER_ROLES) + "}"
REVIEWER = "{" + ",".join(REVIEWER_ROLES) + "}"


@dataclass(frozen=True)
class Header:
    id: int
    hospital_id: int
    province: str
    status: str
    submitted_at: str
    reviewed_at: str | None


def copy_lines(conn: psycopg.Connection, statement: str, chunks: Iterable[str]) -> None:
    with conn.cursor().copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def header_rows(
    quarter: Quarter, hospitals: list[tuple[int, str]], statuses: list[str | None], seed: int = 5
) -> list[tuple[Any, ...]]:
    """(hospital_id, province, status, submitted_at, reviewed_at, late) for the hospitals that submitted."""
    rng = np.random.default_rng([seed, quarter.year, quarter.q])
    n = len(hospitals)
    days, hours, review = rng.integers(3, 35, n), rng.integers(0, 9, n), rng.integers(2, 10, n)
    opens = datetime.combine(quarter.end + timedelta(days=1), time(9), CHINA)
    rows = []
    for i, ((hospital_id, province), status) in enumerate(zip(hospitals, statuses, strict=True)):
        if status is None:
            continue
        submitted = opens + timedelta(days=int(days[i]), hours=int(hours[i]))
        reviewed = submitted + timedelta(days=int(review[i])) if status in ("approved", "returned") else None
        rows.append(
            (hospital_id, province, status, submitted, reviewed, submitted > opens + timedelta(days=30))
        )
    return rows


def copy_headers(conn: psycopg.Connection, quarter: Quarter, rows: list[tuple[Any, ...]]) -> list[Header]:
    lines = []
    for hospital_id, province, status, submitted, reviewed, late in rows:
        at = _stamp(submitted)
        review = (_stamp(reviewed), f"system:demo:{province}-qc") if reviewed else ("\\N", "\\N")
        comment = RETURN_COMMENT if status == "returned" else ""
        lines.append(
            f"{province}\t{hospital_id}\t{quarter}\t{quarter.year}\t{status}\t{2 if reviewed else 1}\t"
            f"{at}\t{at}\t{'t' if late else 'f'}\t{review[0]}\t{review[1]}\t{comment}\n"
        )
    copy_lines(
        conn,
        "COPY submissions (province_code, hospital_id, quarter, catalog_year, status, version, "
        "first_submitted_at, submitted_at, late, reviewed_at, reviewed_by, review_comment) FROM STDIN",
        ["".join(lines)],
    )
    ids: dict[int, int] = dict(
        conn.execute("SELECT hospital_id, id FROM submissions WHERE quarter = %s", (str(quarter),)).fetchall()
    )
    return [
        Header(ids[h], h, p, s, _stamp(sub), _stamp(rev) if rev else None) for h, p, s, sub, rev, _ in rows
    ]


def copy_events(conn: psycopg.Connection, headers: list[Header]) -> int:
    lines = []
    for h in headers:
        base = f"{h.id}\t{h.province}\t{h.hospital_id}\t"
        lines.append(
            f"{base}submit\tdraft\tsubmitted\t1\t\tsystem:demo:his-{h.hospital_id}\t{SUBMITTER}\t"
            f"{h.submitted_at}\n"
        )
        if h.reviewed_at is not None:
            action = "approve" if h.status == "approved" else "return"
            lines.append(
                f"{base}{action}\tsubmitted\t{h.status}\t2\t\tsystem:demo:{h.province}-qc\t{REVIEWER}\t"
                f"{h.reviewed_at}\n"
            )
    copy_lines(
        conn,
        "COPY submission_events (submission_id, province_code, hospital_id, action, from_status, "
        "to_status, submission_version, comment, actor_subject, actor_roles, at) FROM STDIN",
        ["".join(lines)],
    )
    return len(lines)


def copy_values(
    conn: psycopg.Connection,
    headers: list[Header],
    positions: np.ndarray,
    values: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    indicator_ids: dict[str, int],
) -> int:
    """Current values and their first versions. ``positions[i]`` = index of header i's hospital in the arrays."""
    prefix = [f"{h.id}\t{h.province}\t{h.hospital_id}\t" for h in headers]
    current = [f"\t1\t{h.submitted_at}\tsystem:demo:his-{h.hospital_id}\n" for h in headers]
    history = [f"\t\tapi\tsystem:demo:his-{h.hospital_id}\t{SUBMITTER}\t{h.submitted_at}\n" for h in headers]
    chosen = {
        code: (n[positions].tolist(), d[positions].tolist(), m[positions].tolist())
        for code, (n, d, m) in values.items()
    }

    def rows(version_table: bool) -> Iterable[str]:
        for code, (num, den, mask) in chosen.items():
            ind = indicator_ids[code]
            if version_table:
                yield "".join(
                    f"{prefix[i]}{ind}\t1\t{num[i]}\t{den[i]}{history[i]}"
                    for i in range(len(headers))
                    if mask[i]
                )
            else:
                yield "".join(
                    f"{prefix[i]}{ind}\t{num[i]}\t{den[i]}{current[i]}"
                    for i in range(len(headers))
                    if mask[i]
                )

    copy_lines(
        conn,
        "COPY submission_values (submission_id, province_code, hospital_id, indicator_id, numerator, "
        "denominator, version, updated_at, updated_by) FROM STDIN",
        rows(False),
    )
    copy_lines(
        conn,
        "COPY submission_value_versions (submission_id, province_code, hospital_id, indicator_id, "
        "version, numerator, denominator, reason, source, actor_subject, actor_roles, recorded_at) "
        "FROM STDIN",
        rows(True),
    )
    return sum(sum(m) for _, _, m in chosen.values())

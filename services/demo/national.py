"""`qcp demo --scale national`: 32 provinces, 13,000 hospitals, every indicator, 8 quarters.

Written with COPY as the owner role in one transaction, with national scope bound
(``app.all_provinces``: FORCE ROW LEVEL SECURITY applies to the owner too unless it is a superuser),
then ANALYZE. Deterministic and idempotent: when the national hospitals are already there it
loads nothing. ``NationalScale`` shrinks it for tests (2 provinces × 20 hospitals × 2 quarters).
Synthetic data: not real hospitals.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.core.actor import system_actor
from services.core.quarter import Quarter, quarter_range
from services.demo import national_copy as cp
from services.demo.load import CURRENT_QUARTER
from services.demo.national_ddl import keys_rebuilt_after, tables_empty
from services.demo.national_registry import NationalHospital, national_hospitals
from services.demo.national_values import hospital_arrays, quarter_values, reports_type
from services.demo.values import FIRST, LAST, IndicatorSpec, status_for

MARKER_SQL = "SELECT count(*) FROM hospitals WHERE substr(credit_code, 9, 2) = '48'"  # org codes 48xxxxxx
TABLES = (
    "hospitals",
    "qc_centers",
    "indicator_applicability",
    "submission_windows",
    "submissions",
    "submission_values",
    "submission_value_versions",
    "submission_events",
)


@dataclass(frozen=True)
class NationalScale:
    hospitals: int = 13_000
    provinces: tuple[str, ...] | None = None  # None: all 32
    quarters: int = 8  # the last n quarters of 2022Q1–2023Q4


@dataclass
class NationalResult:
    loaded: bool
    hospitals: dict[str, int]  # "H001"/"H025" (demo logins) → id, plus every credit code → id
    centers: dict[str | None, int]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _bind_national(conn: psycopg.Connection) -> None:
    conn.execute(
        "SELECT set_config('app.all_provinces', 'on', true), set_config('app.province', '', true),"
        " set_config('app.hospital', '', true)"
    )


def _publish_catalogs(owner_url: str) -> None:
    from services.catalog.publish import load_builtin_catalogs

    engine = create_engine(owner_url)
    try:
        with Session(bind=engine, info={"actor": system_actor("demo")}) as session, session.begin():
            load_builtin_catalogs(session, published_by="system:demo")
    finally:
        engine.dispose()


def _provinces(conn: psycopg.Connection, wanted: tuple[str, ...] | None) -> dict[str, str]:
    rows = conn.execute("SELECT code, name FROM provinces ORDER BY code").fetchall()
    names = {code: name for code, name in rows if wanted is None or code in wanted}
    conn.execute(
        "UPDATE provinces SET onboarded_at = now() WHERE code = ANY(%s) AND onboarded_at IS NULL",
        (list(names),),
    )
    return names


def _centers(conn: psycopg.Connection, names: dict[str, str]) -> dict[str | None, int]:
    centers: dict[str | None, int] = {}
    for province in [None, *names]:
        row = conn.execute(
            "SELECT id FROM qc_centers WHERE province_code IS NOT DISTINCT FROM %s AND "
            "specialty_code IS NULL AND level = %s",
            (province, "national" if province is None else "provincial"),
        ).fetchone()
        if row is None:
            name = (
                "国家医疗质量管理与控制中心（医政）"
                if province is None
                else f"{names[province]}医疗质量控制中心"
            )
            row = conn.execute(
                "INSERT INTO qc_centers (province_code, level, name) VALUES (%s, %s, %s) RETURNING id",
                (province, "national" if province is None else "provincial", name),
            ).fetchone()
        assert row is not None  # INSERT ... RETURNING answers the new row
        centers[province] = row[0]
    return centers


def _copy_hospitals(
    conn: psycopg.Connection, hospitals: list[NationalHospital], reports_from: Quarter
) -> list[int]:
    lines = "".join(
        f"{h.province}\t{h.credit_code}\t{h.name}\t{h.level}\t{h.grade}\t{h.type}\t{h.prefecture}\t"
        f"{h.beds}\t{reports_from}\n"
        for h in hospitals
    )
    cp.copy_lines(
        conn,
        "COPY hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, "
        "beds, reports_from) FROM STDIN",
        [lines],
    )
    ids: dict[str, int] = dict(
        conn.execute(
            "SELECT credit_code, id FROM hospitals WHERE substr(credit_code, 9, 2) = '48'"
        ).fetchall()
    )
    return [ids[h.credit_code] for h in hospitals]


def _applicability(conn: psycopg.Connection, hospitals: list[NationalHospital], ids: list[int]) -> int:
    goals = conn.execute("SELECT code, id FROM goals ORDER BY id").fetchall()
    reason = "本院未开设相关诊疗科目 / the hospital offers no such service"
    lines = [
        f"{h.province}\t{hid}\t{goal_id}\t\\N\tnot_applicable\t{reason}\tsystem:demo:{h.province}-qc\n"
        for h, hid in zip(hospitals, ids, strict=True)
        if h.type != "综合"
        for code, goal_id in goals
        if not reports_type(h.type, f"{code}.")
    ]
    cp.copy_lines(
        conn,
        "COPY indicator_applicability (province_code, hospital_id, goal_id, indicator_id, status, "
        "reason, set_by) FROM STDIN",
        ["".join(lines)],
    )
    return len(lines)


def _open_current_quarter(conn: psycopg.Connection, provinces: list[str]) -> None:
    """As in the small demo, the current quarter (2023Q4) stays open for submission and review."""
    now = datetime.now(UTC)
    for province in provinces:
        conn.execute(
            "INSERT INTO submission_windows (province_code, quarter, opens_at, due_at, locks_at, set_by) "
            "VALUES (%s, %s, %s, %s, %s, 'system:demo') ON CONFLICT DO NOTHING",
            (
                province,
                str(CURRENT_QUARTER),
                datetime(2024, 1, 1, tzinfo=UTC),
                now + timedelta(days=60),
                now + timedelta(days=90),
            ),
        )


def _specs(conn: psycopg.Connection) -> tuple[dict[int, list[IndicatorSpec]], dict[str, int]]:
    rows = conn.execute(
        "SELECT id, code, year, kind, direction, multiplier FROM indicators"
        " WHERE withdrawn_revision IS NULL ORDER BY year, id"  # a withdrawn indicator takes no new values
    ).fetchall()
    by_year: dict[int, list[IndicatorSpec]] = {}
    for _, code, year, kind, direction, multiplier in rows:
        by_year.setdefault(year, []).append(IndicatorSpec(code, year, kind, direction, multiplier))
    return by_year, {code: ind_id for ind_id, code, *_ in rows}


def _load_quarters(
    conn: psycopg.Connection,
    hospitals: list[NationalHospital],
    ids: list[int],
    quarters: int,
    echo: Callable[[str], None],
) -> dict[str, int]:
    specs, indicator_ids = _specs(conn)
    arrays = hospital_arrays([h.beds for h in hospitals], [h.type for h in hospitals])
    counts = {"submissions": 0, "submission_values": 0, "submission_events": 0}
    all_quarters = quarter_range(FIRST, LAST)
    for t, quarter in enumerate(all_quarters):
        if t < len(all_quarters) - quarters:
            continue
        statuses = [status_for(h.index, quarter) for h in hospitals]
        rows = cp.header_rows(
            quarter, [(hid, h.province) for h, hid in zip(hospitals, ids, strict=True)], statuses
        )
        headers = cp.copy_headers(conn, quarter, rows)
        positions = np.array([i for i, s in enumerate(statuses) if s is not None], dtype=np.int64)
        values = quarter_values(arrays, specs.get(quarter.year, []), quarter, t)
        counts["submission_values"] += cp.copy_values(conn, headers, positions, values, indicator_ids)
        counts["submission_events"] += cp.copy_events(conn, headers)
        counts["submissions"] += len(headers)
        echo(f"[national] {quarter}: {len(headers)} submissions, {counts['submission_values']} values so far")
    counts["submission_value_versions"] = counts["submission_values"]
    return counts


def _existing(conn: psycopg.Connection, names: dict[str, str]) -> NationalResult:
    rows = conn.execute(
        "SELECT credit_code, id, province_code FROM hospitals WHERE substr(credit_code, 9, 2) = '48'"
        " ORDER BY id"
    ).fetchall()
    return NationalResult(False, _login_keys(rows), _centers(conn, names))


def _login_keys(rows: list[tuple[str, int, str]]) -> dict[str, int]:
    """The demo logins' hospitals: H001 is a Zhejiang hospital, H025 a Guangdong one (when loaded)."""
    out = {code: hid for code, hid, _ in rows}
    for key, province in (("H001", "330000"), ("H025", "440000")):
        match = next((hid for _, hid, p in rows if p == province), None)
        if match is not None:
            out[key] = match
    return out


def load_national(
    owner_url: str, scale: NationalScale = NationalScale(), echo: Callable[[str], None] = print
) -> NationalResult:
    """Build the national data set (see the module docstring); skip when it is already there."""
    start = clock.perf_counter()
    _publish_catalogs(owner_url)
    with psycopg.connect(libpq(owner_url)) as conn:
        _bind_national(conn)
        names = _provinces(conn, scale.provinces)
        marker = conn.execute(MARKER_SQL).fetchone()
        if marker is not None and marker[0]:
            echo(
                "[national] 全国规模数据已存在，跳过 / the national data set is already loaded: nothing to do"
            )
            return _existing(conn, names)
        centers = _centers(conn, names)
        hospitals = national_hospitals(scale.hospitals, list(names), names)
        ids = _copy_hospitals(
            conn, hospitals, quarter_range(FIRST, LAST)[-scale.quarters]
        )  # owe what is loaded
        echo(f"[national] {len(hospitals)} hospitals in {len(names)} provinces")
        counts = {"hospitals": len(ids), "indicator_applicability": _applicability(conn, hospitals, ids)}
        _open_current_quarter(conn, list(names))
        bulk = keys_rebuilt_after(conn) if tables_empty(conn) else nullcontext()
        with bulk:
            counts |= _load_quarters(conn, hospitals, ids, scale.quarters, echo)
        rows = [(h.credit_code, hid, h.province) for h, hid in zip(hospitals, ids, strict=True)]
        conn.commit()
    with psycopg.connect(libpq(owner_url), autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"ANALYZE {table}")
    return NationalResult(True, _login_keys(rows), centers, counts, clock.perf_counter() - start)


NATIONAL_DB = "qcp_national"


def national_urls(reset: bool = False) -> tuple[str, str]:
    """(owner, app) URLs for the national data set: the configured database when QCP_DATABASE_URL is
    set, else its own database ``qcp_national`` on the embedded server (the small demo's ``qcp`` is
    left alone). ``reset`` drops that embedded database first."""
    from services.core import embedded, runtime
    from services.core.config import APP_ROLE, database_settings

    settings = database_settings()
    if settings.database_url or settings.migration_database_url:
        if reset:
            raise RuntimeError("--reset only applies to the embedded PostgreSQL")
        return runtime.owner_url(), runtime.app_url()
    admin = runtime.embedded_admin_uri()
    if reset:
        embedded.drop_database(admin, NATIONAL_DB)
    embedded.ensure_database(admin, NATIONAL_DB)
    urls = embedded.server_urls(admin, NATIONAL_DB, APP_ROLE)
    return urls.owner, urls.app

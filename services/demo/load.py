"""Load the deterministic demo data set (idempotent) and describe the demo logins.

The catalogs are published like a deployment does (``qcp catalog publish --shipped``). Values:
2022Q1–2023Q4 and the third quarter of every later published year; 2023Q4 and every quarter of the
published years after 2023 stay open for submission (windows set relative to the load time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from services.core.actor import system_actor
from services.core.quarter import Quarter
from services.demo.registry_data import (
    DEMO_PROVINCES,
    DemoHospital,
    DemoNetwork,
    demo_hospitals,
    demo_networks,
)
from services.demo.values import FIRST
from services.models import Hospital, Network, NetworkMembership, Province, QcCenter

CURRENT_QUARTER = Quarter(2023, 4)


def _general_center(session: Session, province: str | None) -> QcCenter:
    level = "national" if province is None else "provincial"
    center = session.scalars(
        select(QcCenter).where(
            QcCenter.province_code.is_(province) if province is None else QcCenter.province_code == province,
            QcCenter.specialty_code.is_(None),
            QcCenter.level == level,
        )
    ).first()
    if center is None:
        name = "国家医疗质量管理与控制中心（医政）" if province is None else None
        if name is None:
            found = session.get(Province, province)
            assert found is not None  # the demo provinces are loaded by the migrations
            pname = found.name
            name = f"{pname}医疗质量控制中心"
        center = QcCenter(province_code=province, level=level, specialty_code=None, name=name)
        session.add(center)
        session.flush()
    return center


def _hospitals(session: Session, demo: list[DemoHospital]) -> dict[str, int]:
    existing = dict(session.execute(select(Hospital.credit_code, Hospital.id)).all())
    ids: dict[str, int] = {}
    for h in demo:
        if h.credit_code not in existing:
            row = Hospital(
                province_code=h.province,
                credit_code=h.credit_code,
                name=h.name,
                level=h.level,
                grade=h.grade,
                type=h.type,
                prefecture_code=h.prefecture,
                beds=h.beds,
                reports_from=str(FIRST),
            )
            session.add(row)
            session.flush()
            existing[h.credit_code] = row.id
        ids[h.key] = existing[h.credit_code]
    return ids


def _networks(
    session: Session, ids: dict[str, int], centers: dict[str | None, int], demo: list[DemoNetwork]
) -> None:
    for net in demo:
        if session.scalars(select(Network).where(Network.name == net.name)).first():
            continue
        row = Network(
            province_code=net.province, qc_center_id=centers[net.province], kind=net.kind, name=net.name
        )
        session.add(row)
        session.flush()
        for key, start, end in net.members:
            hospital = session.get(Hospital, ids[key])
            assert hospital is not None  # loaded just before by _hospitals
            session.add(
                NetworkMembership(
                    network_id=row.id,
                    hospital_id=hospital.id,
                    province_code=hospital.province_code,
                    valid_from=date.fromisoformat(start),
                    valid_to=date.fromisoformat(end) if end else None,
                )
            )


def load_registry(session: Session) -> tuple[dict[str, int], dict[str | None, int]]:
    now = datetime.now(UTC)
    for code in DEMO_PROVINCES:
        province = session.get(Province, code)
        assert province is not None  # the migrations load every province
        if province.onboarded_at is None:
            province.onboarded_at = now
    centers = {p: _general_center(session, p).id for p in [None, *DEMO_PROVINCES]}
    hospitals = demo_hospitals()
    ids = _hospitals(session, hospitals)
    _networks(session, ids, centers, demo_networks(hospitals))
    session.flush()
    return ids, centers


def load_demo(
    owner_url: str, echo: Callable[[str], None] = print
) -> tuple[dict[str, int], dict[str | None, int]]:
    """Catalog, registry and submissions of the demo. Returns hospital ids by demo key and QC centers."""
    from services.catalog.publish import load_builtin_catalogs

    engine = create_engine(owner_url)
    try:
        with Session(bind=engine, info={"actor": system_actor("demo")}) as session, session.begin():
            echo(
                "[demo] 发布随附目标目录 / publishing the shipped goal catalogs (qcp catalog publish --shipped) …"
            )
            results = load_builtin_catalogs(session, published_by="system:demo")
            echo(f"[demo] 目录 / catalogs: {', '.join(r.label for r in results)}")
            echo(
                "[demo] 载入省份、质控中心、医院与网络 / loading provinces, QC centers, hospitals, networks …"
            )
            ids, centers = load_registry(session)
            _load_values(session, ids, echo)
            _open_current_quarter(session)
            _freeze_locked(session, echo)
        return ids, centers
    finally:
        engine.dispose()


def open_quarters(session: Session) -> list[Quarter]:
    """The quarters a demo hospital can submit: 2023Q4 and every quarter of the published catalog
    years after 2023 that has started (2024Q1–2026Q4 with the shipped catalogs, late 2026)."""
    from services.models.catalog import CatalogYear
    from services.submission.windows import today_in_china

    years = [y for y in session.scalars(select(CatalogYear.year)) if y > CURRENT_QUARTER.year]
    today = today_in_china()
    later = [Quarter(y, q) for y in sorted(years) for q in (1, 2, 3, 4) if Quarter(y, q).start <= today]
    return [CURRENT_QUARTER, *later]


def _open_current_quarter(session: Session) -> None:
    """The demo's open quarters stay open for submission and review: their windows are set relative
    to the moment the demo is loaded, so a newcomer can submit and approve."""
    from services.models.submission import SubmissionWindow

    now = datetime.now(UTC)
    for quarter in open_quarters(session):
        opens = datetime(2024, 1, 1, tzinfo=UTC)
        if quarter != CURRENT_QUARTER:  # a quarter still running opens now
            opens = min(
                datetime.combine(quarter.end + timedelta(days=1), time(0), UTC), now - timedelta(minutes=1)
            )
        for province in DEMO_PROVINCES:
            exists = session.scalar(
                select(SubmissionWindow.id).where(
                    SubmissionWindow.province_code == province, SubmissionWindow.quarter == str(quarter)
                )
            )
            if exists is None:
                session.add(
                    SubmissionWindow(
                        province_code=province,
                        quarter=str(quarter),
                        opens_at=opens,
                        due_at=now + timedelta(days=60),
                        locks_at=now + timedelta(days=90),
                        set_by="system:demo",
                    )
                )
    session.flush()


def _freeze_locked(session: Session, echo: Callable[[str], None]) -> None:
    """Freeze the laggard flags of every locked demo quarter, as the scheduler would."""
    from services.benchmark.snapshots import freeze_locked_windows

    frozen = freeze_locked_windows(session, system_actor("demo"), lookback=40)
    if frozen:
        echo(f"[demo] 冻结预警快照 / froze {len(frozen)} flag snapshots (2022Q1–2023Q3)")


def _load_values(session: Session, ids: dict[str, int], echo: Callable[[str], None]) -> None:
    try:
        from services.demo.values_load import load_submissions
    except ModuleNotFoundError:
        echo("[demo] (submission tables not yet available: no quarterly values loaded)")
        return
    count = load_submissions(session, ids)
    echo(f"[demo] 季度上报数据 / quarterly values: {count} rows")

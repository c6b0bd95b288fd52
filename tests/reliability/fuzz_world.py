"""The fuzzing world: a database of its own loaded with the demo data, marker rows planted in
other tenants, one actor per role, and pools of real ids for path parameters."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from platform_api.auth.dev_directory import DevClient
from services.core.actor import Role
from services.models import Network
from tests.reliability.support import actor
from tests.submission.support import add_hospital

ZJ, OTHERS = "330000", ("440000", "510000")
OTHER_HOSPITAL_MARK = "LEAKMARK-HOTHER"  # another 330000 hospital's private comments
MARKERS = {p: f"LEAKMARK-{p}" for p in OTHERS}


@dataclass
class Pools:
    hospital_id: list[int] = field(default_factory=list)
    network_id: list[int] = field(default_factory=list)
    qc_center_id: list[int] = field(default_factory=list)
    membership_id: list[int] = field(default_factory=list)
    quarter: list[str] = field(default_factory=lambda: ["2023Q3", "2023Q4", "2022Q4", "2023Q1"])
    year: list[int] = field(default_factory=lambda: [2022, 2023])

    def as_dict(self) -> dict[str, list]:
        return {k: v for k, v in self.__dict__.items() if v}


def _plant_province(session: Session, province: str, center_id: int) -> None:
    mark = MARKERS[province]
    add_hospital(session, province, f"{mark}-医院")
    session.add(
        Network(
            province_code=province,
            qc_center_id=center_id,
            kind="custom",
            name=f"{mark}-网络",
            description=f"{mark}-描述",
        )
    )
    for table in ("submission_values", "submission_value_versions"):
        session.execute(
            text(
                f"UPDATE {table} SET comment = :c WHERE id IN (SELECT id FROM {table}"
                " WHERE province_code = :p ORDER BY id LIMIT 200)"
            ),
            {"c": f"{mark}-备注", "p": province},
        )
    session.execute(
        text("UPDATE submission_events SET comment = :c WHERE province_code = :p"),
        {"c": f"{mark}-事件", "p": province},
    )


def plant_markers(owner_url: str, h001: int, centers: dict) -> None:
    """Marker text in 440000 and 510000 (names, comments, events) and in another 330000 hospital."""
    engine = create_engine(owner_url)
    with Session(engine) as session, session.begin():
        session.info["raw"] = True
        # history tables are append-only (a trigger refuses changes): plant as a replica would
        session.execute(text("SET LOCAL session_replication_role = replica"))
        for province in OTHERS:
            _plant_province(session, province, centers[province])
        for table in ("submission_values", "submission_value_versions"):
            session.execute(
                text(
                    f"UPDATE {table} SET comment = :c WHERE province_code = :p AND hospital_id <> :h"
                    " AND comment IS NULL"
                ),
                {"c": f"{OTHER_HOSPITAL_MARK}-备注", "p": ZJ, "h": h001},
            )
    engine.dispose()


def pools(owner_url: str, h001: int) -> Pools:
    engine = create_engine(owner_url)
    out = Pools()
    with engine.connect() as conn:

        def ids(sql: str) -> list[int]:
            return [r[0] for r in conn.execute(text(sql))]

        out.hospital_id = (
            [h001]
            + ids("SELECT min(id) FROM hospitals GROUP BY province_code")
            + ids("SELECT id FROM hospitals WHERE name LIKE 'LEAKMARK%'")
        )
        out.network_id = ids("SELECT min(id) FROM networks GROUP BY province_code")
        out.network_id += ids("SELECT id FROM networks WHERE name LIKE 'LEAKMARK%'")
        out.qc_center_id = ids("SELECT id FROM qc_centers ORDER BY id LIMIT 6")
        out.membership_id = ids("SELECT min(id) FROM network_memberships GROUP BY province_code")
    engine.dispose()
    return out


@dataclass(frozen=True)
class Caller:
    role: str
    token: str
    forbidden: tuple[str, ...]  # marker prefixes this caller must never receive


def callers(live, h001: int) -> list[Caller]:  # noqa: ANN001
    """One real signed token per role; 330000 and H001 callers must see no other tenant's markers."""
    foreign = tuple(MARKERS.values())
    hospital = (*foreign, OTHER_HOSPITAL_MARK)
    specs = [
        ("national_admin", actor(Role.NATIONAL_ADMIN, "fz-nat-admin"), ()),
        ("national_analyst", actor(Role.NATIONAL_ANALYST, "fz-nat-analyst"), ()),
        ("provincial_admin", actor(Role.PROVINCIAL_ADMIN, "fz-zj-admin", ZJ), foreign),
        ("provincial_analyst", actor(Role.PROVINCIAL_ANALYST, "fz-zj-analyst", ZJ), foreign),
        ("specialty_qc", actor(Role.SPECIALTY_QC, "fz-zj-icu", ZJ, specialty="icu"), foreign),
        ("hospital_submitter", actor(Role.HOSPITAL_SUBMITTER, "fz-h1-sub", ZJ, h001), hospital),
        ("hospital_viewer", actor(Role.HOSPITAL_VIEWER, "fz-h1-view", ZJ, h001), hospital),
    ]
    out = [Caller(name, live.token_for(a), forbidden) for name, a, forbidden in specs]
    live.directory.clients.append(DevClient("fz-hosp-system", "fz-secret", (Role.HOSPITAL_SYSTEM,), ZJ, h001))
    out.append(Caller("hospital_system", live.issuer.client_token("fz-hosp-system"), hospital))
    return out


_MARK = re.compile(rb"LEAKMARK-[0-9A-Z]+")


def markers_in(content: bytes) -> set[str]:
    """Marker prefixes found in a response body (zip containers such as XLSX are opened)."""
    found = {m.decode() for m in _MARK.findall(content)}
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zf:
                for name in zf.namelist():
                    found |= {m.decode() for m in _MARK.findall(zf.read(name))}
        except zipfile.BadZipFile:
            pass
    return found

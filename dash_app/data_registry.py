"""Registry administration from the dashboards: register hospitals; create networks, add and end
dated memberships.

Calls ``services.registry`` (hospitals, networks) through ``Database.unit_of_work(actor)`` like the API; who may
do what is decided there (and by row-level security). Problems come back as data — ``{"ok": …}`` or
``{"detail": …, "problems": [{"field", "problem"}]}`` — for the page to show next to the form.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ValidationError
from sqlalchemy import func
from sqlalchemy.orm import Session

from dash_app.data_submission import outcome
from dash_app.form_errors import problems_of
from services.core.actor import Actor
from services.core.db import Database
from services.models import Hospital, QcCenter
from services.registry import hospitals, networks
from services.registry.queries import hospitals_stmt, qc_centers_stmt
from services.registry.schemas import (
    HospitalCreate,
    HospitalDeactivate,
    HospitalRead,
    HospitalUpdate,
    MemberRead,
    MembershipCreate,
    MembershipEnd,
    NetworkCreate,
    NetworkRead,
)

INVALID = "输入无效，请检查标出的字段 / the input is invalid: check the fields named below"


def invalid(exc: ValidationError) -> dict:
    """A pydantic error as the same shape the services' ValidationFailed gives."""
    return {"detail": INVALID, "problems": problems_of(exc)}


def saved(db: Database, actor: Actor, read: type[BaseModel], change: Callable[[Session], object]) -> dict:
    """Run ``change(session)`` in the actor's unit of work: ``{"ok": read of its result}`` or its problems."""

    def call() -> BaseModel:
        with db.unit_of_work(actor) as session:
            return read.model_validate(change(session))

    return outcome(call)


def _choose(field: str, problem: str) -> dict:
    return {"detail": INVALID, "problems": [{"field": field, "problem": problem}]}


def qc_center_options(db: Database, actor: Actor) -> list[dict]:
    """Active QC centers in the actor's scope (the service re-checks which ones it may use)."""
    with db.unit_of_work(actor) as session:
        stmt = (
            qc_centers_stmt(actor)
            .where(QcCenter.active.is_(True))
            .order_by(QcCenter.province_code, QcCenter.id)
        )
        return [{"value": c.id, "label": c.name} for c in session.execute(stmt).scalars()]


def network_options(db: Database, actor: Actor) -> list[dict]:
    """Networks in scope, the actor's own province's first (national ones are for national admins)."""
    with db.unit_of_work(actor) as session:
        found = sorted(networks.list_networks(session, actor), key=lambda n: (n.province_code is None, n.id))
        return [
            {"value": n.id, "label": f"{n.name}{'' if n.active else ' (停用 / inactive)'}"} for n in found
        ]


def create_network(
    db: Database,
    actor: Actor,
    *,
    qc_center_id: int | str | None,
    kind: str | None,
    name: str | None,
    description: str | None = "",
) -> dict:
    try:  # the form's values as typed: the schema judges them
        payload = NetworkCreate.model_validate(
            {
                "qc_center_id": qc_center_id or 0,
                "kind": kind,
                "name": (name or "").strip(),
                "description": (description or "").strip(),
            }
        )
    except ValidationError as exc:
        return invalid(exc)
    return saved(
        db, actor, NetworkRead, lambda session: networks.create_network(session, actor, data=payload)
    )


def memberships(db: Database, actor: Actor, network_id: int) -> list[dict]:
    """Every membership of the network, past and present (nothing is ever deleted)."""
    with db.unit_of_work(actor) as session:
        return [
            m.model_dump(mode="json")
            for m in networks.list_memberships(session, actor, network_id=network_id)
        ]


def add_member(
    db: Database,
    actor: Actor,
    *,
    network_id: int,
    hospital_id: int | str | None,
    valid_from: str | None,
    valid_to: str | None,
) -> dict:
    try:  # the form's values as typed: the schema judges them
        payload = MembershipCreate.model_validate(
            {"hospital_id": hospital_id or 0, "valid_from": valid_from or None, "valid_to": valid_to or None}
        )
    except ValidationError as exc:
        return invalid(exc)
    return saved(
        db,
        actor,
        MemberRead,
        lambda session: networks.add_member(session, actor, network_id=network_id, data=payload),
    )


def end_membership(
    db: Database,
    actor: Actor,
    *,
    network_id: int,
    membership_id: int | str | None,
    valid_to: str | None,
    reason: str | None = "",
) -> dict:
    if not membership_id:
        return {
            "detail": "请选择要结束的成员资格 / choose the membership to end",
            "problems": [{"field": "membership_id", "problem": "required"}],
        }
    try:
        payload = MembershipEnd.model_validate(
            {"valid_to": valid_to or None, "reason": (reason or "").strip()}
        )
    except ValidationError as exc:
        return invalid(exc)
    return saved(
        db,
        actor,
        MemberRead,
        lambda session: networks.end_membership(
            session, actor, network_id=network_id, membership_id=int(membership_id), data=payload
        ),
    )


def hospital_choices(db: Database, actor: Actor, province: str | None) -> list[dict]:
    """Active hospitals in scope (of ``province`` when given) for the add-member form."""
    with db.unit_of_work(actor) as session:
        stmt = hospitals_stmt(actor).where(Hospital.active.is_(True))
        if province:
            stmt = stmt.where(Hospital.province_code == province)
        return [
            {"value": h.id, "label": h.name} for h in session.execute(stmt.order_by(Hospital.id)).scalars()
        ]


HOSPITAL_FIELDS = ("credit_code", "name", "level", "grade", "type", "prefecture_code", "beds", "reports_from")


def _whole_number(typed: object) -> object:
    """Typed digits (with an optional sign) as an int, so the schema judges the number (−5 → "不能小于
    0"); anything else goes on as typed and the schema names the problem."""
    text = str(typed).strip().replace("−", "-")
    return int(text) if text.lstrip("+-").isdigit() else typed


def register_hospital(db: Database, actor: Actor, *, province: str | None, form: dict) -> dict:
    """Register a hospital from the admin page's form (``HOSPITAL_FIELDS``; empty ones left out, so
    the schema names what is missing and ``reports_from`` takes its default)."""
    values = {k: form[k].strip() if isinstance(form.get(k), str) else form.get(k) for k in HOSPITAL_FIELDS}
    values = {k: _whole_number(v) if k == "beds" else v for k, v in values.items() if v not in (None, "")}
    try:
        payload = HospitalCreate.model_validate(
            {"province_code": province if actor.is_national else None, **values}
        )
    except ValidationError as exc:
        return invalid(exc)
    return saved(
        db, actor, HospitalRead, lambda session: hospitals.create_hospital(session, actor, data=payload)
    )


def newest_hospitals(db: Database, actor: Actor, province: str | None, limit: int) -> tuple[list[dict], int]:
    """The ``limit`` most recently registered hospitals in scope (of ``province`` when given), and how
    many there are in all."""
    with db.unit_of_work(actor) as session:
        stmt = hospitals_stmt(actor)
        if province:
            stmt = stmt.where(Hospital.province_code == province)
        total = session.execute(stmt.with_only_columns(func.count(Hospital.id)).order_by(None)).scalar_one()
        rows = session.execute(stmt.order_by(Hospital.id.desc()).limit(limit)).scalars()
        return [HospitalRead.model_validate(h).model_dump(mode="json") for h in rows], total


def change_reports_from(
    db: Database, actor: Actor, *, hospital_id: int | str | None, reports_from: str | None, reason: str | None
) -> dict:
    """Move a hospital's 起报季度 (audited with the reason, like any registry change)."""
    if not hospital_id:
        return _choose("hospital_id", "请选择医院 / choose a hospital")
    if reports_from is None or not reports_from.strip():
        return _choose("reports_from", "YYYYQn, e.g. 2023Q1")
    try:
        payload = HospitalUpdate(reports_from=reports_from.strip(), reason=(reason or "").strip())
    except ValidationError as exc:
        return invalid(exc)
    return saved(
        db,
        actor,
        HospitalRead,
        lambda session: hospitals.update_hospital(session, actor, hospital_id=int(hospital_id), data=payload),
    )


def deactivate_hospital(
    db: Database, actor: Actor, *, hospital_id: int | str | None, reason: str | None
) -> dict:
    """Deactivate a hospital (kept with its history; it still owes the quarters that ended before)."""
    if not hospital_id:
        return _choose("hospital_id", "请选择医院 / choose a hospital")
    try:
        payload = HospitalDeactivate(reason=(reason or "").strip())
    except ValidationError as exc:
        return invalid(exc)
    return saved(
        db,
        actor,
        HospitalRead,
        lambda session: hospitals.deactivate_hospital(
            session, actor, hospital_id=int(hospital_id), reason=payload.reason
        ),
    )

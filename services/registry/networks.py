"""Hospital networks defined by QC centers, and dated membership ``[valid_from, valid_to)``.

* A provincial network (``province_code`` = its QC center's province) holds only that province's
  hospitals; it is defined by that province's admins, or by national admins.
* A national network (``province_code`` NULL) may span provinces; only national callers
  (national admins, national QC staff) define it.
* Who may write at all comes from the roles matrix (``registry.network.write``); should it grant
  specialty QC staff, they act for their own center (``qc_center_id`` / ``specialty`` claims) only.
* A hospital's memberships of one network never overlap (checked here with a readable message,
  and by the database's exclusion constraint, whose violation also becomes a Conflict).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select, true
from sqlalchemy.orm import Session

from services import audit
from services.core.actor import Actor, Role
from services.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.core.quarter import Quarter
from services.identity.permissions import require
from services.models import Hospital, Network, NetworkMembership, QcCenter
from services.registry.changes import apply_audited, requested_changes
from services.registry.queries import (
    conflicts_as,
    load_hospital,
    load_network,
    load_qc_center,
    memberships_stmt,
    networks_stmt,
    not_found,
)
from services.registry.schemas import (
    MemberRead,
    MembershipCreate,
    MembershipEnd,
    NetworkCreate,
    NetworkUpdate,
)

WRITE = "registry.network.write"
ADMINS = (Role.NATIONAL_ADMIN, Role.PROVINCIAL_ADMIN)
OVERLAP = "ex_network_memberships_no_overlap"


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, problems=[{"field": field, "problem": message.split(" / ")[-1]}])


def _ensure_can_define(actor: Actor, center: QcCenter, *, missing: NotFound) -> None:
    """May ``actor`` define or change networks of ``center`` (already loaded in the actor's scope)?

    Another QC center's or specialty's networks answer exactly like a missing one (``missing``).
    """
    if center.province_code is None and not actor.is_national:
        raise PermissionDenied(
            "全国性网络只能由国家级质控中心或国家管理员定义 / national networks are defined by national QC centers "
            "or national admins"
        )
    if actor.has(*ADMINS):
        return
    if (
        actor.qc_center_id is not None and actor.qc_center_id != center.id
    ) or actor.specialty != center.specialty_code:
        raise missing


def create_network(session: Session, actor: Actor, *, data: NetworkCreate) -> Network:
    require(actor, WRITE)
    center = load_qc_center(session, actor, data.qc_center_id)
    _ensure_can_define(actor, center, missing=not_found("qc_center", data.qc_center_id))
    if not center.active:
        raise _invalid("qc_center_id", f"质控中心 {center.id} 已停用 / QC center {center.id} is inactive")
    network = Network(province_code=center.province_code, **data.model_dump())
    session.add(network)
    session.flush()
    session.refresh(network)
    audit.record(
        session,
        actor,
        action="network.create",
        entity="network",
        entity_id=network.id,
        before=None,
        after=audit.snapshot(network),
        province_code=network.province_code,
    )
    return network


def _editable_network(session: Session, actor: Actor, network_id: int) -> Network:
    require(actor, WRITE)
    network = load_network(session, actor, network_id, for_update=True)
    _ensure_can_define(
        actor, load_qc_center(session, actor, network.qc_center_id), missing=not_found("network", network.id)
    )
    return network


def update_network(session: Session, actor: Actor, *, network_id: int, data: NetworkUpdate) -> Network:
    network = _editable_network(session, actor, network_id)
    changes = requested_changes(data, network)
    if not changes:
        return network
    return apply_audited(
        session, actor, network, changes, entity="network", action="update", reason=data.reason
    )


def get_network(session: Session, actor: Actor, *, network_id: int) -> Network:
    return load_network(session, actor, network_id)


def list_networks(
    session: Session, actor: Actor, *, qc_center_id: int | None = None, active: bool | None = None
) -> list[Network]:
    stmt = networks_stmt(actor)
    if qc_center_id is not None:
        stmt = stmt.where(Network.qc_center_id == qc_center_id)
    if active is not None:
        stmt = stmt.where(Network.active.is_(active))
    return list(session.execute(stmt.order_by(Network.province_code.nulls_first(), Network.id)).scalars())


def _overlapping(session: Session, actor: Actor, membership: NetworkMembership) -> NetworkMembership | None:
    start, end = membership.valid_from, membership.valid_to
    stmt = memberships_stmt(actor).where(
        NetworkMembership.network_id == membership.network_id,
        NetworkMembership.hospital_id == membership.hospital_id,
        NetworkMembership.valid_from < end if end is not None else true(),
        or_(NetworkMembership.valid_to.is_(None), NetworkMembership.valid_to > start),
    )
    if membership.id is not None:
        stmt = stmt.where(NetworkMembership.id != membership.id)
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def _overlap_conflict(other: NetworkMembership | None) -> Conflict:
    if other is None:
        return Conflict("成员资格时间段重叠 / the membership overlaps another membership of this hospital")
    span = f"[{other.valid_from}, {other.valid_to or '∞'})"
    return Conflict(
        f"医院 {other.hospital_id} 在该网络已有重叠的成员资格 {span}（id {other.id}）/ hospital "
        f"{other.hospital_id} already has an overlapping membership {span} (id {other.id}) in this network",
        existing_id=other.id,
    )


def _check_dates(valid_from: date, valid_to: date | None) -> None:
    if valid_to is not None and valid_to <= valid_from:
        raise _invalid(
            "valid_to",
            f"结束日期 {valid_to} 必须晚于开始日期 {valid_from} / valid_to {valid_to} must be after valid_from "
            f"{valid_from} (the end date is exclusive)",
        )


def _save_membership(
    session: Session, actor: Actor, membership: NetworkMembership, changes: dict[str, Any]
) -> None:
    with conflicts_as(session, {OVERLAP: _overlap_conflict(None).detail}):
        for key, value in changes.items():
            setattr(membership, key, value)
        other = _overlapping(session, actor, membership)
        if other is not None:
            raise _overlap_conflict(other)
        session.add(membership)


def add_member(
    session: Session, actor: Actor, *, network_id: int, data: MembershipCreate
) -> NetworkMembership:
    network = _editable_network(session, actor, network_id)
    if not network.active:
        raise _invalid("network_id", f"网络 {network.id} 已停用 / network {network.id} is inactive")
    _check_dates(data.valid_from, data.valid_to)
    hospital = load_hospital(session, actor, data.hospital_id)
    if network.province_code is not None and hospital.province_code != network.province_code:
        raise _invalid(
            "hospital_id",
            "省级网络只能包含本省医院 / a provincial network only includes its province's hospitals",
        )
    if not hospital.active:
        raise _invalid("hospital_id", f"医院 {hospital.id} 已停用 / hospital {hospital.id} is deactivated")
    membership = NetworkMembership(
        network_id=network.id, hospital_id=hospital.id, province_code=hospital.province_code
    )
    _save_membership(session, actor, membership, data.model_dump(include={"valid_from", "valid_to"}))
    session.refresh(membership)
    audit.record(
        session,
        actor,
        action="network.member.add",
        entity="network_membership",
        entity_id=membership.id,
        before=None,
        after=audit.snapshot(membership),
        province_code=membership.province_code,
    )
    return membership


def end_membership(
    session: Session, actor: Actor, *, network_id: int, membership_id: int, data: MembershipEnd
) -> NetworkMembership:
    """Set the (exclusive) end date of a membership; history stays: nothing is deleted."""
    _editable_network(session, actor, network_id)
    stmt = memberships_stmt(actor).where(
        NetworkMembership.id == membership_id, NetworkMembership.network_id == network_id
    )
    membership = session.execute(stmt.with_for_update()).scalar_one_or_none()
    if membership is None:
        raise not_found("membership", membership_id)
    if membership.valid_to == data.valid_to:
        return membership
    _check_dates(membership.valid_from, data.valid_to)
    before = audit.snapshot(membership)
    _save_membership(session, actor, membership, {"valid_to": data.valid_to})
    audit.record(
        session,
        actor,
        action="network.member.end",
        entity="network_membership",
        entity_id=membership.id,
        before=before,
        after=audit.snapshot(membership),
        reason=data.reason,
        province_code=membership.province_code,
    )
    return membership


def _members_stmt(actor: Actor, network_id: int) -> Select[*tuple[Any, ...]]:
    scoped = memberships_stmt(actor).subquery()
    return (
        select(scoped, Hospital.name.label("hospital_name"))
        .join(
            Hospital,
            and_(Hospital.id == scoped.c.hospital_id, Hospital.province_code == scoped.c.province_code),
        )
        .where(scoped.c.network_id == network_id)
        .order_by(scoped.c.hospital_id, scoped.c.valid_from)
    )


def list_memberships(session: Session, actor: Actor, *, network_id: int) -> list[MemberRead]:
    """Every membership of the network in the caller's scope, past and present."""
    load_network(session, actor, network_id)
    return [
        MemberRead.model_validate(row._mapping) for row in session.execute(_members_stmt(actor, network_id))
    ]


def network_members(session: Session, actor: Actor, *, network_id: int, quarter: Quarter) -> list[MemberRead]:
    """Memberships in effect at any time during ``quarter`` (the date ranges overlap)."""
    load_network(session, actor, network_id)
    stmt = _members_stmt(actor, network_id)
    cols = stmt.selected_columns
    stmt = stmt.where(
        cols.valid_from <= quarter.end, or_(cols.valid_to.is_(None), cols.valid_to > quarter.start)
    )
    return [MemberRead.model_validate(row._mapping) for row in session.execute(stmt)]

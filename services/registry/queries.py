"""Scoped statements for the registry: the only place the caller's tenant filter is written.

Row-level security already limits what the app role sees; these filters say the same thing in the
query, so a policy bug alone does not leak (defence in depth) and the planner gets the filter.

* national scope (no province, no hospital): everything;
* provincial scope: rows of the caller's province, plus national rows (``province_code`` NULL)
  where the table has them (QC centers, networks);
* hospital scope: additionally only the caller's own hospital.

Loaders answer a missing row and a row outside the caller's scope with the same
:class:`NotFound` message, so nobody can probe another tenant's ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, false, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.errors import Conflict, NotFound
from services.core.quarter import Quarter
from services.models import Hospital, Network, NetworkMembership, QcCenter

ENTITY_LABELS = {
    "hospital": "医院 / hospital",
    "qc_center": "质控中心 / QC center",
    "network": "网络 / network",
    "membership": "网络成员 / network membership",
    "province": "省份 / province",
}


# Who owes a quarter's report, in one place for completeness, "missing" flags and rollups: a hospital
# owes quarter Q from its ``reports_from`` quarter on, until it is deactivated (it still owes a
# quarter that ended before its deactivation). Callers add "or it submitted Q anyway".
def owes_quarter_sql(quarter: Quarter, alias: str = "h") -> tuple[str, dict[str, Any]]:
    """(SQL condition on hospitals ``alias``, its parameters) for text statements."""
    sql = (
        f"({alias}.reports_from <= :owes_quarter AND "
        f"({alias}.deactivated_at IS NULL OR {alias}.deactivated_at >= :owes_closes_at))"
    )
    return sql, {"owes_quarter": str(quarter), "owes_closes_at": quarter.closes_at}


def owes_quarter(quarter: Quarter) -> ColumnElement[bool]:
    """``owes_quarter_sql`` for ORM statements on Hospital."""
    return (Hospital.reports_from <= str(quarter)) & (
        Hospital.deactivated_at.is_(None) | (Hospital.deactivated_at >= quarter.closes_at)
    )


def province_scope(
    column: SQLColumnExpression[Any], actor: Actor, *, national_rows: bool = False
) -> ColumnElement[bool]:
    if actor.is_national:
        return true()
    if not actor.province:
        return false()  # fail closed, like the RLS policies
    clause = column == actor.province
    return or_(clause, column.is_(None)) if national_rows else clause


def province_scope_sql(column_sql: str, actor: Actor) -> tuple[str, dict[str, Any]]:
    """:func:`province_scope` (without national rows) for text statements: (condition, parameters)."""
    if actor.is_national:
        return "true", {}
    if not actor.province:
        return "false", {}  # fail closed, like the RLS policies
    return f"{column_sql} = :scope_province", {"scope_province": actor.province}


def hospitals_stmt(actor: Actor) -> Select[Hospital]:
    stmt = select(Hospital).where(province_scope(Hospital.province_code, actor))
    if actor.hospital_id is not None:
        stmt = stmt.where(Hospital.id == actor.hospital_id)
    return stmt


def qc_centers_stmt(actor: Actor) -> Select[QcCenter]:
    return select(QcCenter).where(province_scope(QcCenter.province_code, actor, national_rows=True))


def networks_stmt(actor: Actor) -> Select[Network]:
    return select(Network).where(province_scope(Network.province_code, actor, national_rows=True))


def memberships_stmt(actor: Actor) -> Select[NetworkMembership]:
    stmt = select(NetworkMembership).where(province_scope(NetworkMembership.province_code, actor))
    if actor.hospital_id is not None:
        stmt = stmt.where(NetworkMembership.hospital_id == actor.hospital_id)
    return stmt


def not_found(entity: str, entity_id: object) -> NotFound:
    """The one message for "missing" and "not yours": identical either way."""
    label = ENTITY_LABELS.get(entity, entity)
    return NotFound(
        f"{label.split(' / ')[0]} {entity_id} 不存在 / {label.split(' / ')[-1]} {entity_id} does not exist"
    )


_Row = TypeVar("_Row")


def _one(session: Session, stmt: Select[_Row], entity: str, entity_id: object, for_update: bool) -> _Row:
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise not_found(entity, entity_id)
    return row


def load_hospital(session: Session, actor: Actor, hospital_id: int, *, for_update: bool = False) -> Hospital:
    return _one(
        session, hospitals_stmt(actor).where(Hospital.id == hospital_id), "hospital", hospital_id, for_update
    )


def load_qc_center(
    session: Session, actor: Actor, qc_center_id: int, *, for_update: bool = False
) -> QcCenter:
    stmt = qc_centers_stmt(actor).where(QcCenter.id == qc_center_id)
    return _one(session, stmt, "qc_center", qc_center_id, for_update)


def load_network(session: Session, actor: Actor, network_id: int, *, for_update: bool = False) -> Network:
    return _one(
        session, networks_stmt(actor).where(Network.id == network_id), "network", network_id, for_update
    )


@contextmanager
def conflicts_as(session: Session, conflicts: Mapping[str, str]) -> Iterator[None]:
    """Make the changes of the ``with`` block inside a savepoint, flushed at its end.

    A unique or exclusion violation whose constraint is named in ``conflicts`` becomes a
    :class:`Conflict` with that message; the savepoint keeps the caller's transaction usable.
    (``begin_nested`` flushes earlier pending changes first, so only the block's changes are guarded.)
    """
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if isinstance(name, str) and name in conflicts:
            raise Conflict(conflicts[name], constraint=name) from exc
        raise

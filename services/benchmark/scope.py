"""Benchmark scopes and who may ask for which.

A scope names the hospitals a benchmark compares, as text in the API:

* ``province:330000`` — the province's active hospitals;
* ``network:12`` — the network's members during the quarter (memberships overlapping it);
* ``peer:三级综合@330000`` — hospitals of one level (三级) and type (综合) within a province;
  ``peer:三级综合`` — the same peer group nationwide (national roles only);
* ``nation`` — every province (national roles only).

Resolution against the actor (a scope outside the caller's reach answers exactly like a scope that
does not exist, so nobody can probe other tenants):

* national roles: any scope;
* provincial roles and provincial specialty QC staff: scopes within their own province;
* hospital roles: their own province or their own peer group in it. They see the distribution
  (pooled rate, percentiles, limits) and only their own hospital's row (see ``ScopeView``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.core.actor import Actor
from services.core.errors import NotFound, ValidationFailed
from services.core.quarter import Quarter
from services.identity.permissions import Scope as Reach
from services.identity.permissions import require
from services.models import Province

LEVELS = ("未定级", "一级", "二级", "三级")
_PEER = re.compile(r"^peer:(?P<group>[^@]+?)(?:@(?P<province>\d{6}))?$")


@dataclass(frozen=True)
class BenchmarkScope:
    """A resolved scope: which hospitals take part, and what the caller may see of them."""

    key: str
    label: str
    label_en: str
    provinces: tuple[str, ...] | None = None  # None = every province
    network_id: int | None = None
    members: tuple[int, ...] | None = None  # network members during the quarter
    level: str | None = None
    type: str | None = None
    own_hospital_only: bool = False  # hospital callers: other hospitals are not identified
    viewer_hospital_id: int | None = None

    @property
    def province(self) -> str | None:
        """The single province the scope lies in, if it does (snapshots are per province)."""
        return self.provinces[0] if self.provinces and len(self.provinces) == 1 else None


def scope_not_found(key: str) -> NotFound:
    return NotFound(f"对标范围 {key} 不存在 / benchmark scope {key!r} does not exist", scope=key)


def _bad_scope(key: str) -> ValidationFailed:
    message = (
        f"无法识别的对标范围 {key!r}：应为 province:330000、network:12、peer:三级综合@330000 或 nation / "
        f"unknown scope {key!r}: use province:330000, network:12, peer:三级综合@330000 or nation"
    )
    return ValidationFailed(message, problems=[{"field": "scope", "problem": message.split(" / ")[-1]}])


def split_peer(group: str) -> tuple[str, str]:
    """``三级综合`` → (``三级``, ``综合``)."""
    for level in LEVELS:
        if group.startswith(level) and len(group) > len(level):
            return level, group[len(level) :]
    raise ValidationFailed(
        f"同级对标组 {group!r} 应为级别+类型，如 三级综合 / peer group {group!r} must be level + type, e.g. 三级综合",
        problems=[{"field": "scope", "problem": "peer group must be level + type"}],
    )


def default_scope_key(actor: Actor) -> str:
    return f"province:{actor.province}" if actor.province else "nation"


def resolve_scope(session: Session, actor: Actor, key: str | None, *, quarter: Quarter) -> BenchmarkScope:
    """Parse ``key`` and check it against the caller; out of reach answers like not found."""
    reach = require(actor, "benchmark.read")
    key = (key or default_scope_key(actor)).strip()
    if key == "nation":
        scope = _nation(actor, key)
    elif key.startswith("province:"):
        scope = _province(session, actor, key, key.removeprefix("province:"))
    elif key.startswith("network:"):
        scope = _network(session, actor, key, quarter)
    elif _PEER.match(key):
        scope = _peer(session, actor, key)
    else:
        raise _bad_scope(key)
    if reach is Reach.HOSPITAL or actor.hospital_id is not None:
        return _for_hospital(scope, actor, key)
    return scope


def _within_reach(actor: Actor, province: str | None, key: str) -> None:
    if actor.is_national:
        return
    if province is None or province != actor.province:
        raise scope_not_found(key)


def _nation(actor: Actor, key: str) -> BenchmarkScope:
    _within_reach(actor, None, key)
    return BenchmarkScope(key=key, label="全国", label_en="nation")


def _province_names(session: Session, code: str, key: str) -> tuple[str, str]:
    province = session.get(Province, code)
    if province is None:
        raise scope_not_found(key)
    return province.name, province.name_en


def _province(session: Session, actor: Actor, key: str, code: str) -> BenchmarkScope:
    if not re.fullmatch(r"\d{6}", code):
        raise _bad_scope(key)
    _within_reach(actor, code, key)
    name, name_en = _province_names(session, code, key)
    return BenchmarkScope(key=key, label=name, label_en=name_en, provinces=(code,))


def _peer(session: Session, actor: Actor, key: str) -> BenchmarkScope:
    match = _PEER.match(key)
    assert match is not None  # resolve_scope routes only keys _PEER matches here
    level, kind = split_peer(match["group"])
    province = match["province"]
    _within_reach(actor, province, key)
    if province is None:
        return BenchmarkScope(
            key=key, label=f"全国{level}{kind}", label_en=f"{level}{kind} nationwide", level=level, type=kind
        )
    name, name_en = _province_names(session, province, key)
    return BenchmarkScope(
        key=key,
        label=f"{name}{level}{kind}",
        label_en=f"{level}{kind} in {name_en}",
        provinces=(province,),
        level=level,
        type=kind,
    )


def _network(session: Session, actor: Actor, key: str, quarter: Quarter) -> BenchmarkScope:
    from services.registry.networks import get_network, network_members

    raw = key.removeprefix("network:")
    if not raw.isdigit():
        raise _bad_scope(key)
    try:
        network = get_network(session, actor, network_id=int(raw))
    except NotFound:
        raise scope_not_found(key) from None
    # a provincial caller may not use a national network: it would see only its own province's members
    _within_reach(actor, network.province_code, key)
    members = network_members(session, actor, network_id=network.id, quarter=quarter)
    provinces = (network.province_code,) if network.province_code else None
    return BenchmarkScope(
        key=key,
        label=network.name,
        label_en=f"network {network.id}",
        provinces=provinces,
        network_id=network.id,
        members=tuple(sorted({m.hospital_id for m in members})),
    )


def _for_hospital(scope: BenchmarkScope, actor: Actor, key: str) -> BenchmarkScope:
    """Hospital callers: own province (or own peer group in it) only, other rows anonymised."""
    if scope.network_id is not None or scope.provinces != (actor.province,):
        raise scope_not_found(key)
    return BenchmarkScope(
        **{**scope.__dict__, "own_hospital_only": True, "viewer_hospital_id": actor.hospital_id}
    )


@contextmanager
def distribution_view(session: Session, actor: Actor, scope: BenchmarkScope) -> Iterator[None]:
    """Let a hospital caller's transaction read its province's rows, for aggregate statistics only.

    Row-level security shows hospital roles only their own hospital's rows, yet a benchmark needs
    the province's distribution. For the duration of the block the hospital binding is lifted (the
    province binding stays); callers must strip every other hospital's row before returning
    (``own_hospital_only``). This is the one place the hospital binding is widened.
    """
    depth = session.info.get("distribution_view", 0)
    if not scope.own_hospital_only or depth:
        session.info["distribution_view"] = depth + 1 if depth else 0
        try:
            yield
        finally:
            session.info["distribution_view"] = depth
        return
    session.execute(text("SELECT set_config('app.hospital', '', true)"))
    session.info["distribution_view"] = 1
    try:
        yield
    finally:
        session.info["distribution_view"] = 0
        session.execute(text("SELECT set_config('app.hospital', :h, true)"), {"h": str(actor.hospital_id)})

"""What the submission package needs from its neighbours, in one place.

``require`` comes from ``services.identity.permissions`` and ``successor_of`` from
``services.catalog.queries`` when those modules exist; until then the same contracts are
answered here from ``services/identity/permissions.yaml`` and the ``indicator_lineage`` table.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from services.core.actor import Actor
from services.core.errors import NotFound, PermissionDenied
from services.models import Indicator, IndicatorLineage

RETIRED = "retired"

try:  # pragma: no cover - depends on which helper has landed
    from services.identity.permissions import require as _require
except ImportError:  # pragma: no cover
    _require = None  # type: ignore[assignment]  # a tree without that module: require() checks for None

try:  # pragma: no cover
    from services.catalog.queries import successor_of as _successor_of
except ImportError:  # pragma: no cover
    _successor_of = None  # type: ignore[assignment]  # a tree without that module: checked for None below


@lru_cache
def _matrix() -> dict[str, Any]:
    path = Path(__file__).resolve().parents[1] / "identity" / "permissions.yaml"
    matrix: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return matrix


def scope_of(actor: Actor, action: str) -> str:
    """The widest scope any of the actor's roles grants for ``action`` ("none" when refused)."""
    order = ("none", "hospital", "specialty", "province", "national")
    roles = _matrix()["roles"]
    scopes = [roles.get(str(r), {}).get("grants", {}).get(action, "none") for r in actor.roles]
    return max(scopes, key=order.index, default="none")


def require(actor: Actor, action: str) -> None:
    """Raise :class:`PermissionDenied` unless one of the actor's roles may do ``action``."""
    if _require is not None:
        _require(actor, action)
        return
    if scope_of(actor, action) == "none":
        label = _matrix()["actions"].get(action, {})
        raise PermissionDenied(
            f"无权{label.get('zh', action)} / not allowed to {label.get('en', action)} ({action})"
        )


def successor_of(session: Session, indicator_code: str, year: int) -> str | None:
    """The ``year`` successor of an earlier indicator: its code, ``"retired"``, or None if unrecorded."""
    if _successor_of is not None:
        try:
            found = _successor_of(session, indicator_code, year)  # list of codes, or "retired"
        except NotFound:
            return None
        if isinstance(found, str):
            return RETIRED if found == RETIRED else found
        return ", ".join(sorted(found)) or None
    src, dst = aliased(Indicator), aliased(Indicator)
    rows = (
        session.execute(
            select(dst.code)
            .select_from(IndicatorLineage)
            .join(src, src.id == IndicatorLineage.from_indicator_id)
            .outerjoin(dst, dst.id == IndicatorLineage.to_indicator_id)
            .where(src.code == indicator_code, IndicatorLineage.to_year == year)
        )
        .scalars()
        .all()
    )
    if not rows:
        return None
    codes = sorted(c for c in rows if c)
    return ", ".join(codes) if codes else RETIRED

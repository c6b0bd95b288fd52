"""QC-center benchmark settings: minimum denominators, flag rule, over-dispersion, targets.

Which center's settings apply to a scope: the scope's province's general (综合) QC center when the
scope lies in one province, else the national center. Each value falls back on its own: the
province's value, else the national center's, else the platform default:

* minimum denominator of an indicator: the center's value for the indicator's unit (``%``,
  ``每千导管日`` …), else the center's one value for every unit; platform default
  ``stats.DEFAULT_MIN_DENOMINATOR_BY_UNIT`` (then ``DEFAULT_MIN_DENOMINATOR``);
* flag rule: ``limits`` (outside the funnel's control limits) or ``fdr`` (Benjamini–Hochberg
  q-values across the funnel's hospitals); platform default ``stats.DEFAULT_FLAG_RULE``;
* over-dispersion: ``auto`` (adjust when ``stats.overdispersion_detected``) or ``off``; platform
  default ``stats.DEFAULT_OVERDISPERSION`` (auto);
* targets per indicator (the funnel centre instead of the pooled rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.benchmark import stats
from services.core.actor import Actor, Role
from services.core.errors import NotFound, PermissionDenied, ValidationFailed
from services.models import BenchmarkSetting, BenchmarkTarget, Indicator, QcCenter
from services.registry.queries import load_qc_center

FLAG_RULES = ("limits", "fdr")
OVERDISPERSION = ("auto", "off")
MAX_MIN_DENOMINATOR = 1_000_000


@dataclass(frozen=True)
class Layer:
    """One center's own values (None / empty: not set there)."""

    source: str  # national | province:330000
    min_denominator: int | None = None
    by_unit: dict[str, int] = field(default_factory=dict)
    flag_rule: str | None = None
    overdispersion: str | None = None


@dataclass(frozen=True)
class EffectiveSettings:
    layers: tuple[Layer, ...] = ()  # the province's center first, then the national one
    targets: dict[int, float] = field(default_factory=dict)

    def _first(self, name: str) -> tuple[Any, str | None]:
        return next(((getattr(x, name), x.source) for x in self.layers if getattr(x, name)), (None, None))

    def min_denominator_for(self, unit: str) -> int:
        for layer in self.layers:
            if unit in layer.by_unit:
                return int(layer.by_unit[unit])
            if layer.min_denominator is not None:
                return layer.min_denominator
        return stats.default_min_denominator(unit)

    @property
    def min_denominator(self) -> int:
        """The one value for every unit without its own (the first center's, else the default)."""
        value = self._first("min_denominator")[0]
        return int(value) if value is not None else stats.DEFAULT_MIN_DENOMINATOR

    @property
    def flag_rule(self) -> str:
        return self._first("flag_rule")[0] or stats.DEFAULT_FLAG_RULE

    @property
    def overdispersion(self) -> str:
        return self._first("overdispersion")[0] or stats.DEFAULT_OVERDISPERSION

    @property
    def source(self) -> str:
        """Where the settings come from: the first center that set anything, else ``default``."""
        return self.layers[0].source if self.layers else "default"

    def describe(self, units: list[str] | None = None) -> dict[str, Any]:
        """The rules in force, for answers and frozen snapshots."""
        wanted = sorted(set(units or [])) or sorted(stats.DEFAULT_MIN_DENOMINATOR_BY_UNIT)
        return {
            "flag_rule": self.flag_rule,
            "flag_rule_source": self._first("flag_rule")[1] or "default",
            "overdispersion": self.overdispersion,
            "overdispersion_source": self._first("overdispersion")[1] or "default",
            "min_denominator_by_unit": {u: self.min_denominator_for(u) for u in wanted},
            "settings_source": self.source,
        }


def general_center_ids(session: Session, province: str | None) -> list[tuple[int, str | None]]:
    """[(center id, province)] for the province's general center, then the national one."""
    return _chosen(_general_centers(session), province)


def _general_centers(session: Session) -> list[tuple[int, str | None]]:
    stmt = select(QcCenter.id, QcCenter.province_code).where(
        QcCenter.specialty_code.is_(None), QcCenter.active
    )
    return [(cid, prov) for cid, prov in session.execute(stmt).all()]


def _chosen(rows: list[tuple[int, str | None]], province: str | None) -> list[tuple[int, str | None]]:
    wanted = [province, None] if province else [None]
    return [(cid, prov) for want in wanted for cid, prov in rows if prov == want]


def _layer(row: BenchmarkSetting, province: str | None) -> Layer:
    return Layer(
        source=f"province:{province}" if province else "national",
        min_denominator=row.min_denominator,
        by_unit={str(k): int(v) for k, v in (row.min_denominator_by_unit or {}).items()},
        flag_rule=row.flag_rule,
        overdispersion=row.overdispersion,
    )


def effective_settings(session: Session, *, province: str | None) -> EffectiveSettings:
    return effective_settings_of(session, [province])[province]


def effective_settings_of(
    session: Session, provinces: Sequence[str | None]
) -> dict[str | None, EffectiveSettings]:
    """``effective_settings`` of each province (None: the national center's), in three reads
    whatever their number: the national rollup asks for every province's."""
    centers = _general_centers(session)
    chosen = {p: _chosen(centers, p) for p in provinces}
    ids = sorted({cid for found in chosen.values() for cid, _ in found})
    rows: dict[int, BenchmarkSetting] = {}
    targets_of: dict[int, list[BenchmarkTarget]] = {}
    if ids:
        stmt = select(BenchmarkSetting).where(BenchmarkSetting.qc_center_id.in_(ids))
        rows = {s.qc_center_id: s for s in session.scalars(stmt)}
        for t in session.scalars(select(BenchmarkTarget).where(BenchmarkTarget.qc_center_id.in_(ids))):
            targets_of.setdefault(t.qc_center_id, []).append(t)
    out: dict[str | None, EffectiveSettings] = {}
    for province, found in chosen.items():
        targets: dict[int, float] = {}
        for cid, _ in reversed(found):  # the province's own target overrides the national one
            for t in targets_of.get(cid, []):
                targets[t.indicator_id] = float(t.target)
        layers = tuple(_layer(rows[cid], prov) for cid, prov in found if cid in rows)
        out[province] = EffectiveSettings(layers, targets)
    return out


def ensure_admin_of(session: Session, actor: Actor, center_id: int) -> QcCenter:
    center = load_qc_center(session, actor, center_id)  # out of scope answers like not found
    if not actor.has(Role.NATIONAL_ADMIN, Role.PROVINCIAL_ADMIN):
        raise PermissionDenied("只有管理员可修改对标设置 / only administrators may change benchmark settings")
    if center.province_code is None and not actor.is_national:
        raise PermissionDenied(
            "国家级设置只能由国家管理员修改 / national settings are changed by national admins"
        )
    return center


def _invalid(name: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(f"{zh} / {en}", problems=[{"field": name, "problem": en}])


def _check(changes: dict[str, Any]) -> None:
    value = changes.get("min_denominator")
    if value is not None and not 1 <= value <= MAX_MIN_DENOMINATOR:
        raise _invalid("min_denominator", "最小分母须为正整数", "must be a positive integer")
    for unit, v in (changes.get("min_denominator_by_unit") or {}).items():
        if not isinstance(v, int) or not 1 <= v <= MAX_MIN_DENOMINATOR or not str(unit).strip():
            raise _invalid(
                f"min_denominator_by_unit.{unit}",
                f"单位 {unit} 的最小分母须为正整数",
                "must be a positive integer",
            )
    if changes.get("flag_rule") not in (None, *FLAG_RULES):
        raise _invalid("flag_rule", "标记规则须为 limits 或 fdr", "use limits or fdr")
    if changes.get("overdispersion") not in (None, *OVERDISPERSION):
        raise _invalid("overdispersion", "过度离散须为 auto 或 off", "use auto or off")


SETTING_FIELDS = ("min_denominator", "min_denominator_by_unit", "flag_rule", "overdispersion")


def setting_values(row: BenchmarkSetting | None) -> dict[str, Any]:
    if row is None:
        return {
            "min_denominator": None,
            "min_denominator_by_unit": {},
            "flag_rule": None,
            "overdispersion": None,
        }
    return {name: getattr(row, name) for name in SETTING_FIELDS}


def _row_of(session: Session, center: QcCenter) -> BenchmarkSetting | None:
    return session.scalars(select(BenchmarkSetting).where(BenchmarkSetting.qc_center_id == center.id)).first()


def update_settings(
    session: Session, actor: Actor, *, qc_center_id: int, changes: dict[str, Any]
) -> BenchmarkSetting:
    """Set the given settings of a QC center (a value None clears it: the fallback applies again)."""
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise _invalid(sorted(unknown)[0], "未知的对标设置", "unknown setting")
    _check(changes)
    center = ensure_admin_of(session, actor, qc_center_id)
    row = _row_of(session, center)
    if row is None:
        row = BenchmarkSetting(
            qc_center_id=center.id, province_code=center.province_code, updated_by=actor.subject
        )
        session.add(row)
    before = setting_values(row) if row.id else None
    for name, value in changes.items():
        setattr(row, name, dict(value) if name == "min_denominator_by_unit" and value is not None else value)
    if row.min_denominator_by_unit is None:
        row.min_denominator_by_unit = {}
    row.updated_by = actor.subject
    session.flush()
    audit.record(
        session,
        actor,
        action="benchmark.settings",
        entity="qc_center",
        entity_id=center.id,
        before=before,
        after=setting_values(row),
        province_code=center.province_code,
    )
    return row


def set_min_denominator(session: Session, actor: Actor, *, qc_center_id: int, value: int) -> BenchmarkSetting:
    """The center's one minimum denominator for every unit without a value of its own."""
    if value < 1:
        raise _invalid("min_denominator", "最小分母须为正整数", "must be a positive integer")
    return update_settings(session, actor, qc_center_id=qc_center_id, changes={"min_denominator": value})


def read_settings(session: Session, actor: Actor, *, qc_center_id: int) -> dict[str, Any]:
    """A center's own settings and the rules in force for its scope (readable by whoever may see
    the center: another province's center answers like a missing one)."""
    center = load_qc_center(session, actor, qc_center_id)
    own = setting_values(_row_of(session, center))
    effective = effective_settings(session, province=center.province_code)
    return {"qc_center_id": center.id, **own, "effective": effective.describe()}


def set_target(
    session: Session, actor: Actor, *, qc_center_id: int, indicator_id: int, target: Decimal, note: str = ""
) -> BenchmarkTarget:
    if not Decimal(0) <= target <= Decimal(1):
        raise ValidationFailed(
            "目标值须在 0 与 1 之间 / the target must be a proportion in [0, 1]",
            problems=[{"field": "target", "problem": "must be within [0, 1]"}],
        )
    center = ensure_admin_of(session, actor, qc_center_id)
    row = session.scalars(
        select(BenchmarkTarget).where(
            BenchmarkTarget.qc_center_id == center.id, BenchmarkTarget.indicator_id == indicator_id
        )
    ).first()
    if row is None:
        row = BenchmarkTarget(
            qc_center_id=center.id,
            province_code=center.province_code,
            indicator_id=indicator_id,
            target=target,
            set_by=actor.subject,
        )
        session.add(row)
    before = {"target": str(row.target), "note": row.note} if row.id else None
    row.target, row.note, row.set_by = target, note, actor.subject
    session.flush()
    audit.record(
        session,
        actor,
        action="benchmark.target",
        entity="qc_center",
        entity_id=center.id,
        before=before,
        after={"indicator_id": indicator_id, "target": str(target), "note": note},
        province_code=center.province_code,
    )
    return row


def set_target_for_code(
    session: Session, actor: Actor, *, qc_center_id: int, indicator_code: str, target: Decimal, note: str = ""
) -> BenchmarkTarget:
    """``set_target`` addressed by the indicator's catalog code (what QC staff type)."""
    indicator_id = session.scalar(select(Indicator.id).where(Indicator.code == indicator_code))
    if indicator_id is None:
        raise NotFound(f"指标 {indicator_code} 不存在 / no indicator {indicator_code!r} in the catalog")
    return set_target(
        session, actor, qc_center_id=qc_center_id, indicator_id=indicator_id, target=target, note=note
    )

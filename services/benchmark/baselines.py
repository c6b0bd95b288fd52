"""O/E baselines: which earlier rates a QC center's observed / expected uses (indirect standardisation).

A QC center turns O/E on for an indicator with a baseline: the rates of a chosen earlier year
(national, or the center's province), pooled over that year's approved quarters, by peer profile
(hospital level × type, optionally × bed-size band). The rates are stored with the setting as
numerator and denominator per profile, so later corrections of old data never move a ratio.

Which baseline applies to a scope: the scope's province's general QC center's, else the national
center's (as other settings). A province's baseline is its own: row-level security and the center
lookup keep other provinces from reading or changing it. A provincial center may take a national
baseline only as the national center published it (the same indicator, year and profile): a
province cannot read other provinces' data to pool them itself. The ratio itself: ``expected.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services import audit
from services.benchmark.lineage import predecessors
from services.benchmark.queries import scope_where
from services.benchmark.scope import BenchmarkScope
from services.benchmark.settings import ensure_admin_of, general_center_ids
from services.core.actor import Actor
from services.core.errors import NotFound, ValidationFailed
from services.models import Indicator
from services.models.benchmark import BenchmarkBaseline
from services.registry.queries import load_qc_center

SCOPES = ("national", "province")
PROFILES = ("level_type", "level_type_beds")
OE_KINDS = ("proportion", "rate")  # counts with a denominator; means have no expected count
BED_BANDS = ((0, "<100"), (100, "100-499"), (500, "500-999"), (1000, "≥1000"))
PROFILE_LABELS = {
    "level_type": ("级别×类型", "level × type"),
    "level_type_beds": ("级别×类型×床位数段", "level × type × bed-size band"),
}
SCOPE_LABELS = {"national": ("全国", "national"), "province": ("本省", "provincial")}


def bed_band(beds: int) -> str:
    label = BED_BANDS[0][1]
    for low, name in BED_BANDS:
        if beds >= low:
            label = name
    return label


def profile_key(profile: str, level: str, kind: str, beds: int) -> str:
    return f"{level}|{kind}|{bed_band(beds)}" if profile == "level_type_beds" else f"{level}|{kind}"


@dataclass(frozen=True)
class Baseline:
    indicator_id: int
    baseline_indicator_code: str
    year: int
    scope: str  # national | province
    profile: str  # level_type | level_type_beds
    rates: dict[str, tuple[int, int]]  # profile key → (numerator, denominator)
    source: str  # which center set it: national | province:330000

    @property
    def rate_by_profile(self) -> dict[str, float]:
        """Profile key → baseline rate Σx / Σn (profiles with a denominator only)."""
        return {k: x / n for k, (x, n) in self.rates.items() if n > 0}

    def describe(self) -> dict[str, Any]:
        scope_zh, scope_en = SCOPE_LABELS[self.scope]
        prof_zh, prof_en = PROFILE_LABELS[self.profile]
        return {
            "year": self.year,
            "scope": self.scope,
            "profile": self.profile,
            "indicator_code": self.baseline_indicator_code,
            "set_by": self.source,
            "profiles": len(self.rates),
            "label": f"基线：{self.year} 年{scope_zh}率（{self.baseline_indicator_code}），按{prof_zh}",
            "label_en": f"baseline: {self.year} {scope_en} rates ({self.baseline_indicator_code}) by {prof_en}",
        }


def _baseline(row: BenchmarkBaseline, code: str, province: str | None) -> Baseline:
    return Baseline(
        indicator_id=row.indicator_id,
        baseline_indicator_code=code,
        year=row.baseline_year,
        scope=row.baseline_scope,
        profile=row.profile,
        rates={k: (int(v[0]), int(v[1])) for k, v in row.rates.items()},
        source=f"province:{province}" if province else "national",
    )


def effective_baselines(session: Session, *, province: str | None) -> dict[int, Baseline]:
    """Indicator id → the baseline in force for a scope in ``province`` (None: the nation)."""
    centers = general_center_ids(session, province)
    out: dict[int, Baseline] = {}
    for cid, prov in reversed(centers):  # the province's own baseline overrides the national one
        rows = session.execute(
            select(BenchmarkBaseline, Indicator.code)
            .join(Indicator, Indicator.id == BenchmarkBaseline.baseline_indicator_id)
            .where(BenchmarkBaseline.qc_center_id == cid)
        ).all()
        for row, code in rows:
            out[row.indicator_id] = _baseline(row, code, prov)
    return out


_PROFILE_SUMS = """
SELECT h.level, h.type, h.beds, sum(v.numerator) FILTER (WHERE v.denominator > 0), sum(v.denominator)
FROM submission_values v
JOIN submissions s ON s.id = v.submission_id AND s.province_code = v.province_code
JOIN hospitals h ON h.id = v.hospital_id AND h.province_code = v.province_code
WHERE s.quarter LIKE :year_prefix AND s.status = 'approved' AND v.indicator_id = :indicator AND {scope}
GROUP BY h.level, h.type, h.beds
"""


def baseline_rates(
    session: Session, actor: Actor, *, indicator_id: int, year: int, province: str | None, profile: str
) -> dict[str, list[int]]:
    """Pooled (numerator, denominator) by profile over the year's approved quarters."""
    scope = (
        BenchmarkScope(key=f"province:{province}", label="", label_en="", provinces=(province,))
        if province
        else BenchmarkScope(key="nation", label="", label_en="")
    )
    where, params = scope_where(scope, actor)
    params.update(year_prefix=f"{year}Q%", indicator=indicator_id)
    sums: dict[str, list[int]] = {}
    for level, kind, beds, x, n in session.execute(text(_PROFILE_SUMS.format(scope=where)), params):
        acc = sums.setdefault(profile_key(profile, level, kind, beds or 0), [0, 0])
        acc[0] += int(x or 0)
        acc[1] += int(n or 0)
    return {k: v for k, v in sums.items() if v[1] > 0}


def _invalid(name: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(f"{zh} / {en}", problems=[{"field": name, "problem": en}])


def _baseline_indicator(session: Session, indicator: Indicator, year: int) -> int:
    """The indicator of ``year`` that ``indicator`` continues (following comparable lineage)."""
    current, current_year = indicator.id, indicator.year
    while current_year > year:
        pred = predecessors(session, [current])[current]
        if not pred.compares or pred.from_year is None or pred.from_year < year:
            raise _invalid(
                "year",
                f"指标 {indicator.code} 在 {year} 年没有可比的前身指标",
                f"indicator {indicator.code} has no comparable predecessor in {year}",
            )
        current, current_year = pred.source_id, pred.from_year
    return current


def _check_request(indicator: Indicator | None, code: str, year: int, scope: str, profile: str) -> Indicator:
    if indicator is None:
        raise NotFound(f"指标 {code} 不存在 / no indicator {code!r} in the catalog")
    if indicator.kind not in OE_KINDS:
        raise _invalid(
            "indicator",
            f"{code} 为均值类指标，无期望数",
            f"{code} is a mean (kind {indicator.kind}): it has no expected count",
        )
    if year >= indicator.year:
        raise _invalid(
            "year", "基线须为更早的年份", f"the baseline must be an earlier year than {indicator.year}"
        )
    if scope not in SCOPES:
        raise _invalid("scope", "基线范围须为 national 或 province", "use national or province")
    if profile not in PROFILES:
        raise _invalid(
            "profile", "分组须为 level_type 或 level_type_beds", "use level_type or level_type_beds"
        )
    return indicator


def _national_rates(session: Session, indicator_id: int, year: int, profile: str) -> dict[str, Any]:
    """The national center's published national baseline (what a province may take over)."""
    national = [cid for cid, prov in general_center_ids(session, None) if prov is None]
    row = session.scalars(
        select(BenchmarkBaseline).where(
            BenchmarkBaseline.qc_center_id.in_(national),
            BenchmarkBaseline.indicator_id == indicator_id,
            BenchmarkBaseline.baseline_scope == "national",
            BenchmarkBaseline.baseline_year == year,
            BenchmarkBaseline.profile == profile,
        )
    ).first()
    if row is None:
        raise _invalid(
            "scope",
            "国家质控中心尚未发布该指标此年份与分组的全国基线；请选 province 或请国家中心先设置",
            "the national center has not published a national baseline for this indicator, year and "
            "profile: use scope province, or ask the national center to set it first",
        )
    return dict(row.rates)


def set_baseline(
    session: Session,
    actor: Actor,
    *,
    qc_center_id: int,
    indicator_code: str,
    year: int,
    scope: str,
    profile: str = "level_type",
) -> BenchmarkBaseline:
    """Turn O/E on for an indicator (or replace its baseline); the rates are read and stored now."""
    indicator = session.scalar(select(Indicator).where(Indicator.code == indicator_code))
    indicator = _check_request(indicator, indicator_code, year, scope, profile)
    center = ensure_admin_of(session, actor, qc_center_id)
    if scope == "province" and center.province_code is None:
        raise _invalid("scope", "国家质控中心只能用全国基线", "the national center uses a national baseline")
    source = _baseline_indicator(session, indicator, year)
    if scope == "national" and not actor.is_national:
        rates = _national_rates(session, indicator.id, year, profile)
    else:
        province = center.province_code if scope == "province" else None
        rates = baseline_rates(
            session, actor, indicator_id=source, year=year, province=province, profile=profile
        )
    if not rates:
        raise _invalid("year", f"{year} 年没有可用作基线的审核通过数据", f"no approved data in {year} to use")
    row = session.scalars(
        select(BenchmarkBaseline).where(
            BenchmarkBaseline.qc_center_id == center.id, BenchmarkBaseline.indicator_id == indicator.id
        )
    ).first()
    before = _summary(row) if row is not None else None
    if row is None:
        row = BenchmarkBaseline(
            qc_center_id=center.id, province_code=center.province_code, indicator_id=indicator.id
        )
        session.add(row)
    row.baseline_indicator_id, row.baseline_year, row.baseline_scope = source, year, scope
    row.profile, row.rates, row.set_by = profile, rates, actor.subject
    session.flush()
    audit.record(
        session,
        actor,
        action="benchmark.baseline",
        entity="qc_center",
        entity_id=center.id,
        before=before,
        after={"indicator": indicator_code, **_summary(row)},
        province_code=center.province_code,
    )
    return row


def _summary(row: BenchmarkBaseline) -> dict[str, Any]:
    return {
        "year": row.baseline_year,
        "scope": row.baseline_scope,
        "profile": row.profile,
        "profiles": len(row.rates),
    }


def remove_baseline(session: Session, actor: Actor, *, qc_center_id: int, indicator_code: str) -> None:
    """Turn O/E off for an indicator at this center."""
    center = ensure_admin_of(session, actor, qc_center_id)
    row = session.scalars(
        select(BenchmarkBaseline)
        .join(Indicator, Indicator.id == BenchmarkBaseline.indicator_id)
        .where(BenchmarkBaseline.qc_center_id == center.id, Indicator.code == indicator_code)
    ).first()
    if row is None:
        raise NotFound(f"{indicator_code} 未设置 O/E 基线 / no O/E baseline set for {indicator_code}")
    before = _summary(row)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="benchmark.baseline",
        entity="qc_center",
        entity_id=center.id,
        before={"indicator": indicator_code, **before},
        after=None,
        province_code=center.province_code,
    )


def list_baselines(session: Session, actor: Actor, *, qc_center_id: int) -> list[dict[str, Any]]:
    """The center's own baselines (another province's center answers like a missing one)."""
    center = load_qc_center(session, actor, qc_center_id)
    rows = session.execute(
        select(BenchmarkBaseline, Indicator.code)
        .join(Indicator, Indicator.id == BenchmarkBaseline.indicator_id)
        .where(BenchmarkBaseline.qc_center_id == center.id)
        .order_by(Indicator.code)
    ).all()
    out = []
    for row, code in rows:
        base_code = session.scalar(select(Indicator.code).where(Indicator.id == row.baseline_indicator_id))
        assert base_code is not None  # baseline_indicator_id is a foreign key to indicators
        described = _baseline(row, base_code, center.province_code).describe()
        out.append({"qc_center_id": center.id, "indicator": code, **described, "set_by_user": row.set_by})
    return out

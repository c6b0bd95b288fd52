"""The words of every laggard flag, Chinese first, English second (one function per kind)."""

from __future__ import annotations

from services.benchmark.queries import IndicatorInfo

KIND_LABELS = {
    "alarm": ("警报（超出 99.8% 控制限）", "alarm (outside the 99.8% limit)"),
    "alert": ("警示（超出 95% 控制限）", "alert (outside the 95% limit)"),
    "worst_decile": ("处于最差 10%", "worst decile"),
    "persistent": ("持续落后", "persistent"),
    "deteriorating": ("同比恶化", "deteriorating"),
    "missing": ("未按时上报", "missing"),
}


def fmt(value: float | None, info: IndicatorInfo) -> str:
    if value is None:
        return "—"
    shown = value * info.multiplier
    return f"{shown:.1f}%" if info.unit == "%" else f"{shown:.2f} {info.unit}"


def fmt_change(value: float, info: IndicatorInfo) -> tuple[str, str]:
    shown = value * info.multiplier
    if info.unit == "%":
        return f"{shown:+.1f} 个百分点", f"{shown:+.1f} percentage points"
    return f"{shown:+.2f} {info.unit}", f"{shown:+.2f} {info.unit}"


def limit_reason(
    kind: str, info: IndicatorInfo, *, rate: float, limit: float, target: float, n: int
) -> tuple[str, str]:
    level = "99.8%" if kind == "alarm" else "95%"
    side_zh, side_en = ("低于", "below") if info.direction == "higher" else ("高于", "above")
    word_zh, word_en = ("警报", "alarm") if kind == "alarm" else ("警示", "alert")
    return (
        f"{info.code} {info.name}：{fmt(rate, info)}，{side_zh} {level} 控制限 {fmt(limit, info)}"
        f"（中心值 {fmt(target, info)}，分母 {n}），{word_zh}。",
        f"{info.code} {info.name_en}: {fmt(rate, info)} is {side_en} the {level} control limit {fmt(limit, info)} "
        f"(centre {fmt(target, info)}, n = {n}): {word_en}.",
    )


def decile_reason(info: IndicatorInfo, *, rate: float, cut: float, assessed: int) -> tuple[str, str]:
    name = "P10" if info.direction == "higher" else "P90"
    side_zh, side_en = ("低于", "below") if info.direction == "higher" else ("高于", "above")
    return (
        f"{info.code} {info.name}：{fmt(rate, info)}，{side_zh} {name}（{fmt(cut, info)}），"
        f"处于参与比较的 {assessed} 家医院中最差的 10%。",
        f"{info.code} {info.name_en}: {fmt(rate, info)} is {side_en} {name} ({fmt(cut, info)}), "
        f"in the worst decile of the {assessed} hospitals assessed.",
    )


def persistent_reason(
    info: IndicatorInfo, *, quarter: str, previous: str, kinds: list[str]
) -> tuple[str, str]:
    zh = "、".join(KIND_LABELS[k][0] for k in kinds)
    en = ", ".join(KIND_LABELS[k][1] for k in kinds)
    return (
        f"{info.code} {info.name}：{previous} 与 {quarter} 连续两个季度被标记（本季度：{zh}）。",
        f"{info.code} {info.name_en}: flagged in two consecutive quarters, {previous} and {quarter} "
        f"(this quarter: {en}).",
    )


def deteriorating_reason(
    info: IndicatorInfo, *, previous: str, previous_code: str, diff: float, low: float, high: float
) -> tuple[str, str]:
    d_zh, d_en = fmt_change(diff, info)
    lo_zh, lo_en = fmt_change(low, info)
    hi_zh, hi_en = fmt_change(high, info)
    return (
        f"{info.code} {info.name}：较 {previous}（{previous_code}）变化 {d_zh}（95% 区间 {lo_zh} 至 {hi_zh}），显著恶化。",
        f"{info.code} {info.name_en}: changed by {d_en} since {previous} ({previous_code}) "
        f"(95% interval {lo_en} to {hi_en}): significantly worse.",
    )


def missing_reason(*, quarter: str, due: str | None) -> tuple[str, str]:
    if due:
        return (
            f"截至截止日期 {due} 未提交 {quarter} 季度数据。",
            f"Nothing submitted for {quarter} by the due date {due}.",
        )
    return (
        f"未提交 {quarter} 季度数据（未设置上报窗口）。",
        f"Nothing submitted for {quarter} (no submission window set).",
    )

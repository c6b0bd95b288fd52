"""The words of every laggard flag, Chinese first, English second (one function per kind).

Every alarm / alert names the rule that raised it (``limits``: outside the funnel's control limit;
``fdr``: Benjamini–Hochberg q-value below 0.05 / 0.002). Numbers compared in one sentence are shown
with as many decimals as it takes for them to differ (never "0.2%, above the limit 0.2%").
"""

from __future__ import annotations

from services.benchmark.queries import IndicatorInfo

KIND_LABELS = {
    "alarm": ("警报（超出 99.8% 控制限）", "alarm (outside the 99.8% limit)"),
    "alert": ("警示（超出 95% 控制限）", "alert (outside the 95% limit)"),
    "worst_decile": ("处于最差 10%", "worst decile"),
    "persistent": ("持续落后", "persistent"),
    "deteriorating": ("同比恶化", "deteriorating"),
    "early_warning": ("早期预警（CUSUM 越限）", "early warning (CUSUM above its limit)"),
    "missing": ("未按时上报", "missing"),
}


RULE_WORDS = {
    "limits": ("控制限 limits", "the funnel's control limits (limits)"),
    "fdr": (
        "错误发现率 fdr（Benjamini–Hochberg q 值）",
        "false discovery rate (fdr, Benjamini–Hochberg q-values)",
    ),
}
MAX_EXTRA_DIGITS = 5


def _digits(info: IndicatorInfo) -> int:
    return 1 if info.unit == "%" else 2


def fmt(value: float | None, info: IndicatorInfo, digits: int | None = None) -> str:
    if value is None or value != value:  # None or NaN
        return "—"
    shown = value * info.multiplier
    d = _digits(info) if digits is None else digits
    return f"{shown:.{d}f}%" if info.unit == "%" else f"{shown:.{d}f} {info.unit}"


def digits_to_differ(info: IndicatorInfo, *values: float | None) -> int:
    """The fewest decimals (from the unit's usual number) at which the values that differ also
    read differently (a rate of 0.24% against a limit of 0.16% reads "0.2%" twice at one decimal)."""
    base = _digits(info)
    real = [v for v in values if v is not None and v == v]
    for d in range(base, base + MAX_EXTRA_DIGITS + 1):
        shown = [fmt(v, info, d) for v in real]
        if all(
            a != b for i, a in enumerate(shown) for j, b in enumerate(shown) if i < j and real[i] != real[j]
        ):
            return d
    return base + MAX_EXTRA_DIGITS


def fmt_change(value: float, info: IndicatorInfo) -> tuple[str, str]:
    shown = value * info.multiplier
    if info.unit == "%":
        return f"{shown:+.1f} 个百分点", f"{shown:+.1f} percentage points"
    return f"{shown:+.2f} {info.unit}", f"{shown:+.2f} {info.unit}"


def q_words(q: float | None, threshold: float) -> str:
    """ "= 0.012 < 0.05", "< 0.0001 < 0.002": never a q that reads like its threshold."""
    if q is None or q != q:
        return f"< {threshold:g}"
    if q < 0.0001:
        return f"< 0.0001 < {threshold:g}"
    for d in range(2, 8):
        text = f"{q:.{d}g}"
        if float(text) < threshold:
            return f"= {text} < {threshold:g}"
    return f"= {q:.8f} < {threshold:g}"


def limit_reason(
    kind: str,
    info: IndicatorInfo,
    *,
    rate: float,
    limit: float,
    target: float | None,
    n: int,
    rule: str = "limits",
    q: float | None = None,
) -> tuple[str, str]:
    level = "99.8%" if kind == "alarm" else "95%"
    side_zh, side_en = ("低于", "below") if info.direction == "higher" else ("高于", "above")
    word_zh, word_en = ("警报", "alarm") if kind == "alarm" else ("警示", "alert")
    d = digits_to_differ(info, rate, limit, target)
    r, lim, centre = fmt(rate, info, d), fmt(limit, info, d), fmt(target, info, d)
    rule_zh, rule_en = RULE_WORDS[rule]
    if rule == "fdr":
        threshold = 0.002 if kind == "alarm" else 0.05
        q_text = q_words(q, threshold)
        return (
            f"{info.code} {info.name}：{r}，{side_zh}中心值 {centre}（分母 {n}，{level} 控制限 {lim}），"
            f"q {q_text}，{word_zh}。判定规则：{rule_zh}。",
            f"{info.code} {info.name_en}: {r} is {side_en} the centre {centre} (n = {n}, {level} control "
            f"limit {lim}), q {q_text}: {word_en}. Rule: {rule_en}.",
        )
    return (
        f"{info.code} {info.name}：{r}，{side_zh} {level} 控制限 {lim}"
        f"（中心值 {centre}，分母 {n}），{word_zh}。判定规则：{rule_zh}。",
        f"{info.code} {info.name_en}: {r} is {side_en} the {level} control limit {lim} "
        f"(centre {centre}, n = {n}): {word_en}. Rule: {rule_en}.",
    )


def decile_reason(info: IndicatorInfo, *, rate: float, cut: float | None, assessed: int) -> tuple[str, str]:
    name = "P10" if info.direction == "higher" else "P90"
    side_zh, side_en = ("低于", "below") if info.direction == "higher" else ("高于", "above")
    d = digits_to_differ(info, rate, cut)
    return (
        f"{info.code} {info.name}：{fmt(rate, info, d)}，{side_zh} {name}（{fmt(cut, info, d)}），"
        f"处于参与比较的 {assessed} 家医院中最差的 10%。",
        f"{info.code} {info.name_en}: {fmt(rate, info, d)} is {side_en} {name} ({fmt(cut, info, d)}), "
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
    info: IndicatorInfo,
    *,
    previous: str,
    previous_code: str | None,
    diff: float,
    low: float,
    high: float,
    ratio: tuple[float, float, float] | None = None,
) -> tuple[str, str]:
    """``ratio``: rates per N, the rate ratio with its exact conditional interval (it decides)."""
    d_zh, d_en = fmt_change(diff, info)
    lo_zh, lo_en = fmt_change(low, info)
    hi_zh, hi_en = fmt_change(high, info)
    if ratio is not None and all(v == v for v in ratio):  # no NaN
        r, r_low, r_high = ratio
        return (
            f"{info.code} {info.name}：较 {previous}（{previous_code}）变化 {d_zh}，率比 {r:.2f}"
            f"（95% 区间 {r_low:.2f} 至 {r_high:.2f}，精确条件法），显著恶化。",
            f"{info.code} {info.name_en}: changed by {d_en} since {previous} ({previous_code}), rate ratio "
            f"{r:.2f} (95% interval {r_low:.2f} to {r_high:.2f}, exact conditional): significantly worse.",
        )
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


def early_warning_reason(
    info: IndicatorInfo,
    *,
    statistic: float,
    h: float,
    ratio: float,
    since: str,
    quarters: int,
    observed: float,
    expected: float,
    source: str,
    restart: tuple[str, str] | None = None,
) -> tuple[str, str]:
    """A CUSUM signal: the statistic against h, the alternative, the series and this quarter's
    observed against expected bad events; the chart restarts at 0 after the signal."""
    if info.kind == "proportion":
        alt_zh, alt_en = f"不良结局比值比 {ratio:g}", f"odds ratio {ratio:g} of the bad outcome"
    elif info.direction == "higher":
        alt_zh, alt_en = f"率降至 1/{ratio:g}", f"rate ratio 1/{ratio:g}"
    else:
        alt_zh, alt_en = f"率比 {ratio:g}", f"rate ratio {ratio:g}"
    src_zh, src_en = SOURCE_WORDS.get(source, (source, source))
    zh = (
        f"{info.code} {info.name}：风险调整 CUSUM 累积和 {statistic:.2f} 超过控制限 h = {h:g}"
        f"（备择：{alt_zh}；自 {since} 起 {quarters} 个季度；本季度不良事件 {observed:g}，期望 {expected:.1f}，"
        f"期望值依据{src_zh}），早期预警。预警后累积和归零重新累计。"
    )
    en = (
        f"{info.code} {info.name_en}: risk-adjusted CUSUM {statistic:.2f} is above its limit h = {h:g} "
        f"(alternative: {alt_en}; {quarters} quarters since {since}; this quarter {observed:g} bad events "
        f"against {expected:.1f} expected, expected from {src_en}): early warning. The sum restarts at 0 "
        f"after the warning."
    )
    if restart:
        zh, en = f"{zh}{restart[0]}", f"{en} {restart[1]}"
    return zh, en


SOURCE_WORDS = {
    "baseline": ("同类医院基线率（O/E）", "the peer-profile baseline rate (O/E)"),
    "qc_center": ("质控中心目标值", "the QC center's target"),
    "pooled": ("本范围合并率", "the scope's pooled rate"),
}

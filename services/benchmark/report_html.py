"""HTML of the feedback report: self-contained (inline CSS, inline SVG), Chinese first, printable."""

from __future__ import annotations

from html import escape
from typing import Any

CSS = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
       font-size: 10.5pt; color: #1a1a1a; margin: 0; }
h1 { font-size: 18pt; margin: 0 0 4pt; } h2 { font-size: 13pt; margin: 16pt 0 6pt; border-bottom: 1px solid #888; }
.en { color: #555; font-size: 9pt; } table { border-collapse: collapse; width: 100%; margin-bottom: 8pt; }
th, td { border: 1px solid #bbb; padding: 3pt 4pt; vertical-align: top; } th { background: #eef1f5; text-align: left; }
td.num { text-align: right; white-space: nowrap; } .worse { color: #b00020; font-weight: bold; }
.better { color: #006b3c; } .meta td { border: none; padding: 1pt 6pt 1pt 0; } tr { page-break-inside: avoid; }
"""


def _e(value: object) -> str:
    return "—" if value is None or value == "" else escape(str(value))


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _position_svg(row: dict[str, Any], s: dict[str, Any]) -> str:
    """A small strip: P10–P90 band, the 95% limits at this hospital's n, the hospital as a dot."""
    points = [
        v
        for v in (
            row.get("rate"),
            s.get("p10"),
            s.get("p90"),
            row.get("limit95_low"),
            row.get("limit95_high"),
        )
        if v is not None
    ]
    if row.get("rate") is None or not points:
        return ""
    lo, hi = min(points), max(points)
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return float(5 + 150 * (v - lo) / span)

    parts = ['<svg width="160" height="18" xmlns="http://www.w3.org/2000/svg">']
    if s.get("p10") is not None and s.get("p90") is not None:
        parts.append(
            f'<rect x="{x(s["p10"]):.1f}" y="6" width="{max(1.0, x(s["p90"]) - x(s["p10"])):.1f}" '
            'height="6" fill="#cfd8e3"/>'
        )
    for key in ("limit95_low", "limit95_high"):
        if row.get(key) is not None:
            parts.append(
                f'<line x1="{x(row[key]):.1f}" x2="{x(row[key]):.1f}" y1="2" y2="16" stroke="#888"/>'
            )
    colour = "#b00020" if str(row.get("signal", "")).startswith("worse") else "#1f4e9a"
    parts.append(f'<circle cx="{x(row["rate"]):.1f}" cy="9" r="4" fill="{colour}"/></svg>')
    return "".join(parts)


def _oe_cell(r: dict[str, Any], s: dict[str, Any]) -> str:
    """O/E beside the crude rate, with the baseline it was computed from."""
    oe = s.get("oe")
    if not oe or r.get("oe") is None:
        return ""
    base = oe["baseline"]
    return (
        f"<div>O/E {_num(r['oe'], 2)}（95% {_num(r.get('oe_ci95_low'), 2)}–{_num(r.get('oe_ci95_high'), 2)}，"
        f"E = {_num(r.get('expected'), 1)}）</div><div class='en'>{_e(base['label'])} / {_e(base['label_en'])}</div>"
    )


def _rule_cell(r: dict[str, Any], s: dict[str, Any]) -> str:
    if not s.get("measure"):
        return ""
    q = f"，q = {r['q']:.3g}" if r.get("q") is not None else ""
    return (
        f"<div class='en'>按规则 {_e(s.get('flag_rule'))}：{_e(r.get('flag_label'))}{q} / "
        f"by the rule {_e(s.get('flag_rule'))}: {_e(r.get('flag_label_en'))}</div>"
    )


RULE_TEXT = {
    "limits": ("控制限（超出 95% / 99.8% 控制限）", "control limits (outside the 95% / 99.8% limits)"),
    "fdr": (
        "错误发现率（Benjamini–Hochberg q < 0.05 / 0.002）",
        "false discovery rate (Benjamini–Hochberg q < 0.05 / 0.002)",
    ),
}


def _rules(rules: dict[str, Any] | None) -> str:
    """One line naming the rules the flags used (frozen flags: the snapshot's own)."""
    if not rules:  # a snapshot frozen before the rules were recorded
        return "冻结时未记录 / not recorded when frozen"
    rule = str(rules.get("flag_rule"))
    zh, en = RULE_TEXT.get(rule, (rule, rule))
    limits = "、".join(f"{k}: {v}" for k, v in (rules.get("limits") or {}).items())
    minimum = "、".join(f"{k} {v}" for k, v in (rules.get("min_denominator_by_unit") or {}).items())
    return (
        f"标记规则：{_e(zh)}；控制限：{_e(limits)}；过度离散：{_e(rules.get('overdispersion'))}；"
        f"最小分母：{_e(minimum)}<div class='en'>Flag rule: {_e(en)}; limits: {_e(limits)}; "
        f"over-dispersion: {_e(rules.get('overdispersion'))}; minimum denominators: {_e(minimum)}</div>"
    )


def _indicator_rows(ctx: dict[str, Any]) -> str:
    out = []
    for entry in ctx["indicators"]:
        s, r = entry["summary"], entry["row"]
        y = ctx["yoy"].get(s["indicator_code"], {})
        css = (
            "worse"
            if r["signal"].startswith("worse")
            else "better"
            if r["signal"].startswith("better")
            else ""
        )
        change = (
            f"{_num(y.get('change'))}（{_e(y.get('verdict_label'))}）"
            if y.get("change") is not None
            else _e(y.get("comparability_label"))
        )
        out.append(
            f"<tr><td>{_e(s['indicator_code'])}<br>{_e(s['indicator_name'])}<div class='en'>{_e(s['indicator_name_en'])}"
            f"</div></td><td class='num'>{_num(r['rate'])} {_e(s['unit'])}<div class='en'>{r['numerator']}/"
            f"{r['denominator']}</div>{_oe_cell(r, s)}</td><td class='num'>{_num(s['pooled_rate'])}</td><td class='num'>"
            f"{_num(s['p50'])}</td><td class='num'>{_num(r['percentile_rank'], 0)}</td><td>{_position_svg(r, s)}"
            f"</td><td class='{css}'>{_e(r['signal_label'])}<div class='en'>{_e(r['signal_label_en'])}</div>"
            f"{_rule_cell(r, s)}</td>"
            f"<td>{change}<div class='en'>{_e(y.get('comparability_label_en'))}</div></td></tr>"
        )
    return (
        "\n".join(out)
        or "<tr><td colspan='8'>本季度无审核通过的数据 / no approved data this quarter</td></tr>"
    )


def _flag_rows(ctx: dict[str, Any]) -> str:
    rows = [
        f"<tr><td>{_e(f['kind_label'])}</td><td>{_e(f.get('rule'))}</td><td>{_e(f['reason'])}"
        f"<div class='en'>{_e(f['reason_en'])}</div></td></tr>"
        for f in ctx["flags"]
    ]
    return "\n".join(rows) or "<tr><td colspan='3'>无 / none</td></tr>"


def _not_comparable(ctx: dict[str, Any]) -> str:
    rows = [
        f"<tr><td>{_e(c)}</td><td>{_e(y['comparability_label'])}</td><td>{_e(y['reason'])}"
        f"<div class='en'>{_e(y['reason_en'])}</div></td></tr>"
        for c, y in ctx["yoy"].items()
        if y["comparability"] not in ("comparable", "partial")
    ]
    rows += [
        f"<tr><td>{_e(r['indicator_code'])}</td><td>{_e(r['comparability_label'])}</td><td>{_e(r['reason'])}"
        f"<div class='en'>{_e(r['reason_en'])}</div></td></tr>"
        for r in ctx["retired"]
    ]
    return "\n".join(rows) or "<tr><td colspan='3'>无 / none</td></tr>"


def render_html(ctx: dict[str, Any]) -> str:
    h = ctx["hospital"]
    status = (
        f"标记已冻结（数据版本 {ctx['data_version']}）/ flags frozen (data version {ctx['data_version']})"
        if ctx["frozen"]
        else "标记为实时计算，尚未冻结 / flags computed live, not yet frozen"
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(h["name"])} {ctx["quarter"]} 质控反馈报告</title>
<style>{CSS}</style></head><body>
<h1>质控反馈报告 <span class="en">Quality-control feedback report</span></h1>
<table class="meta"><tr><td>医院 / Hospital</td><td>{_e(h["name"])}（{_e(h["level"])}{_e(h["type"])}）</td></tr>
<tr><td>季度 / Quarter</td><td>{ctx["quarter"]}</td></tr>
<tr><td>目标目录 / Catalog</td><td>{ctx["catalog_year"]} 年第 {ctx["catalog_revision"]} 版 / {ctx["catalog_year"]} revision {ctx["catalog_revision"]}</td></tr>
<tr><td>对标范围 / Compared with</td><td>{_e(ctx["scope_label"])} / {_e(ctx["scope_label_en"])}</td></tr>
<tr><td>数据 / Data</td><td>仅含审核通过的数据 / approved data only；{status}</td></tr>
<tr><td>规则 / Rules</td><td>{_rules(ctx.get("flag_rules") if ctx["frozen"] else ctx.get("rules"))}</td></tr>
<tr><td>生成时间 / Generated</td><td>{ctx["generated_at"]}</td></tr></table>
<h2>指标对标 <span class="en">Indicators against the province</span></h2>
<table><tr><th>指标 / Indicator</th><th>本院 / Hospital</th><th>全省合并率 / Pooled</th><th>中位数 / Median</th>
<th>百分位 / Rank (100 = best)</th><th>漏斗位置 / Funnel position</th><th>信号 / Signal</th>
<th>同比 / Year over year</th></tr>
{_indicator_rows(ctx)}</table>
<p class="en">漏斗位置：灰带为全省 P10–P90，竖线为按本院分母计算的 95% 控制限，圆点为本院。/ Funnel position: grey band =
provincial P10–P90, lines = 95% limits at this hospital's denominator, dot = this hospital.</p>
<h2>落后标记 <span class="en">Flags</span></h2>
<table><tr><th>类型 / Kind</th><th>规则 / Rule</th><th>原因 / Reason</th></tr>{_flag_rows(ctx)}</table>
<h2>不可比与停用指标 <span class="en">Not comparable or retired</span></h2>
<table><tr><th>指标 / Indicator</th><th>状态 / Status</th><th>谱系说明 / Lineage</th></tr>{_not_comparable(ctx)}</table>
</body></html>"""

"""Pure figure builders: plain rows in, plotly figures out (no database, no Flask, no Dash).

Rows are those of ``services.benchmark.views`` (rates already in the indicator's unit: % for
proportions). Funnel limits are redrawn as smooth curves by ``stats.control_limits``, the function
the benchmark's limits come from (exact binomial or Poisson, or over-dispersed), so the plot agrees
with each hospital's signal. An O/E funnel is the same figure with E on x and O/E on y, around 1.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dash_app import i18n, numbers
from services.benchmark.stats import control_limits
from services.benchmark.views import SIGNAL_LABELS

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
SIGNAL_COLORS = {
    "worse_998": "#b2182b",
    "worse_95": "#ef8a62",
    "none": "#7f7f7f",
    "better_95": "#67a9cf",
    "better_998": "#2166ac",
    "insufficient": "#cccccc",
    "not_applicable": "#999999",
}
STATUS_ORDER = ("approved", "submitted", "late", "returned", "missing", "not_applicable")
STATUS_COLORS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#d9d9d9")


def _layout(fig: go.Figure, *, title: str = "", height: int = 420) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
        font={"family": FONT, "size": 12},
        plot_bgcolor="white",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.18},
    )
    fig.update_xaxes(gridcolor="#eeeeee")
    fig.update_yaxes(gridcolor="#eeeeee")
    return fig


def message_figure(text: str, *, title: str = "", height: int = 300) -> go.Figure:
    """A chart with nothing to draw says why, in words where the axes would be (no empty axes)."""
    fig = go.Figure()
    fig.add_annotation(
        text=text,
        name="empty-reason",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 14, "color": "#555555"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title=title, height=height)


def drawable(rows: list[dict]) -> list[dict]:
    """The rows a funnel or dot plot can draw: a denominator and a rate."""
    return [r for r in rows if (r.get("denominator") or 0) > 0 and r.get("rate") is not None]


def signal_label(signal: str | None, lang: str) -> str:
    zh, en = SIGNAL_LABELS.get(signal or "", (signal or "—", signal or "—"))
    return i18n.pick(zh, en, lang)


def _num(value: float | None, digits: int = numbers.RATE_DIGITS) -> str:
    return numbers.number(value, digits)


def hover_text(row: dict, unit: str, lang: str) -> str:
    name = row.get("hospital_name") or i18n.t("common.hospital", lang)
    return (
        f"<b>{name}</b><br>{i18n.t('common.numerator', lang)}/{i18n.t('common.denominator', lang)}: "
        f"{row['numerator']}/{row['denominator']}<br>{i18n.t('common.rate', lang)}: {_num(row.get('rate'))} {unit}"
        f"<br>{i18n.t('common.signal', lang)}: {signal_label(row.get('signal'), lang)}"
    )


# limits_method → the ``limits`` argument that produced it (over-dispersed limits come from tau2)
NORMAL_METHODS = ("normal", "poisson_exact_byar")


def funnel_limits(summary: dict, denominators: np.ndarray) -> dict[str, np.ndarray]:
    """95% and 99.8% limits (in display units) along ``denominators``, around the funnel's centre."""
    m = summary.get("multiplier") or 1
    centre = summary.get("target") if summary.get("target") is not None else summary.get("pooled_rate")
    if centre is None:
        return {}
    tau2 = summary.get("tau2") if summary.get("overdispersion_applied") else None
    limits = control_limits(
        np.asarray(denominators, dtype=float),
        target=centre / m,
        measure=summary.get("measure") or "proportion",
        limits="normal" if summary.get("limits_method") in NORMAL_METHODS else "exact",
        tau2=tau2,
    )
    return {
        f"{side}{level}": limits[f"limit{level}_{side}"] * m
        for level in ("95", "998")
        for side in ("low", "high")
    }


def _limit_traces(summary: dict, rows: list[dict], lang: str) -> list[go.Scatter]:
    ns = [r["denominator"] for r in rows if r["denominator"] > 0]
    if not ns:
        return []
    grid = np.unique(np.geomspace(max(1, min(ns) * 0.8), max(ns) * 1.2, 120).round().astype(int))
    limits = funnel_limits(summary, grid)
    if not limits:
        return []
    traces = []
    for name, dash, label in (("95", "dash", "95%"), ("998", "solid", "99.8%")):
        for side in ("low", "high"):
            traces.append(
                go.Scatter(
                    x=grid,
                    y=limits[f"{side}{name}"],
                    mode="lines",
                    hoverinfo="skip",
                    showlegend=side == "low",
                    name=f"{label} {i18n.t('benchmark.limit', lang)}",
                    line={"color": "#444444", "dash": dash, "width": 1},
                    legendgroup=name,
                )
            )
    return traces


MANY = 1000  # beyond this many hospitals only the signalled ones are drawn one by one (density_layer)
LABELLED = 60  # up to this many hospitals the dot plot names each one on its axis
DENSITY_BINS = (90, 60)  # (denominator, rate) cells of the density layer
SIGNALLED = ("worse_998", "worse_95", "better_95", "better_998")


def short_hover(rows: list[dict]) -> np.ndarray:
    """Per point only what differs (name, numerator/denominator); labels and signal are per trace.
    An array, not a list: plotly validates a list element by element (0.3 s for 13,000 points)."""
    return np.array(
        [
            f"<b>{r.get('hospital_name') or r['hospital_id']}</b><br>{r['numerator']}/{r['denominator']}"
            for r in rows
        ]
    )


def hospital_ids(rows: list[dict]) -> np.ndarray:
    """The points' ``customdata``: an array of Python objects, written as a plain JSON list. A numeric
    numpy array is encoded as typed binary (``bdata``) that dcc.Graph does not decode into
    ``clickData`` (a click named no hospital); a list is validated element by element (0.1 s for
    13,000 points)."""
    ids = np.empty(len(rows), dtype=object)
    ids[:] = [r["hospital_id"] for r in rows]
    return ids


def _hover_template(lang: str, unit: str, value: str) -> str:
    return (
        f"%{{hovertext}} ({i18n.t('common.numerator', lang)}/{i18n.t('common.denominator', lang)})<br>"
        f"{i18n.t('common.rate', lang)}: %{{{value}:{numbers.D3_RATE}}} {unit}<br>"
        f"{i18n.t('common.signal', lang)}: %{{fullData.name}}<extra></extra>"
    )


def _edges(values: np.ndarray, bins: int, *, log: bool) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if log:
        return np.geomspace(low / 1.05, high * 1.05, bins + 1)
    pad = (high - low) * 0.02 or 0.5
    return np.linspace(low - pad, high + pad, bins + 1)


def density_layer(x: np.ndarray, y: np.ndarray, lang: str, unit: str) -> go.Heatmap:
    """Hospitals as counts on a grid (log denominator × rate): what a scope of thousands of hospitals
    looks like without drawing each point. SVG, not WebGL: browsers without WebGL (many hospital
    office PCs and remote desktops) draw it, and it costs the same at 1,000 or 100,000 hospitals.
    Empty cells are transparent; the hover gives the cell's hospitals and ranges."""
    edges_x, edges_y = _edges(x, DENSITY_BINS[0], log=True), _edges(y, DENSITY_BINS[1], log=False)
    counts, _, _ = np.histogram2d(y, x, bins=(edges_y, edges_x))
    return go.Heatmap(
        x=edges_x,
        y=edges_y,
        z=np.where(counts > 0, counts, np.nan).astype(np.float32),  # counts: exact, half the bytes
        zmin=0,
        showscale=False,
        hoverongaps=False,
        colorscale=[[0, "#d9d9d9"], [1, "#252525"]],
        hovertemplate=(
            f"%{{z}} {i18n.t('benchmark.density_hover', lang)}<br>{i18n.t('common.denominator', lang)} "
            f"≈ %{{x:.0f}} · {i18n.t('common.rate', lang)} ≈ %{{y:{numbers.D3_RATE}}} {unit}<extra></extra>"
        ),
    )


def _density_note(shown: int, dense: int, lang: str) -> dict:
    return {
        "text": i18n.t("benchmark.density_note", lang).format(shown=f"{shown:,}", dense=f"{dense:,}"),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1.0,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 11, "color": "#555555"},
    }


def funnel_figure(
    rows: list[dict],
    summary: dict,
    lang: str = "zh",
    *,
    title: str = "",
    x_title: str | None = None,
    y_title: str | None = None,
    centre_label: str | None = None,
    labelled: bool = False,
    previous: list[dict] | None = None,
    previous_label: str = "",
) -> go.Figure:
    """Rate against denominator with 95% / 99.8% limits; ``customdata`` carries the hospital id.
    One trace per signal, named by it, so the hover names hospital, numbers and signal.
    ``labelled`` writes each unit's name beside its point (a few units: the provinces);
    ``previous`` (rows of the same hospitals a year earlier) draws where each was then, faint, with
    a line to where it is now (``previous_trail``)."""
    fig = go.Figure(_limit_traces(summary, rows, lang))
    centre = summary.get("target") if summary.get("target") is not None else summary.get("pooled_rate")
    if centre is not None:
        fig.add_hline(
            y=centre,
            line={"color": "#1f77b4", "width": 1},
            annotation_text=f"{centre_label or i18n.t('common.pooled', lang)} {_num(centre)}",
        )
    unit = summary.get("unit", "")
    drawn = [r for r in rows if r["denominator"] > 0 and r.get("rate") is not None]
    many = len(drawn) > MANY
    if many:  # the unsignalled mass as density; signalled hospitals stay points that name themselves
        dense = [r for r in drawn if r.get("signal") not in SIGNALLED]
        if dense:
            fig.add_trace(
                density_layer(
                    np.array([r["denominator"] for r in dense], dtype=float),
                    np.array([r["rate"] for r in dense], dtype=float),
                    lang,
                    unit,
                )
            )
        fig.add_annotation(**_density_note(len(drawn) - len(dense), len(dense), lang))
    elif previous:
        fig.add_traces(previous_trail(drawn, previous, lang, unit, previous_label))
    for signal in SIGNALLED if many else SIGNAL_COLORS:
        picked = [r for r in drawn if r.get("signal") == signal]
        if not picked:
            continue
        fig.add_trace(
            go.Scatter(
                x=np.array([r["denominator"] for r in picked]),
                y=np.array([r["rate"] for r in picked]),
                mode="markers+text" if labelled else "markers",
                name=signal_label(signal, lang),
                marker={
                    "color": SIGNAL_COLORS[signal],
                    "size": 6 if many else 9,
                    "line": {"width": 0.5, "color": "white"},
                },
                customdata=hospital_ids(picked),
                hovertext=short_hover(picked),
                text=[r.get("hospital_name") or "" for r in picked] if labelled else None,
                textposition="top center",
                textfont={"size": 11},
                hovertemplate=_hover_template(lang, unit, "y"),
            )
        )
    fig.update_xaxes(title=x_title or i18n.t("common.denominator", lang), type="log")
    fig.update_yaxes(title=y_title or f"{i18n.t('common.rate', lang)} ({unit})")
    return _layout(fig, title=title)


def previous_trail(
    rows: list[dict], previous: list[dict], lang: str, unit: str, label: str
) -> list[go.Scatter]:
    """Each hospital's point a year earlier (hollow, faint) and a thin line from it to this year's
    point; only hospitals drawn now and drawable then. The legend entry toggles both."""
    before = {r["hospital_id"]: r for r in drawable(previous)}
    pairs = [(before[r["hospital_id"]], r) for r in rows if r["hospital_id"] in before]
    if not pairs:
        return []
    xs: list = []
    ys: list = []
    for old, new in pairs:
        xs += [old["denominator"], new["denominator"], None]
        ys += [old["rate"], new["rate"], None]
    name = f"{i18n.t('benchmark.last_year', lang)}{f' ({label})' if label else ''}"
    return [
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "rgba(120,120,120,0.45)", "width": 1},
            hoverinfo="skip",
            legendgroup="previous",
            showlegend=False,
        ),
        go.Scatter(
            x=np.array([old["denominator"] for old, _ in pairs]),
            y=np.array([old["rate"] for old, _ in pairs]),
            mode="markers",
            name=name,
            legendgroup="previous",
            marker={"symbol": "circle-open", "size": 8, "color": "rgba(90,90,90,0.6)"},
            customdata=[new["hospital_id"] for _, new in pairs],
            hovertext=short_hover([old for old, _ in pairs]),
            hovertemplate=f"%{{hovertext}}<br>{name}: %{{y:{numbers.D3_RATE}}} {unit}<extra></extra>",
        ),
    ]


def oe_funnel_figure(rows: list[dict], summary: dict, lang: str = "zh", *, title: str = "") -> go.Figure:
    """Observed / expected against the expected count, with limits around 1 (``summary["oe"]``);
    the title names the baseline."""
    oe = summary.get("oe") or {}
    shown = [
        {**r, "denominator": r["expected"], "rate": r["oe"], "signal": r.get("oe_signal")}
        for r in rows
        if r.get("expected") and r.get("oe") is not None
    ]
    oe_summary = {
        "target": 1.0,
        "multiplier": 1,
        "unit": "O/E",
        "measure": "ratio",
        "limits_method": oe.get("limits_method"),
        "tau2": oe.get("tau2"),
        "overdispersion_applied": oe.get("overdispersion_applied"),
    }
    baseline = oe.get("baseline") or {}
    named = f"{title} · {i18n.pick(baseline.get('label'), baseline.get('label_en'), lang)}"
    return funnel_figure(
        shown,
        oe_summary,
        lang,
        title=named,
        x_title=i18n.pick("期望数 E", "expected count E", lang),
        centre_label="O/E",
    )


def province_funnel_figure(
    rollup_indicator: dict, names: dict[str, str], *, multiplier: int, lang: str = "zh", title: str = ""
) -> go.Figure:
    """Provinces as units on a funnel around the national pooled rate (rollups.rollup output)."""
    funnel = rollup_indicator.get("province_funnel") or {}
    if not funnel.get("applicable"):
        return _layout(go.Figure(), title=title)
    by_code = {p["province_code"]: p for p in rollup_indicator["provinces"]}
    rows = [
        {
            **u,
            "hospital_id": u["province_code"],
            "hospital_name": names.get(u["province_code"], u["province_code"]),
            "numerator": by_code[u["province_code"]]["numerator"],
            "denominator": by_code[u["province_code"]]["denominator"],
        }
        for u in funnel["units"]
    ]
    summary = {
        "target": funnel["target"],
        "multiplier": multiplier,
        "unit": rollup_indicator.get("unit", ""),
        "measure": funnel.get("measure"),
        "limits_method": funnel.get("limits_method"),
        "tau2": funnel.get("tau2"),
        "overdispersion_applied": False,
    }
    return funnel_figure(rows, summary, lang, title=title, labelled=True)


def _errors(shown: list[dict]) -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "thickness": 1,
        "array": np.array([max(0.0, (r.get("ci95_high") or r["rate"]) - r["rate"]) for r in shown]),
        "arrayminus": np.array([max(0.0, r["rate"] - (r.get("ci95_low") or r["rate"])) for r in shown]),
    }


def dot_plot(rows: list[dict], summary: dict, lang: str = "zh", *, title: str = "") -> go.Figure:
    """Hospitals ranked by rate with their 95% intervals. Up to LABELLED hospitals: one named row
    each, best at the top; more: a caterpillar plot (rank on x, best at the left, names in the hover)."""
    shown = [r for r in rows if r.get("rate") is not None]
    higher = summary.get("direction", "higher") == "higher"
    unit = summary.get("unit", "")
    if len(shown) > LABELLED:
        return _caterpillar(shown, summary, lang, title=title, higher=higher, unit=unit)
    shown.sort(key=lambda r: r["rate"], reverse=not higher)  # plotly draws the first category at the bottom
    fig = go.Figure(
        go.Scatter(
            x=[r["rate"] for r in shown],
            y=[r.get("hospital_name") or str(r["hospital_id"]) for r in shown],
            mode="markers",
            marker={"color": [SIGNAL_COLORS.get(str(r.get("signal")), "#7f7f7f") for r in shown], "size": 8},
            error_x=_errors(shown),
            customdata=hospital_ids(shown),
            text=[hover_text(r, unit, lang) for r in shown],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    if summary.get("pooled_rate") is not None:
        fig.add_vline(x=summary["pooled_rate"], line={"color": "#1f77b4", "dash": "dot"})
    fig.update_xaxes(title=f"{i18n.t('common.rate', lang)} ({unit})")
    return _layout(fig, title=title, height=max(300, 60 + 18 * len(shown)))


BAND_STEPS = 300  # the caterpillar's band of intervals beyond this many hospitals: steps of ranks


def band_envelope(high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The band of 95% intervals along the ranks (1…n) as at most BAND_STEPS flat steps, each as high
    as the highest and as low as the lowest interval of its ranks: every interval lies inside the
    band, which is drawn (and sent) with 2 × BAND_STEPS points instead of n."""
    n = high.size
    if n <= BAND_STEPS:
        ranks = np.arange(1, n + 1)
        return ranks, high, low
    starts = np.linspace(0, n, BAND_STEPS + 1).astype(int)[:-1]
    ends = np.append(starts[1:], n)  # exclusive: the step covers ranks starts+1 … ends
    top = np.maximum.reduceat(np.nan_to_num(high, nan=-np.inf), starts)
    bottom = np.minimum.reduceat(np.nan_to_num(low, nan=np.inf), starts)
    x = np.column_stack([starts + 1, ends]).ravel()
    return x, np.repeat(top, 2), np.repeat(bottom, 2)


def _caterpillar(
    shown: list[dict], summary: dict, lang: str, *, title: str, higher: bool, unit: str
) -> go.Figure:
    """Rank on x (best at the left), rate with its 95% interval on y. Beyond MANY hospitals the
    unsignalled ones are a line of rates inside a band of intervals (every hospital still hovers and
    clicks through on the line) and only signalled hospitals are points with error bars."""
    shown = sorted(shown, key=lambda r: r["rate"], reverse=higher)
    rank = {id(r): n for n, r in enumerate(shown, start=1)}
    fig, many = go.Figure(), len(shown) > MANY
    if many:
        ranks = np.arange(1, len(shown) + 1)
        rates = np.array([r["rate"] for r in shown], dtype=float)
        high = np.array(
            [r["rate"] if r.get("ci95_high") is None else r["ci95_high"] for r in shown], dtype=float
        )
        low = np.array(
            [r["rate"] if r.get("ci95_low") is None else r["ci95_low"] for r in shown], dtype=float
        )
        band_x, band_high, band_low = band_envelope(high, low)
        fig.add_trace(
            go.Scatter(
                x=band_x, y=band_high, mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False
            )
        )
        fig.add_trace(
            go.Scatter(
                x=band_x,
                y=band_low,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(127,127,127,0.25)",
                hoverinfo="skip",
                name=i18n.t("benchmark.band", lang),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=ranks,
                y=rates,
                mode="lines",
                line={"color": "#7f7f7f", "width": 1.5},
                name=i18n.t("benchmark.all_ranked", lang),
                customdata=hospital_ids(shown),
                hovertemplate=f"{i18n.t('benchmark.rank_short', lang)} %{{x}} · {i18n.t('common.rate', lang)} "
                f"%{{y:{numbers.D3_RATE}}} {unit}<extra></extra>",
            )
        )
    for signal in SIGNALLED if many else SIGNAL_COLORS:
        picked = [r for r in shown if r.get("signal") == signal]
        if not picked:
            continue
        fig.add_trace(
            go.Scatter(
                x=np.array([rank[id(r)] for r in picked]),
                y=np.array([r["rate"] for r in picked]),
                mode="markers",
                name=signal_label(signal, lang),
                marker={"color": SIGNAL_COLORS[signal], "size": 5},
                error_y={**_errors(picked), "color": SIGNAL_COLORS[signal]},
                customdata=hospital_ids(picked),
                hovertext=short_hover(picked),
                hovertemplate=_hover_template(lang, unit, "y"),
            )
        )
    if summary.get("pooled_rate") is not None:
        fig.add_hline(y=summary["pooled_rate"], line={"color": "#1f77b4", "dash": "dot"})
    fig.update_xaxes(title=f"{i18n.t('benchmark.rank', lang)} (1–{len(shown)})")
    fig.update_yaxes(title=f"{i18n.t('common.rate', lang)} ({unit})")
    return _layout(fig, title=title)


def cell_status(hospital: dict, indicator: str) -> str:
    """approved / submitted / late / returned / missing / not_applicable for one hospital × indicator."""
    if indicator in (hospital.get("not_applicable") or {}):
        return "not_applicable"
    if indicator in hospital.get("missing_indicators", []) or hospital.get("status") == "missing":
        return "missing"
    if hospital.get("status") in ("approved", "returned"):
        return hospital["status"]
    return "late" if hospital.get("timeliness") == "late" else "submitted"


def row_statuses(hospital: dict, codes: list[str]) -> list[str]:
    """cell_status of every code (the missing list looked up as a set: a province has ~30,000 cells)."""
    quick = {**hospital, "missing_indicators": set(hospital.get("missing_indicators", []))}
    return [cell_status(quick, c) for c in codes]


def _cell_text(hospital: dict, code: str, status: str, lang: str) -> str:
    """The cell's status (and why it does not apply); hospital and indicator come from the axes."""
    text = i18n.t("status." + status, lang)
    reason = (hospital.get("not_applicable") or {}).get(code) if status == "not_applicable" else None
    return f"{text}<br>{i18n.pair(reason, lang)}" if reason else text


ATTENTION = ("missing", "returned", "late", "submitted")  # heat-map rows: most cells needing action first


def attention_order(hospitals: list[dict], codes: list[str]) -> list[dict]:
    """Hospitals with the most missing cells first, then returned, late, submitted; name breaks ties."""

    def key(h: dict) -> tuple:
        statuses = row_statuses(h, codes)
        return (*(-statuses.count(s) for s in ATTENTION), h.get("hospital_name") or "")

    return sorted(hospitals, key=key)


def completeness_heatmap(
    report: dict, lang: str = "zh", *, title: str = "", limit: int | None = None
) -> go.Figure:
    """Hospitals × indicators, coloured by status (discrete scale, legend in the colour bar). With
    ``limit`` only that many rows are drawn, the hospitals needing most action first: a province's
    hundreds of hospitals are summarised by ``completeness_bars``."""
    codes = [i["indicator"] for i in report.get("indicators", [])]
    hospitals = report.get("hospitals", [])
    if limit is not None and len(hospitals) > limit:
        hospitals = attention_order(hospitals, codes)[:limit]
    names = indicator_names(report, lang)
    z, text = [], []
    for h in hospitals:
        statuses = row_statuses(h, codes)
        z.append([STATUS_ORDER.index(s) for s in statuses])
        text.append([_cell_text(h, c, s, lang) for c, s in zip(codes, statuses, strict=True)])
    k = len(STATUS_ORDER)
    scale = [[edge / k, color] for i, color in enumerate(STATUS_COLORS) for edge in (i, i + 1)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=codes,
            y=[h["hospital_name"] for h in hospitals],
            text=text,
            customdata=[names for _ in hospitals],
            zmin=-0.5,
            hovertemplate="%{y}<br>%{x} %{customdata}: %{text}<extra></extra>",
            zmax=k - 0.5,
            colorscale=scale,
            xgap=1,
            ygap=1,
            colorbar={
                "tickvals": list(range(k)),
                "ticktext": [i18n.t(f"status.{s}", lang) for s in STATUS_ORDER],
            },
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-60)
    return _layout(fig, title=title, height=max(320, 120 + 16 * len(hospitals)))


def indicator_names(report: dict, lang: str) -> list[str]:
    """The name of each of ``report["indicators"]`` in the session's language ("" where unknown)."""
    return [i18n.pick(i.get("name"), i.get("name_en"), lang) for i in report.get("indicators", [])]


def completeness_bars(report: dict, lang: str = "zh", *, title: str = "") -> go.Figure:
    """Every hospital counted, per indicator: approved / received, not yet approved / missing; the
    hover names the indicator (the axis has room for codes only)."""
    indicators = report.get("indicators", [])
    names = indicator_names(report, lang)
    codes = [i["indicator"] for i in indicators]
    parts = (
        ("status.approved", [i["approved"] for i in indicators], STATUS_COLORS[0]),
        ("province.pending", [i["received"] - i["approved"] for i in indicators], STATUS_COLORS[1]),
        ("status.missing", [i["expected"] - i["received"] for i in indicators], STATUS_COLORS[4]),
    )
    fig = go.Figure(
        [
            go.Bar(
                x=codes,
                y=counts,
                name=i18n.t(label, lang),
                marker={"color": color},
                customdata=names,
                hovertemplate="%{x} %{customdata}: %{y}<extra>%{fullData.name}</extra>",
            )
            for label, counts, color in parts
        ]
    )
    fig.update_xaxes(tickangle=-60)
    fig.update_yaxes(title=i18n.t("common.hospital", lang))
    _layout(fig, title=title, height=320)
    # legend above the bars: below, it would sit on the rotated indicator codes
    fig.update_layout(
        barmode="stack",
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def segments(points: list[dict]) -> list[list[dict]]:
    """Consecutive points of the same ``segment`` (a definition change starts a new one)."""
    out: list[list[dict]] = []
    for p in points:
        if not out or out[-1][0].get("segment", 0) != p.get("segment", 0):
            out.append([])
        out[-1].append(p)
    return out


HOVER = "%{x} %{text}: %{y:" + numbers.D3_RATE + "}<extra>%{fullData.name}</extra>"


def _segment_traces(seg: list[dict], lang: str, first: bool) -> list[go.Scatter]:
    q, traces = [p["quarter"] for p in seg], []
    if any(p.get("p25") is not None for p in seg):
        traces.append(
            go.Scatter(
                x=q,
                y=[p.get("p75") for p in seg],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        traces.append(
            go.Scatter(
                x=q,
                y=[p.get("p25") for p in seg],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.15)",
                name=i18n.t("common.band", lang),
                legendgroup="band",
                showlegend=first,
            )
        )
    codes = [p.get("indicator_code") or "" for p in seg]
    traces.append(
        go.Scatter(
            x=q,
            y=[p.get("pooled") for p in seg],
            mode="lines",
            text=codes,
            hovertemplate=HOVER,
            line={"color": "#1f77b4", "dash": "dot"},
            name=i18n.t("common.pooled", lang),
            legendgroup="pooled",
            showlegend=first,
        )
    )
    if any("rate" in p for p in seg):
        traces.append(
            go.Scatter(
                x=q,
                y=[p.get("rate") for p in seg],
                mode="lines+markers",
                text=codes,
                hovertemplate=HOVER,
                line={"color": "#d62728"},
                name=i18n.t("common.hospital", lang),
                legendgroup="rate",
                showlegend=first,
            )
        )
    return traces


def trend_figure(
    points: list[dict],
    lang: str = "zh",
    *,
    unit: str = "",
    title: str = "",
    height: int = 260,
    note: str = "",
) -> go.Figure:
    """The hospital's rate by quarter over the scope's pooled rate and P25–P75 band. Points may span
    catalog years (``indicator_code`` in the hover); a new ``segment`` breaks every line and is
    marked "口径变化 / definition changed" (``note``, e.g. the lineage's reason, in its hover)."""
    parts = segments(points)
    fig = go.Figure([t for n, seg in enumerate(parts) for t in _segment_traces(seg, lang, n == 0)])
    quarters = [p["quarter"] for p in points]
    seen = 0
    for seg in parts[:-1]:
        seen += len(seg)
        fig.add_vline(x=seen - 0.5, line={"color": "#888888", "dash": "dash", "width": 1})
        fig.add_annotation(
            x=seen - 0.5,
            y=1.02,
            yref="paper",
            showarrow=False,
            xanchor="center",
            yanchor="bottom",
            text=i18n.t("hospital.definition_changed", lang),
            font={"color": "#b35806", "size": 11},
            hovertext=note or None,
            name="definition-changed",
        )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    fig.update_yaxes(title=unit)
    return _layout(fig, title=title, height=height)


def _sankey_nodes(diffs: list[dict], lang: str) -> tuple[dict[tuple, int], list[str]]:
    index: dict[tuple, int] = {}
    labels: list[str] = []

    def node(key: tuple, label: str) -> int:
        if key not in index:
            index[key] = len(labels)
            labels.append(label)
        return index[key]

    new, gone = i18n.t("lineage.kind.new", lang), i18n.t("catalog.retired_node", lang)
    for d in diffs:
        for c in d["changes"]:
            node((d["from_year"], c["from_code"] or "new"), c["from_code"] or f"{d['to_year']} {new}")
            node((d["to_year"], c["to_code"] or "retired"), c["to_code"] or f"{d['to_year']} {gone}")
    return index, labels


KIND_COLORS = {
    "continued": "rgba(150,150,150,0.4)",
    "renumbered": "rgba(31,119,180,0.5)",
    "redefined": "rgba(255,127,14,0.5)",
    "split": "rgba(148,103,189,0.5)",
    "merged": "rgba(148,103,189,0.5)",
    "new": "rgba(44,160,44,0.5)",
    "retired": "rgba(214,39,40,0.5)",
}


def link_kind(change: dict) -> str:
    """The colour a move is drawn in: a move whose destination is not known yet (moved to a
    specialty list not loaded) ends in the year's 'retired / destination unknown' node, in red."""
    kinds = change.get("kinds") or []
    if change.get("to_code") is None:
        return "retired"
    for kind in ("new", "split", "merged", "redefined", "renumbered"):
        if kind in kinds:
            return kind
    return "continued"


def new_goal_counts(diffs: list[dict]) -> dict[int, int]:
    """Year → how many goals were new that year (the flows ``sankey_figure`` leaves out by default)."""
    return {
        d["to_year"]: n for d in diffs if (n := sum(1 for c in d["changes"] if c.get("from_code") is None))
    }


def without_new(diffs: list[dict]) -> list[dict]:
    return [{**d, "changes": [c for c in d["changes"] if c.get("from_code") is not None]} for d in diffs]


def sankey_figure(
    diffs: list[dict], lang: str = "zh", *, title: str = "", show_new: bool = True
) -> go.Figure:
    """How goals moved across years: one column per year, links coloured by kind of change
    (``KIND_COLORS``; the page draws the legend). ``show_new=False`` leaves out the flows of new goals
    (one per new goal: they drown the real moves) and says how many there were under the title."""
    counts = new_goal_counts(diffs)
    drawn = diffs if show_new else without_new(diffs)
    index, labels = _sankey_nodes(drawn, lang)
    src, dst, colors, hover = [], [], [], []
    for d in drawn:
        for c in d["changes"]:
            src.append(index[(d["from_year"], c["from_code"] or "new")])
            dst.append(index[(d["to_year"], c["to_code"] or "retired")])
            colors.append(KIND_COLORS[link_kind(c)])
            title_text = i18n.pick(c.get("to_title") or c.get("from_title"), None, lang)
            hover.append(
                f"{c.get('from_code') or '—'} → {c.get('to_code') or '?'} {title_text}<br>"
                f"{i18n.lineage_kinds(c.get('kinds') or [], lang)}<br>"
                f"{i18n.public(i18n.pick(c.get('reason'), c.get('reason_en'), lang))[:160]}"
            )
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "pad": 8, "thickness": 12},
            link={
                "source": src,
                "target": dst,
                "value": [1] * len(src),
                "color": colors,
                "customdata": hover,
                "hovertemplate": "%{customdata}<extra></extra>",
            },
        )
    )
    if counts and not show_new:
        per_year = ("，" if lang != "en" else ", ").join(f"{y}: {n}" for y, n in sorted(counts.items()))
        fig.add_annotation(
            text=f"{i18n.t('catalog.new_collapsed', lang)} · {i18n.t('lineage.kind.new', lang)} {per_year}",
            name="new-hidden",
            xref="paper",
            yref="paper",
            x=0,
            y=1.0,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"size": 11, "color": "#555555"},
        )
    return _layout(fig, title=title, height=max(420, 22 * max(1, len(labels) // 2)))

"""The early-warning chart of one hospital × indicator (pure): the risk-adjusted CUSUM with its
control limit h above, the EWMA of observed / expected with its limits below (docs/methods.md §11).
Kept out of figures.py, which is past the house's file size."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dash_app import i18n
from dash_app.figures import _layout

LIMIT_COLOR = "#d73027"
LINE_COLOR = "#1f77b4"


def _labels(series: dict[str, Any], lang: str) -> dict[str, str]:
    h = series["h"]
    return {
        "cusum": i18n.pick("CUSUM 累积和", "CUSUM", lang),
        "limit": i18n.pick(f"控制限 h = {h:g}", f"control limit h = {h:g}", lang),
        "signal": i18n.pick("早期预警（越限后归零）", "early warning (restarts at 0)", lang),
        "ewma": i18n.pick("EWMA（观察/期望）", "EWMA (observed / expected)", lang),
        "ewma_limits": i18n.pick("EWMA 控制限", "EWMA limits", lang),
        "centre": i18n.pick("期望 = 1", "expected = 1", lang),
        "top": i18n.pick(
            f"风险调整 CUSUM（备择：不良结局{series['ratio']:g} 倍）",
            f"Risk-adjusted CUSUM (alternative: bad outcome × {series['ratio']:g})",
            lang,
        ),
        "bottom": i18n.pick(
            f"EWMA（λ = {series['ewma_lambda']:g}，±{series['ewma_width']:g}σ）",
            f"EWMA (λ = {series['ewma_lambda']:g}, ±{series['ewma_width']:g}σ)",
            lang,
        ),
    }


def early_warning_figure(
    series: dict[str, Any], lang: str = "zh", *, title: str = "", height: int = 440
) -> go.Figure:
    """CUSUM S_t with the line h and signals marked; EWMA of O/E with its limits and centre 1."""
    words, pts = _labels(series, lang), series["points"]
    quarters = [p["quarter"] for p in pts]
    hover = [f"{p['quarter']} · {p['indicator_code']} · {p['numerator']}/{p['denominator']}" for p in pts]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=(words["top"], words["bottom"]))  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=quarters,
            y=[p["cusum"] for p in pts],
            mode="lines+markers",
            name=words["cusum"],
            line={"color": LINE_COLOR},
            hovertext=hover,
        ),  # fmt: skip
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=quarters,
            y=[series["h"]] * len(pts),
            mode="lines",
            name=words["limit"],
            line={"color": LIMIT_COLOR, "dash": "dash"},
        ),  # fmt: skip
        row=1,
        col=1,
    )
    hits = [p for p in pts if p["signal"]]
    if hits:
        fig.add_trace(
            go.Scatter(
                x=[p["quarter"] for p in hits],
                y=[p["cusum"] for p in hits],
                mode="markers",
                name=words["signal"],
                marker={"color": LIMIT_COLOR, "size": 12, "symbol": "x"},
            ),  # fmt: skip
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=quarters,
            y=[p["ewma"] for p in pts],
            mode="lines+markers",
            name=words["ewma"],
            line={"color": "#4d4d4d"},
            hovertext=hover,
        ),  # fmt: skip
        row=2,
        col=1,
    )
    for key, show in (("ewma_upper", True), ("ewma_lower", False)):
        fig.add_trace(
            go.Scatter(
                x=quarters,
                y=[p[key] for p in pts],
                mode="lines",
                name=words["ewma_limits"],
                showlegend=show,
                legendgroup="ewma-limits",
                line={"color": LIMIT_COLOR, "dash": "dot", "width": 1},
            ),  # fmt: skip
            row=2,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=quarters,
            y=[1.0] * len(pts),
            mode="lines",
            name=words["centre"],
            line={"color": "#888888", "width": 1},
        ),  # fmt: skip
        row=2,
        col=1,
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    if series.get("restart_reason"):
        fig.add_annotation(
            x=quarters[0], y=1.0, yref="paper", yanchor="bottom", showarrow=False, name="restart",
            text=i18n.pick(series["restart_reason"], series.get("restart_reason_en"), lang)[:120],
            font={"color": "#b35806", "size": 11},
        )  # fmt: skip
    return _layout(fig, title=title, height=height)

"""The early-warning chart (pure): CUSUM with its limit h, signals marked, EWMA with its limits."""

from __future__ import annotations

from dash_app.figures_early_warning import early_warning_figure


def _series(restart: str | None = None) -> dict:
    cusum = [0.0, 1.2, 3.1, 5.6, 0.4]
    return {
        "h": 5.0,
        "ratio": 2.0,
        "ewma_lambda": 0.2,
        "ewma_width": 3.0,
        "restart_reason": restart,
        "restart_reason_en": "Series restarts in 2023Q1: redefined" if restart else None,
        "points": [
            {
                "quarter": f"2023Q{i + 1}" if i < 4 else "2024Q1",
                "indicator_code": "NIT-2023-X.1",
                "numerator": 10 + i,
                "denominator": 500,
                "cusum": c,
                "signal": c > 5.0,
                "ewma": 1.0 + 0.1 * i,
                "ewma_lower": 0.5,
                "ewma_upper": 1.5,
            }
            for i, c in enumerate(cusum)
        ],
    }


def test_chart_draws_the_limit_and_marks_the_signal_in_chinese():
    fig = early_warning_figure(_series(), "zh", title="NIT-2023-X.1")
    names = [t.name for t in fig.data]
    assert "控制限 h = 5" in names and "CUSUM 累积和" in names and "EWMA 控制限" in names
    limit = next(t for t in fig.data if t.name == "控制限 h = 5")
    assert set(limit.y) == {5.0}
    signal = next(t for t in fig.data if t.name.startswith("早期预警"))
    assert list(signal.x) == ["2023Q4"]
    titles = [a.text for a in fig.layout.annotations]
    assert any("风险调整 CUSUM" in t for t in titles) and any("EWMA" in t for t in titles)


def test_chart_in_english_and_no_signal_no_marker():
    quiet = _series()
    for p in quiet["points"]:
        p["signal"] = False
    fig = early_warning_figure(quiet, "en")
    names = [t.name for t in fig.data]
    assert "control limit h = 5" in names and not any(n.startswith("early warning") for n in names)


def test_restart_is_said_on_the_chart():
    fig = early_warning_figure(_series("序列自 2023Q1 重新开始：口径变化"), "zh")
    assert any(a.name == "restart" and "重新开始" in a.text for a in fig.layout.annotations)

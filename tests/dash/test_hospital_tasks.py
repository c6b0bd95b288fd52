"""Pure parts of issue 23's hospital tasks, tested without a browser: which hospital a click on the
funnel or dot plot opens, and how the hospital page words a year-over-year change."""

from __future__ import annotations

import json

import plotly.io as pio

from dash_app import figures
from dash_app.pages.benchmark import clicked_hospital
from services.core.actor import Actor, Role
from tests.dash.test_figures import _rows

ANALYST = Actor(subject="t", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")
VIEWER = Actor(subject="t", roles=frozenset({Role.HOSPITAL_VIEWER}), province="330000", hospital_id=7)


def _click(customdata: object) -> dict:
    return {"points": [{"curveNumber": 5, "pointIndex": 0, "customdata": customdata}]}


def test_figures_send_hospital_ids_as_plain_lists_that_clicks_can_carry() -> None:
    rows, summary = _rows()
    for fig in (figures.funnel_figure(rows, summary), figures.dot_plot(rows, summary)):
        sent = json.loads(pio.to_json(fig))
        ids = [c for t in sent["data"] if "customdata" in t for c in t["customdata"]]
        assert sorted(ids) == sorted(r["hospital_id"] for r in rows)  # not {"dtype": …, "bdata": …}


def test_a_click_on_a_hospital_point_names_it() -> None:
    assert clicked_hospital(_click(12), ANALYST) == 12


def test_a_click_on_a_limit_line_or_nothing_opens_nothing() -> None:
    assert clicked_hospital({"points": [{"curveNumber": 0, "pointIndex": 3}]}, ANALYST) is None
    assert clicked_hospital(None, ANALYST) is None
    assert clicked_hospital(_click({"dtype": "i4"}), ANALYST) is None


def test_a_hospital_user_opens_only_its_own_hospital() -> None:
    assert clicked_hospital(_click(7), VIEWER) == 7
    assert clicked_hospital(_click(8), VIEWER) is None

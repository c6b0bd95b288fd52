"""Placeholder (being written)."""

from __future__ import annotations

from dash import Dash, html


def render(actor, lang: str, params: dict, rest: str) -> html.Div:  # noqa: ANN001
    return html.Div("benchmark")


def register(app: Dash) -> None:
    return None

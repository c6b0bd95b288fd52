"""Page registry and router. Each page module exposes ``render(actor, lang, params, rest)`` and
``register(app)``; who may open it is decided here from the server-side actor, and again by the
services each page calls (an out-of-scope id answers like a missing one)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from dash import Dash, html

from dash_app import i18n
from dash_app.pages.common import error_box, message
from services.core.actor import Actor
from services.core.errors import DomainError
from services.identity.permissions import can


@dataclass(frozen=True)
class Page:
    path: str  # exact path, or a prefix ending in "/" that takes one id (e.g. "/hospital/")
    module: str
    nav_key: str
    allowed: Callable[[Actor], bool]
    in_nav: bool = True  # the inbox is reached from the header's unread count instead


def _staff(actor: Actor) -> bool:
    return actor.hospital_id is None


PAGES = (
    Page(
        "/national", "national", "nav.national", lambda a: a.is_national and can(a, "rollup.read") is not None
    ),
    Page(
        "/province", "province", "nav.province", lambda a: _staff(a) and can(a, "submission.read") is not None
    ),
    Page("/benchmark", "benchmark", "nav.benchmark", lambda a: can(a, "benchmark.read") is not None),
    Page("/hospital/", "hospital", "nav.hospital", lambda a: can(a, "benchmark.read") is not None),
    Page("/submit", "submission", "nav.submit", lambda a: can(a, "submission.write") is not None),
    Page("/review", "review", "nav.review", lambda a: can(a, "review.decide") is not None),
    Page("/admin", "admin", "nav.admin", lambda a: _staff(a) and can(a, "window.manage") is not None),
    Page("/catalog", "catalog", "nav.catalog", lambda a: can(a, "catalog.read") is not None),
    Page("/inbox", "inbox", "nav.inbox", lambda a: True, in_nav=False),
)


def _module(page: Page):  # noqa: ANN202
    return importlib.import_module(f"dash_app.pages.{page.module}")


def landing_path(actor: Actor) -> str:
    if actor.hospital_id is not None:
        return f"/hospital/{actor.hospital_id}"
    if actor.is_national:
        return "/national"
    return "/province"


def nav_items(actor: Actor) -> list[tuple[str, str]]:
    items = []
    for page in PAGES:
        if not page.allowed(actor) or not page.in_nav:
            continue
        if page.path == "/hospital/":
            if actor.hospital_id is not None:
                items.append((page.nav_key, f"/hospital/{actor.hospital_id}"))
            continue
        items.append((page.nav_key, page.path))
    return items


def find(path: str) -> tuple[Page | None, str]:
    for page in PAGES:
        if page.path.endswith("/") and path.startswith(page.path):
            return page, path.removeprefix(page.path).strip("/")
        if path.rstrip("/") == page.path.rstrip("/"):  # "/hospital": the page without an id
            return page, ""
    return None, ""


def render(path: str, params: dict, actor: Actor, lang: str) -> html.Div:
    page, rest = find(landing_path(actor) if path in ("", "/") else path)
    if page is None:
        return message(i18n.t("error.not_found", lang))
    if not page.allowed(actor):
        return message(i18n.t("error.forbidden", lang))
    try:
        return _module(page).render(actor, lang, params, rest)
    except DomainError as exc:
        return error_box(exc, lang)


def register_callbacks(app: Dash) -> None:
    for page in PAGES:
        _module(page).register(app)

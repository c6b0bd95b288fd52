"""axe-core (npm axe-core 4.14, tests/a11y/package-lock.json, installed by ./dev test) run inside
headless Chromium on a page as the user sees it: WCAG 2.0/2.1 A and AA rules, the level GB/T
37668-2019 asks of public web systems."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(tab, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:  # noqa: ANN001
    """axe's violations of the page as it is now, at the given impacts, each with the elements hit.

    The script goes in through the DevTools protocol (page.evaluate), which the pages' CSP does not
    govern, so no page is loosened for the test."""
    tab.evaluate(axe_source())
    result = tab.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_AA,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:10],
            "count": len(v["nodes"]),
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def summary(found: list[dict]) -> str:
    return "\n".join(f"{v['impact']} {v['id']} ×{v['count']}: {v['help']} {v['nodes'][:3]}" for v in found)

"""docs/guide/ stays true to the dashboards: every label it prints in bold is text the pages show,
every picture it shows is one the browser tests take (tests/dash/test_guide_screenshots.py), and
every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
ROLES = [
    "provincial-admin",
    "provincial-analyst",
    "specialty-qc",
    "hospital-submitter",
    "hospital-viewer",
    "national",
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _ui_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "dash_app").rglob("*.py"))


def test_there_is_a_page_per_role_and_an_index_linking_them() -> None:
    assert {p.stem for p in PAGES} == {"index", *ROLES}
    index = (GUIDE / "index.md").read_text(encoding="utf-8")
    assert all(f"({role}.md)" in index for role in ROLES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_bold_chinese_label_is_shown_by_the_dashboards(page: Path) -> None:
    ui = _ui_text()
    labels = {b for b in re.findall(r"\*\*(.+?)\*\*", page.read_text(encoding="utf-8")) if CJK.search(b)}
    missing = sorted(label for label in labels if label not in ui)
    assert not missing, f"{page.name} names labels no dashboard page shows: {missing}"


def _shots_taken() -> set[str]:
    source = (ROOT / "tests" / "dash" / "test_guide_screenshots.py").read_text(encoding="utf-8")
    return set(re.findall(r'guide_shot\(\w+, "([\w-]+)"', source))


def test_every_picture_is_taken_by_a_browser_test_and_shown_by_a_page() -> None:
    shown = {
        Path(target).stem
        for page in PAGES
        for target in re.findall(r"!\[[^\]]*\]\((img/[\w-]+\.png)\)", page.read_text(encoding="utf-8"))
    }
    committed = {p.stem for p in (GUIDE / "img").glob("*.png")}
    assert shown == committed == _shots_taken()


@pytest.mark.parametrize("page", [*PAGES, ROOT / "docs" / "integration.md"], ids=lambda p: p.stem)
def test_links_resolve_inside_docs(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        resolved = (page.parent / target).resolve()
        assert resolved.is_file(), f"{page.name} links to missing {target}"
        assert (ROOT / "docs") in resolved.parents, f"{page.name} links outside docs/: {target}"

"""The catalog page in Chinese and English: lineage kinds and comparability in the session's
language (never English in the Chinese page), the current revision with its reason and history,
core strategies, verification marks, withdrawn indicators, pending goals and unknown destinations.
Rendered from the same data functions the page uses (no browser)."""

from __future__ import annotations

from dash_app import data, i18n
from dash_app.pages import catalog as page
from services.core.actor import Actor, Role

ANALYST = Actor(subject="t", roles=frozenset({Role.PROVINCIAL_ANALYST}), province="330000")


def text_of(component) -> str:  # noqa: ANN001
    """Every string inside a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    children = getattr(component, "children", None)
    if children is None:
        return ""
    if not isinstance(children, list | tuple):
        children = [children]
    return " ".join(text_of(c) for c in children)


def test_kinds_and_comparability_are_chinese_in_the_chinese_page():
    diff = {
        "from_year": 2022,
        "to_year": 2023,
        "changes": [
            {
                "from_code": "NIT-2022-IX",
                "to_code": "NIT-2023-VI",
                "from_title": "a",
                "to_title": "b",
                "kinds": ["renumbered", "redefined"],
                "comparability": "not_comparable",
                "reason": "理由",
                "reason_en": "reason",
            }
        ],
    }
    zh = page.diff_rows(diff, "zh")[0]
    assert (zh["kinds"], zh["comparability"]) == ("调整序号、重新定义", "不可比")
    en = page.diff_rows(diff, "en")[0]
    assert (en["kinds"], en["comparability"]) == ("renumbered, redefined", "not comparable")
    for kind in (
        "continued",
        "moved_to_specialty",
        "moved_to_national",
        "split",
        "merged",
        "reinstated",
        "new",
    ):
        assert not i18n.lineage_kinds([kind], "zh").isascii()


def test_a_revised_year_shows_revision_reason_history_marks_and_sources(demo_database):
    catalog = data.catalog(demo_database, ANALYST, 2022)
    assert catalog["revision"] >= 2
    zh = text_of(page.goals_view(catalog, "zh"))
    assert f"第 {catalog['revision']} 版" in zh and "修订原因" in zh and "版本记录" in zh
    assert "核实：" in zh and "来源：" in zh and "引用文件" in zh
    en = text_of(page.goals_view(catalog, "en"))
    assert f"revision {catalog['revision']}" in en and "Verification: " in en
    labels = data.catalog_year_labels(demo_database, ANALYST, "zh")
    assert labels[2022] == f"2022（第 {catalog['revision']} 版）"


def test_core_strategies_withdrawn_pending_and_unknown_destinations_are_shown():
    catalog = {
        "title": "t",
        "source": "s",
        "revision": 2,
        "revision_reason": "更正",
        "revision_reason_en": "fix",
        "revisions": [],
        "sources": [],
        "pending": ["PIT-2023-37"],
        "retired": [
            {
                "from_code": "NIT-2023-IX",
                "to_code": None,
                "kinds": ["moved_to_specialty"],
                "destination": None,
            }
        ],
        "withdrawn": [
            {
                "code": "NIT-2022-IX.4",
                "name": "旧",
                "name_en": "old",
                "withdrawn_revision": 2,
                "replaced_by": ["NIT-2022-IX.5"],
                "withdrawn_reason": "定义有误",
                "withdrawn_reason_en": "wrong",
            }
        ],
        "goals": [
            {
                "code": "NIT-2024-I",
                "code_as_published": "目标一",
                "code_inferred": True,
                "title": "标题",
                "title_en": "title",
                "summary": "简述",
                "verification": "verified",
                "sources": ["nhc-2024"],
                "core_strategies": ["策略一", "策略二"],
                "indicators": [],
            }
        ],
    }
    zh = text_of(page.goals_view(catalog, "zh"))
    assert "核心策略" in zh and "策略二" in zh and "代码为推断" in zh and "核实：已核实" in zh
    assert "第 2 版撤销" in zh and "改用 NIT-2022-IX.5" in zh and "定义有误" in zh
    assert "待定" in zh and "PIT-2023-37" in zh
    assert "调至专业目标（去向待定）：NIT-2023-IX" in zh

"""The pages' pure helpers (no server, no browser): the one number rule, stored values in Chinese,
catalog citations without file names, catalog search, the correction preview, the benchmark's
breadcrumb round trip."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from dash_app import i18n, numbers
from dash_app.pages import benchmark, catalog, hospital, submission


def test_one_number_rule_for_rates_percentages_and_changes() -> None:
    assert numbers.rate(12.345, "%") == "12.35%"  # % sticks to the number
    assert numbers.rate(3.2, "‰") == "3.20 ‰"
    assert numbers.rate(None, "%") == "—" and numbers.rate(float("nan"), "%") == "—"
    assert numbers.share(0.875) == "87.50%"  # completeness: the same two decimals as a rate
    assert numbers.signed(-3.284) == "−3.28" and numbers.signed(0.001) == "0.00"
    assert numbers.count(12345) == "12,345"
    assert numbers.D3_RATE == ".2f"


def test_stored_values_read_in_chinese() -> None:
    assert i18n.enum("status", "submitted") == "已提交"
    assert i18n.enum("action", "correct") == "更正" and i18n.enum("action", "correct", "en") == "corrected"
    assert i18n.enum("comparability", "comparable") == "可比"
    assert i18n.enum("limits", "exact_binomial") == "精确二项分布"
    assert i18n.enum("limits", "arcsine_overdispersed") == "反正弦变换，校正过度离散"
    assert i18n.enum("status", None) == "—" and i18n.enum("status", "unheard_of") == "unheard_of"


def test_catalog_citation_keeps_the_words_and_drops_file_names() -> None:
    source = "国卫办医政函〔2024〕40 号 附件1（附件正文未读到；据解读推导，见 sources/README.md）"
    assert catalog.public(source) == "国卫办医政函〔2024〕40 号 附件1（附件正文未读到；据解读推导）"
    assert catalog.public("《目标》附件1（种子文件 000_81c3603200bbeb54.txt）") == "《目标》附件1"
    assert catalog.public(None) == ""


GOALS = [
    {
        "code": "NIT-2024-I",
        "code_as_published": "目标一",
        "title": "提高静脉血栓栓塞症规范预防率",
        "title_en": "VTE prophylaxis",
        "indicators": [{"code": "NIT-2024-I.1", "name": "甲", "name_en": "a"}],
    },
    {
        "code": "NIT-2024-II",
        "code_as_published": "目标二",
        "title": "乙",
        "title_en": "b",
        "indicators": [
            {"code": "NIT-2024-II.1", "name": "静脉血栓风险评估率", "name_en": "VTE risk"},
            {"code": "NIT-2024-II.2", "name": "丙", "name_en": "c"},
        ],
    },
]


def test_catalog_search_keeps_matching_goals_whole_and_only_matching_indicators() -> None:
    found = catalog.search_goals(GOALS, "静脉血栓")
    assert [g["code"] for g in found] == ["NIT-2024-I", "NIT-2024-II"]
    assert len(found[0]["indicators"]) == 1  # the goal matched: all its indicators
    assert [i["code"] for i in found[1]["indicators"]] == ["NIT-2024-II.1"]  # only the one that matched
    assert [g["code"] for g in catalog.search_goals(GOALS, "vte risk")] == [
        "NIT-2024-II"
    ]  # English, any case
    assert catalog.search_goals(GOALS, "无此项") == [] and catalog.search_goals(GOALS, " ") == GOALS


def test_correction_preview_lists_changed_and_added_values_only() -> None:
    recorded = {"A.1": [5, 10], "A.2": [1, 2]}
    values = [
        {"indicator": "A.1", "numerator": 6, "denominator": 10},
        {"indicator": "A.2", "numerator": 1, "denominator": 2},
        {"indicator": "A.3", "numerator": 0, "denominator": 4},
    ]
    assert submission.changes(recorded, values) == [
        {"indicator": "A.1", "before": "5/10", "after": "6/10"},
        {"indicator": "A.3", "before": "—", "after": "0/4"},
    ]


def test_breadcrumb_leads_back_to_the_same_benchmark_filters_only() -> None:
    filters = {
        "quarter": "2023Q4",
        "scope": "province:330000",
        "indicator": "NIT-2023-II.1",
        "goals": "all",
        "prefecture": "330100",
    }
    href = benchmark.drill_href(7, filters)
    assert href.startswith("/dash/hospital/7?quarter=2023Q4&")
    params = {k: v[0] for k, v in parse_qs(urlparse(href).query).items()}
    nav = hospital.breadcrumb(params, "甲医院", "zh")
    back = nav.children[0].href
    assert back.startswith("/dash/benchmark?")
    kept = {k: v[0] for k, v in parse_qs(urlparse(back).query).items()}
    assert kept == {k: v for k, v in filters.items() if k != "goals"}  # "all" is the default
    # only the benchmark's own filter names pass; the link never leaves the benchmark page
    forged = hospital.breadcrumb({"from": "next=https://evil.example&quarter=2023Q1"}, "甲", "zh")
    assert forged.children[0].href == "/dash/benchmark?quarter=2023Q1"
    assert hospital.breadcrumb({}, "甲", "zh") is None

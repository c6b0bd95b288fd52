"""The 2024–2026 catalogs say what the copied sources say, and mark what no source says.

Reads only the repository's copies (services/catalog/data/sources/), nothing outside the repository. The YAML is read
as data here (not validated): validation of these files needs the 2022/2023 revisions before them and
is covered by the shipped-manifest tests.
"""

from __future__ import annotations

import re

import pytest
import yaml

from services.catalog.publish import DATA_DIR

SOURCES = DATA_DIR / "sources"
ROMAN = "I II III IV V VI VII VIII IX X".split()
CHINESE = "一二三四五六七八九十"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def load(year: int) -> dict:
    return yaml.safe_load((DATA_DIR / f"catalog-{year}.yaml").read_text(encoding="utf-8"))


def source_text(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


def goals(year: int) -> list[dict]:
    return load(year)["goals"]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_ten_national_goals_with_inferred_codes_in_order(year):
    gs = goals(year)
    assert [g["code"] for g in gs] == [f"NIT-{year}-{r}" for r in ROMAN]
    assert [g["number"] for g in gs] == list(range(1, 11))
    assert [g["code_as_published"] for g in gs] == [f"目标{c}" for c in CHINESE]
    assert all(g["code_inferred"] is True for g in gs)
    assert {g["list"] for g in gs} == {"national"}


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_unread_summaries_are_empty_and_marked_unverified(year):
    for g in goals(year):
        assert g["summary"] == "", g["code"]
        assert g["verification"] == "unverified", g["code"]
        assert "core_strategies" not in g, g["code"]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_specialty_lists_are_pending(year):
    assert load(year)["specialty_list"] == "pending"


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_directions_follow_the_title_verb(year):
    for g in goals(year):
        expected = "lower" if g["title"].startswith(("降低", "缩短")) else "higher"
        assert g["title"].startswith(("提高", "降低", "缩短")), g["title"]
        assert g["direction"] == expected, g["code"]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_unverified_indicators_say_why(year):
    for g in goals(year):
        for ind in g["indicators"]:
            if ind["verification"] == "unverified":
                assert ind.get("note"), ind["code"]
            else:
                assert ind.get("sources"), ind["code"]


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_source_file_exists_and_starts_with_its_url(year):
    for sid, src in load(year)["sources"].items():
        if "file" not in src:
            continue
        path = DATA_DIR / src["file"]
        assert path.exists(), (sid, src["file"])
        head = path.read_text(encoding="utf-8").splitlines()[0]
        if src["file"].startswith("sources/seed-"):
            continue  # the seeds are described in README-seeds.md
        assert head.startswith("URL") or head.startswith("Secondary"), (sid, head)


def test_2024_notice_number_and_date_are_as_read():
    text = source_text("nit-2024-notice.txt")
    assert "国卫办医政函〔2024〕40号" in text
    assert "2024年2月1日" in text
    src = load(2024)["sources"]["nhc-2024-notice"]
    assert src["document_no"] == "国卫办医政函〔2024〕40号"
    assert src["date"] == "2024-02-01"


def test_2024_keeps_eight_adds_two_and_moves_two_as_the_jiedu_says():
    jiedu = squash(source_text("nit-2024-jiedu.txt"))
    assert (
        "保留了2023年8项目标,新增了2项目标,调出的2项目标作为各专业质控工作改进目标继续推进"
        in jiedu.replace("，", ",")
    )
    gs = goals(2024)
    from_2023 = [g for g in gs if any(e.get("from", "").startswith("NIT-2023-") for e in g["lineage"])]
    added = [g for g in gs if g not in from_2023]
    assert len(from_2023) == 8
    assert len(added) == 2
    moved = load(2024)["retired"]["goals"]
    assert len(moved) == 2
    assert all(m["moved_to_specialty"] is True and m["destination"] is None for m in moved)
    assert {m["code"] for m in moved} == {"NIT-2023-IV", "NIT-2023-X"}


def test_2024_choice_not_backed_by_any_text_is_marked_unverified():
    # Which of 2023 goals I / IV / X stayed in 2024 is read nowhere: all three facts are unverified.
    gs = {g["code"]: g for g in goals(2024)}
    assert gs["NIT-2024-I"]["lineage"][0]["verification"] == "unverified"
    for m in load(2024)["retired"]["goals"]:
        assert m["verification"] == "unverified"


def test_2024_titles_are_verbatim_from_the_2023_seed_or_the_2025_list():
    seed = squash(source_text("seed-2023-nit-pit.txt"))
    seed_2022 = squash(source_text("seed-2022-nit.txt"))
    list_2025 = squash(source_text("nit-2025-goal-list.txt"))
    for g in goals(2024):
        title = squash(g["title"])
        assert title in seed or title in list_2025, g["code"]
        if any(e.get("from", "").startswith("NIT-2023-") for e in g["lineage"]):
            assert title in seed, g["code"]
        else:
            assert title in list_2025, g["code"]
    reinstated = [g for g in goals(2024) if any("reinstated" in e["kinds"] for e in g["lineage"])]
    assert [g["lineage"][0]["from"] for g in reinstated] == ["NIT-2022-VIII"]
    assert squash(reinstated[0]["title"]) in seed_2022


def test_2025_titles_and_numbers_are_those_of_the_list_read():
    listed = {}
    for line in source_text("nit-2025-goal-list.txt").splitlines():
        m = re.match(r"^目标([一二三四五六七八九十])(.+)$", line.strip())
        if m:
            listed[CHINESE.index(m.group(1)) + 1] = squash(m.group(2))
    assert sorted(listed) == list(range(1, 11))
    for g in goals(2025):
        assert squash(g["title"]) == listed[g["number"]], g["code"]


def test_2025_notice_number_and_date_are_as_read():
    text = source_text("nit-2025-notice.txt")
    assert "国卫办医政函〔2025〕106号" in text
    assert "2025年3月18日" in text
    src = load(2025)["sources"]["nhc-2025-notice"]
    assert (src["document_no"], src["date"]) == ("国卫办医政函〔2025〕106号", "2025-03-18")


def test_2025_adds_only_the_mutual_recognition_goal():
    jiedu = source_text("nit-2025-jiedu.txt")
    assert "本年度將“提高醫療機構檢查檢驗結果互認率”納入國家醫療質量安全改進目標" in jiedu
    new = [g for g in goals(2025) if any("new" in e["kinds"] for e in g["lineage"])]
    assert [g["title"] for g in new] == ["提高医疗机构检查检验结果互认率"]
    # The 解读 was read only in traditional characters: the edge is inferred, not verified.
    assert new[0]["lineage"][0]["verification"] == "inferred"
    retired = load(2025)["retired"]["goals"]
    assert [r["code"] for r in retired] == ["NIT-2024-I"]
    assert retired[0]["verification"] == "unverified"


def test_2026_adjusts_goals_one_and_two_as_xinhua_reports():
    news = squash(source_text("news-2026-xinhua.txt"))
    gs = {g["code"]: g for g in goals(2026)}
    for code, old_code in (("NIT-2026-I", "NIT-2025-I"), ("NIT-2026-II", "NIT-2025-II")):
        g = gs[code]
        old = next(x for x in goals(2025) if x["code"] == old_code)
        assert f"将“{squash(old['title'])}”调整为“{squash(g['title'])}”" in news
        edge = g["lineage"][0]
        assert edge["from"] == old_code
        assert "redefined" in edge["kinds"]
        assert edge["comparability"] == "not_comparable"
    assert "对2025年两项目标进行调整" in news
    assert "45个专业" in news
    unchanged = [g for g in goals(2026) if g["code"] not in ("NIT-2026-I", "NIT-2026-II")]
    titles_2025 = {g["number"]: g["title"] for g in goals(2025)}
    for g in unchanged:
        assert g["title"] == titles_2025[g["number"]]
        assert g["lineage"][0]["kinds"] == ["continued"]
        assert g["lineage"][0]["verification"] == "inferred"

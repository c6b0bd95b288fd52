"""The 2021 catalog and the 2022/2023 r2 definitions state what the copied sources say.

Reads only the repository's copies (services/catalog/data/sources/…), never the network. Each test names
the source text it checks against; a definition that no copy supports must carry verification
``inferred`` or ``unverified``, never ``verified``.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
import yaml

from tests.services.catalog.support import DATA_DIR, SEED_2023, squash

SOURCES = DATA_DIR / "sources"
FILE_2021 = DATA_DIR / "catalog-2021.yaml"
FILE_2022_R2 = DATA_DIR / "catalog-2022.r2.yaml"
FILE_2023_R2 = DATA_DIR / "catalog-2023.r2.yaml"
ROMAN = "I II III IV V VI VII VIII IX X".split()


@cache
def doc(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def source(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


def indicators(path) -> dict[str, dict]:
    return {i["code"]: i for g in doc(path)["goals"] for i in g["indicators"]}


def goals(path) -> dict[str, dict]:
    return {g["code"]: g for g in doc(path)["goals"]}


# ---------------------------------------------------------------- 2021


def titles_in(text: str) -> list[str]:
    return [squash(m) for m in re.findall(r"^目标[一二三四五六七八九十]+\s*(.+)$", text, flags=re.M)]


def test_2021_titles_are_the_ten_titles_of_both_reposts_in_order():
    shhl = titles_in(source("nit-2021.txt"))
    assert len(shhl) == 10
    preface = source("nit-2021-book-preface.txt")
    listed = preface[preface.index("具体包括:") + len("具体包括:") :].split("。")[0].split(";")
    assert [squash(t) for t in listed] == shhl
    assert [squash(g["title"]) for g in doc(FILE_2021)["goals"]] == shhl


def test_2021_codes_are_inferred_from_the_order_and_nothing_unread_is_claimed():
    gs = doc(FILE_2021)["goals"]
    assert [g["code"] for g in gs] == [f"NIT-2021-{r}" for r in ROMAN]
    assert all(g["code_inferred"] for g in gs)
    # the 目标简述 were not found: empty summary, goal unverified; indicators are working definitions
    assert all(g["summary"] == "" and g["verification"] == "unverified" for g in gs)
    assert {i["verification"] for i in indicators(FILE_2021).values()} == {"unverified"}
    assert "2021 年2 月9 日" in source("nit-2021.txt")


def test_2021_goals_vi_and_ix_leave_for_specialty_lists_with_unknown_destination():
    said = squash(source("people-2022-nit-report.txt"))
    assert "有8项继续作为2022年目标,其余2项作为各专业质控工作改进目标继续推进" in said
    retired = {r["code"]: r for r in doc(FILE_2022_R2)["retired"]["goals"]}
    assert set(retired) == {"NIT-2021-VI", "NIT-2021-IX"}
    for r in retired.values():
        assert r["moved_to_specialty"] is True and r["destination"] is None
        assert r["verification"] == "verified" and r["sources"] == ["people-2022"]
    # the other eight 2022 goals come from a 2021 goal; VI and VIII are the two new ones
    edges = {g["code"]: g["lineage"][0] for g in doc(FILE_2022_R2)["goals"]}
    assert {c for c, e in edges.items() if e["kinds"] == ["new"]} == {"NIT-2022-VI", "NIT-2022-VIII"}
    assert "新增了“感染性休克集束化治疗完成率、非计划重返手术室再手术率”2个" in said
    assert edges["NIT-2022-IX"]["from"] == "NIT-2021-VIII"


def test_2022_has_a_specialty_list_that_is_not_loaded():
    assert "本专业2022年质控工作改进目标" in squash(source("nhc-2022-notice.txt"))
    assert doc(FILE_2022_R2)["specialty_list"] == "pending"


# ---------------------------------------------------------------- definitions a reviewer doubted


def test_septic_shock_bundles_count_patients_diagnosed_on_icu_admission():
    icu = squash(source("icu-indicators-2015.txt"))
    assert "入ICU诊断为感染性休克并全部完成3hbundle的患者数占同期入ICU诊断为感染性休克患者总数的比例" in icu
    assert "不包括住ICU期间后续新发生的感染性休克病例" in icu
    for path, code in [(FILE_2022_R2, "NIT-2022-VI.2"), (FILE_2023_R2, "NIT-2023-VIII.1")]:
        i = indicators(path)[code]
        assert i["verification"] == "verified" and i["sources"] == ["icu-indicators-2015"]
        assert "入ICU诊断为感染性休克" in squash(i["denominator"])
        assert "不包括住ICU期间后续新发生的感染性休克病例" in squash(i["denominator"])
    # the 6h bundle (only its heading was read) and the 1h bundle (no national definition) are not verified
    assert indicators(FILE_2023_R2)["NIT-2023-VIII.2"]["verification"] == "inferred"
    assert indicators(FILE_2022_R2)["NIT-2022-VI.1"]["verification"] == "inferred"
    assert "入ICU诊断为感染性休克" in squash(indicators(FILE_2022_R2)["NIT-2022-VI.1"]["denominator"])


def test_emergency_stay_is_labelled_as_a_mean_not_the_national_median():
    ed = squash(source("emergency-indicators-2015.txt"))
    assert "抢救室滞留时间中位数" in ed and "(不包括死亡患者)" in ed
    i = indicators(FILE_2023_R2)["PIT-2023-18.1"]
    assert i["kind"] == "ratio" and i["unit"] == "小时"
    assert "均值" in i["name"] and "非国家中位数" in i["name"]
    assert "中位数" in i["note"]
    assert "不包括死亡患者" in i["numerator"] and "不包括死亡患者" in i["denominator"]
    assert i["verification"] == "inferred"


def test_cpr_success_counts_episodes_of_sustained_rosc_and_says_it_was_not_read():
    i = indicators(FILE_2023_R2)["PIT-2023-17.1"]
    assert "例次" in i["numerator"] and "例次" in i["denominator"]
    assert "持续超过24小时" in squash(i["numerator"])
    # the 急诊 2015 copy stops after 指标四: the ROSC definition is not in it, so it cannot be verified
    assert "ROSC成功" not in source("emergency-indicators-2015.txt").split("---", 1)[1]
    assert i["verification"] == "unverified"


def test_unplanned_return_to_theatre_is_two_windows_over_discharged_surgical_patients():
    inds = indicators(FILE_2022_R2)
    assert "NIT-2022-VIII.1" not in inds
    withdrawn = {w["code"]: w for w in doc(FILE_2022_R2)["withdrawn"]}
    assert withdrawn["NIT-2022-VIII.1"]["replaced_by"] == ["NIT-2022-VIII.2", "NIT-2022-VIII.3"]
    assert "48 小时以内" in inds["NIT-2022-VIII.2"]["name"]
    assert "31 天以内" in inds["NIT-2022-VIII.3"]["name"]
    for code in ("NIT-2022-VIII.2", "NIT-2022-VIII.3"):
        assert "出院" in inds[code]["denominator"] and "手术" in inds[code]["denominator"]
        assert inds[code]["verification"] == "unverified"  # the national text was not read


def test_restricted_and_special_grade_testing_rates_are_kept_apart():
    abx = source("abx-specimen-targets-reposts.txt")
    assert "限制使用级抗菌药物治疗的住院患者使用抗菌药物前的微生物检验样本送检率" in abx
    assert "规定的50%" in abx and "规定的80.0%" in abx
    for path, old, new in [
        (FILE_2022_R2, "NIT-2022-IV.2", ["NIT-2022-IV.3", "NIT-2022-IV.4"]),
        (FILE_2023_R2, "PIT-2023-37.2", ["PIT-2023-37.4", "PIT-2023-37.5"]),
    ]:
        inds = indicators(path)
        assert old not in inds
        assert {w["code"]: w["replaced_by"] for w in doc(path)["withdrawn"]}[old] == new
        restricted, special = (inds[c] for c in new)
        assert restricted["name"].startswith("限制使用级") and special["name"].startswith("特殊使用级")
        assert "以上" not in restricted["name"] + special["name"]
        assert {restricted["verification"], special["verification"]} == {"inferred"}


def test_vte_has_a_risk_assessment_rate_over_all_discharges():
    for path, code, prophylaxis in [
        (FILE_2022_R2, "NIT-2022-V.2", "NIT-2022-V.1"),
        (FILE_2023_R2, "NIT-2023-IX.2", "NIT-2023-IX.1"),
    ]:
        inds = indicators(path)
        assert "风险评估率" in inds[code]["name"]
        assert inds[code]["denominator"] == "同期出院患者总数"
        assert prophylaxis in inds
    assert "评估质量、预防质量、结局质量三大类核心指标" in source("vte-quality-guideline-2022.txt")


def test_lung_transplant_one_year_survival_is_over_the_cohort_a_year_back():
    seed = squash(SEED_2023.read_text(encoding="utf-8"))
    assert "一年生存率是指术后一年内尚存活的肺移植患者数占同期同种" in seed
    i = indicators(FILE_2023_R2)["PIT-2023-08.1"]
    assert "队列" in i["denominator"] and "满1年" in squash(i["denominator"])
    assert "满1年" in squash(i["numerator"])


def test_counts_per_bed_day_are_rates():
    assert indicators(FILE_2023_R2)["NIT-2023-VI.2"]["kind"] == "rate"
    assert indicators(FILE_2023_R2)["NIT-2023-VI.4"]["kind"] == "rate"
    assert indicators(FILE_2022_R2)["NIT-2022-IX.3"]["kind"] == "rate"


# ---------------------------------------------------------------- every definition cited or marked


@pytest.mark.parametrize("path", [FILE_2021, FILE_2022_R2, FILE_2023_R2], ids=lambda p: p.name)
def test_every_indicator_is_cited_or_marked_and_cites_a_file_that_exists(path):
    d = doc(path)
    for i in indicators(path).values():
        assert i["verification"] in {"verified", "inferred", "unverified"}, i["code"]
        if i["verification"] != "unverified":
            assert i.get("sources"), i["code"]
        else:
            assert i.get("note"), i["code"]  # a working definition says so
        for s in i.get("sources", []):
            assert s in d["sources"], (i["code"], s)
    for sid, s in d["sources"].items():
        if "file" in s:
            assert (DATA_DIR / s["file"]).is_file(), sid


# ---------------------------------------------------------------- the shipped steps publish (database)


def test_shipped_steps_publish_2021_behind_2022_and_the_revisions(bare_owner_session):
    from services.catalog.publish import load_builtin_catalogs
    from services.catalog.queries import successor_of

    session = bare_owner_session
    results = load_builtin_catalogs(session, published_by="tests")
    assert [(r.year, r.revision, r.status) for r in results][:5] == [
        (2022, 1, "published"),
        (2023, 1, "published"),
        (2021, 1, "published"),
        (2022, 2, "published"),
        (2023, 2, "published"),
    ]
    assert successor_of(session, "NIT-2021-VIII.1", 2022) == ["NIT-2022-IX.1"]
    assert successor_of(session, "NIT-2022-VI.2", 2023) == ["NIT-2023-VIII.1"]
    assert successor_of(session, "NIT-2022-IV.3", 2023) == ["PIT-2023-37.4"]
    assert successor_of(session, "NIT-2022-V.2", 2023) == ["NIT-2023-IX.2"]

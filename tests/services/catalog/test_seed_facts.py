"""The shipped catalog files state what the seed documents say (read the seeds, not a summary)."""

from __future__ import annotations

import re

import pytest

from tests.services.catalog.support import (
    FILE_2022,
    FILE_2023,
    SEED_2022,
    SEED_2023,
    catalog_file,
    seed_table_columns,
    squash,
)

# Extraction artefacts corrected in catalog-2023.yaml (documented in its header): catalog → seed.
ARTEFACTS = {"掌握呼吸道传染病": "掌握呼呼吸道传染病"}


def goals(path):
    return {g.code: g for g in catalog_file(path).goals}


def indicators(path):
    return {i.code: i for g in catalog_file(path).goals for i in g.indicators}


def test_2022_has_ten_national_goals_with_fullwidth_published_codes():
    cat = catalog_file(FILE_2022)
    assert [g.code for g in cat.goals] == [f"NIT-2022-{r}" for r in "I II III IV V VI VII VIII IX X".split()]
    assert {g.list for g in cat.goals} == {"national"}
    published = [g.code_as_published for g in cat.goals]
    assert published == [f"NIT-2022-{r}" for r in "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"]
    seed = SEED_2022.read_text(encoding="utf-8")
    assert all(f"（{code}）" in seed for code in published)


def test_2023_has_ten_national_and_39_specialty_goals_and_40_centers():
    cat = catalog_file(FILE_2023)
    national = [g for g in cat.goals if g.list == "national"]
    specialty = [g for g in cat.goals if g.list == "specialty"]
    assert len(national) == 10
    assert [g.code for g in specialty] == [f"PIT-2023-{n:02d}" for n in range(1, 40)]
    assert len(cat.specialties) == 40
    assert [s.seq for s in cat.specialties] == list(range(1, 41))
    seed_codes = set(re.findall(r"PIT-2023-\d\d", SEED_2023.read_text(encoding="utf-8")))
    assert seed_codes == {g.code for g in specialty}


def test_specialty_names_are_verbatim_from_the_table():
    text = SEED_2023.read_text(encoding="utf-8")
    table = text[text.index("序号\t") :]
    seed_centers = {}
    for line in table.splitlines():
        m = re.match(r"^(\d+)\t([^\t]+)\t", line)
        if m:
            seed_centers[int(m.group(1))] = re.sub(r"<[^>]+>", "", m.group(2)).strip()
    cat = {s.seq: s.name for s in catalog_file(FILE_2023).specialties}
    assert cat == seed_centers
    assert {"病案管理专业", "脑损伤评价", "人体器官分配与共享计算机系统"} <= set(cat.values())


@pytest.mark.parametrize("path,seed", [(FILE_2022, SEED_2022), (FILE_2023, SEED_2023)])
def test_national_titles_and_summaries_are_verbatim(path, seed):
    text = squash(seed.read_text(encoding="utf-8"))
    for g in catalog_file(path).goals:
        if g.list == "national":
            assert squash(g.title) in text, g.code
            assert squash(g.summary) in text, g.code


def test_specialty_titles_and_summaries_are_verbatim_within_their_table_column():
    titles, summaries = seed_table_columns()
    for g in catalog_file(FILE_2023).goals:
        if g.list == "specialty":
            assert squash(g.title) in titles, g.code
            summary = g.summary
            for fixed, seed_form in ARTEFACTS.items():
                summary = summary.replace(fixed, seed_form)
            assert squash(summary) in summaries, g.code


def test_seed_spacing_is_kept():
    assert goals(FILE_2023)["NIT-2023-I"].title == "提高急性 ST 段抬高型心肌梗死再灌注治疗率"
    assert goals(FILE_2022)["NIT-2022-III"].title == "提高肿瘤治疗前临床 TNM 分期评估率"


@pytest.mark.parametrize(
    "path,code,direction",
    [
        (FILE_2022, "NIT-2022-VIII", "lower"),
        (FILE_2022, "NIT-2022-IX", "lower"),
        (FILE_2022, "NIT-2022-X", "lower"),
        (FILE_2022, "NIT-2022-I", "higher"),
        (FILE_2023, "NIT-2023-IV", "lower"),
        (FILE_2023, "NIT-2023-VI", "higher"),
        (FILE_2023, "NIT-2023-X", "lower"),
        (FILE_2023, "PIT-2023-18", "lower"),
        (FILE_2023, "PIT-2023-05", "lower"),
        (FILE_2023, "PIT-2023-39", "higher"),
    ],
)
def test_goal_direction_follows_the_title_verb(path, code, direction):
    assert goals(path)[code].direction == direction


def test_every_goal_direction_matches_its_verb():
    for path in (FILE_2022, FILE_2023):
        for g in goals(path).values():
            expected = "higher" if g.title.startswith("提高") else "lower"
            assert g.title[:2] in ("提高", "降低", "缩短"), g.code
            assert g.direction == expected, g.code


def _names(path, goal_code):
    return [(i.code, i.name, i.kind, i.direction) for i in goals(path)[goal_code].indicators]


def test_perioperative_mortality_has_three_time_windows():
    ind = goals(FILE_2023)["NIT-2023-IV"].indicators
    assert [i.code for i in ind] == ["NIT-2023-IV.1", "NIT-2023-IV.2", "NIT-2023-IV.3"]
    assert ["当日" in ind[0].name, "24 小时" in ind[1].name, "48 小时" in ind[2].name] == [True] * 3
    assert {(i.kind, i.direction) for i in ind} == {("proportion", "lower")}


def test_septic_shock_bundles_change_from_1h_3h_to_3h_6h():
    assert ["1 小时" in i.name for i in goals(FILE_2022)["NIT-2022-VI"].indicators] == [True, False]
    assert ["3 小时" in i.name for i in goals(FILE_2022)["NIT-2022-VI"].indicators] == [False, True]
    names = [i.name for i in goals(FILE_2023)["NIT-2023-VIII"].indicators]
    assert ["3 小时" in names[0], "6 小时" in names[1]] == [True, True]


def test_infusion_goal_2023_has_usage_rate_lower_and_three_per_bed_day_ratios():
    ind = {i.name: i for i in goals(FILE_2023)["NIT-2023-VI"].indicators}
    usage = ind["住院患者静脉输液使用率"]
    assert (usage.kind, usage.direction, usage.unit, usage.multiplier) == ("proportion", "lower", "%", 100)
    for name, unit in [
        ("每床日静脉输液使用频次", "次/床日"),
        ("每床日液体总量（毫升）", "毫升/床日"),
        ("每床日药品品种数量", "种/床日"),
    ]:
        assert (ind[name].kind, ind[name].unit, ind[name].multiplier, ind[name].direction) == (
            "ratio",
            unit,
            1,
            "lower",
        )


def test_infusion_goal_2022_models_usage_rate_plus_days_varieties_volume():
    ind = goals(FILE_2022)["NIT-2022-IX"].indicators
    assert ind[0].name == "住院患者静脉输液使用率"
    assert ["天数" in ind[1].name, "品种" in ind[2].name, "液体量" in ind[3].name] == [True] * 3
    assert {i.direction for i in ind} == {"lower"}


def test_reperfusion_definitions_carry_the_time_windows():
    i22 = indicators(FILE_2022)
    assert "12 小时" in i22["NIT-2022-I.1"].numerator and "PCI" in i22["NIT-2022-I.1"].numerator
    assert "6 小时" in i22["NIT-2022-II.1"].numerator and "血管内治疗" in i22["NIT-2022-II.1"].numerator


def test_two_quantity_specialty_goals_get_one_indicator_each():
    g = goals(FILE_2023)
    assert [i.name for i in g["PIT-2023-05"].indicators] == ["川崎病患儿心脏事件发生率", "川崎病相关死亡率"]
    assert [i.name for i in g["PIT-2023-10"].indicators] == [
        "呼吸道病原体核酸检测覆盖率",
        "呼吸道感染性疾病核酸检测百分比",
    ]
    assert [i.name for i in g["PIT-2023-13"].indicators] == [
        "全身骨扫描住院患者随访率",
        "¹⁸F-FDG PET/CT 住院患者随访率",
    ]


def test_catheter_infections_per_1000_catheter_days_and_ed_stay_is_a_mean():
    i = indicators(FILE_2023)
    assert (i["PIT-2023-15.1"].kind, i["PIT-2023-15.1"].unit, i["PIT-2023-15.1"].multiplier) == (
        "rate",
        "每千导管日",
        1000,
    )
    stay = i["PIT-2023-18.1"]
    assert (stay.kind, stay.unit, stay.multiplier, stay.direction) == ("ratio", "小时", 1, "lower")


def test_postpartum_haemorrhage_is_a_new_indicator_of_goal_x():
    x2 = indicators(FILE_2023)["NIT-2023-X.2"]
    assert "产后出血" in x2.name and x2.lineage[0].kinds == ["new"]
    assert "产后出血" in goals(FILE_2023)["NIT-2023-X"].summary


def test_rows_of_annex_2_that_point_at_national_goals_become_owners():
    text = SEED_2023.read_text(encoding="utf-8")
    table = text[text.index("序号\t") :]
    seed_owners: dict[str, set[str]] = {}
    center = None
    for line in table.splitlines():
        cells = line.split("\t")
        if re.match(r"^\d+$", cells[0]):
            center = re.sub(r"<[^>]+>", "", cells[1]).strip()
        m = re.search(r"\((NIT-2023-[IVX]+)\)", line)
        if m:
            seed_owners.setdefault(m.group(1), set()).add(center)
    # Six rows, six centers: 产科, 神经系统疾病, 心血管病, 药事管理, 肿瘤, 重症医学 (not seven).
    assert sum(len(v) for v in seed_owners.values()) == 6
    by_name = {s.code: s.name for s in catalog_file(FILE_2023).specialties}
    cat_owners = {
        g.code: {by_name[o] for o in g.owners}
        for g in catalog_file(FILE_2023).goals
        if g.list == "national" and g.owners
    }
    assert cat_owners == seed_owners


def test_every_specialty_goal_is_owned_by_its_table_row():
    text = SEED_2023.read_text(encoding="utf-8")
    table = text[text.index("序号\t") :]
    expected, center = {}, None
    for line in table.splitlines():
        cells = line.split("\t")
        if re.match(r"^\d+$", cells[0]):
            center = re.sub(r"<[^>]+>", "", cells[1]).strip()
        for code in re.findall(r"PIT-2023-\d\d", line):
            expected[code] = {center}
    by_name = {s.code: s.name for s in catalog_file(FILE_2023).specialties}
    actual = {
        g.code: {by_name[o] for o in g.owners} for g in catalog_file(FILE_2023).goals if g.list == "specialty"
    }
    assert actual == expected

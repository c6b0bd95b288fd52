"""Reasons in words stay accurate: numbers compared in one sentence never read alike (pure)."""

from __future__ import annotations

from services.benchmark.flag_reasons import digits_to_differ, early_warning_reason, limit_reason, q_words
from services.benchmark.queries import IndicatorInfo

RARE = IndicatorInfo(
    1,
    "NIT-2023-IV.1",
    "住院患者手术当日死亡率",
    "Same-day surgical mortality",
    "proportion",
    "%",
    100,
    "lower",
    1,
    "NIT-2023-IV",
    2023,
)
CLABSI = IndicatorInfo(
    2,
    "PIT-2023-15.1",
    "导管相关血流感染发生率",
    "CLABSI rate",
    "rate",
    "每千导管日",
    1000,
    "lower",
    2,
    "PIT-2023-15",
    2023,
)


def test_a_rare_rate_and_its_limit_are_shown_with_digits_enough_to_differ():
    zh, en = limit_reason("alert", RARE, rate=0.0024, limit=0.0016, target=0.0005, n=1250, rule="limits")
    assert "0.2%，高于 95% 控制限 0.2%" not in zh
    assert "0.24%，高于 95% 控制限 0.16%" in zh and "0.05%" in zh
    assert "0.24% is above the 95% control limit 0.16%" in en


def test_usual_digits_stay_when_they_already_differ():
    zh, _ = limit_reason("alarm", RARE, rate=0.30, limit=0.12, target=0.05, n=100)
    assert "30.0%，高于 99.8% 控制限 12.0%" in zh
    assert digits_to_differ(CLABSI, 0.010, 0.0042) == 2  # 10.00 vs 4.20 每千导管日


def test_a_q_value_never_reads_like_its_threshold():
    assert q_words(0.0499, 0.05) == "= 0.0499 < 0.05"
    assert q_words(0.00001, 0.002) == "< 0.0001 < 0.002"
    assert q_words(0.012, 0.05) == "= 0.012 < 0.05"


def test_fdr_words_name_the_rule_and_the_side():
    zh, en = limit_reason(
        "alert", CLABSI, rate=0.010, limit=0.0042, target=0.0015, n=2000, rule="fdr", q=0.004
    )
    assert "高于中心值 1.50 每千导管日" in zh and "q = 0.004 < 0.05" in zh and "错误发现率 fdr" in zh
    assert "above the centre" in en and "Rule: false discovery rate (fdr" in en


def test_early_warning_words_name_the_limit_the_alternative_and_the_restart():
    zh, en = early_warning_reason(
        CLABSI,
        statistic=5.61,
        h=5.0,
        ratio=2.0,
        since="2021Q1",
        quarters=12,
        observed=9,
        expected=4.04,
        source="baseline",
        restart=None,
    )
    assert zh.startswith("PIT-2023-15.1 导管相关血流感染发生率：风险调整 CUSUM 累积和 5.61 超过控制限 h = 5")
    assert "率比 2" in zh and "自 2021Q1 起 12 个季度" in zh and "期望 4.0" in zh and "同类医院基线率" in zh
    assert "归零" in zh
    assert "rate ratio 2" in en and "restarts at 0" in en and "peer-profile baseline" in en
    zh2, en2 = early_warning_reason(
        RARE,
        statistic=5.2,
        h=5.0,
        ratio=2.0,
        since="2023Q1",
        quarters=4,
        observed=3,
        expected=0.6,
        source="pooled",
        restart=("序列自 2023Q1 重新开始：口径变化。", "Series restarts in 2023Q1: redefined."),
    )
    assert "不良结局比值比 2" in zh2 and zh2.endswith("序列自 2023Q1 重新开始：口径变化。")
    assert "odds ratio 2 of the bad outcome" in en2 and en2.endswith("Series restarts in 2023Q1: redefined.")

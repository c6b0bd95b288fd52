"""`qcp stats funnel`: parsing, error messages and output shape (numbers come from stats.funnel)."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from platform_api.cli.stats import app
from services.benchmark.stats import funnel

COLUMNS = (
    "unit,numerator,denominator,rate,ci95_low,ci95_high,ci998_low,ci998_high,"
    "limit95_low,limit95_high,limit998_low,limit998_high,z,signal"
)
runner = CliRunner()


def _write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def _run(*args):
    return runner.invoke(app, ["funnel", *args])


GOOD = "unit,numerator,denominator\n甲医院,0,0\n乙医院,5,10\n丙医院,50,100\n丁医院,10,300\n戊医院,3,3\n"


def test_csv_output_has_exact_columns_and_one_row_per_unit(tmp_path):
    result = _run("--input", _write(tmp_path, GOOD), "--min-denominator", "5")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == COLUMNS
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["unit"] for r in rows] == ["甲医院", "乙医院", "丙医院", "丁医院", "戊医院"]
    assert rows[0]["rate"] == "" and rows[0]["signal"] == "insufficient"
    assert rows[4]["signal"] == "insufficient"  # n = 3 below --min-denominator 5
    assert rows[3]["signal"] == "worse_998"


def test_cli_uses_the_same_numbers_as_the_service(tmp_path):
    result = _run(
        "--input",
        _write(tmp_path, GOOD),
        "--format",
        "json",
        "--direction",
        "lower",
        "--target",
        "0.2",
        "--min-denominator",
        "1",
    )
    doc = json.loads(result.output)
    expected = funnel(
        ["甲医院", "乙医院", "丙医院", "丁医院", "戊医院"],
        [0, 5, 50, 10, 3],
        [0, 10, 100, 300, 3],
        target=0.2,
        direction="lower",
        min_denominator=1,
    )
    assert doc["target"] == 0.2 and doc["phi"] == pytest.approx(expected.phi) and "tau2" in doc
    assert [u["signal"] for u in doc["units"]] == list(expected.signal)
    assert doc["units"][1]["z"] == pytest.approx(expected.z[1])
    assert doc["units"][0]["rate"] is None and doc["units"][0]["numerator"] == 0
    assert list(doc["units"][0]) == COLUMNS.split(",")


def test_overdispersion_flag_is_passed_through(tmp_path):
    rows = "".join(f"u{i},{x},1000\n" for i, x in enumerate([50, 80, 120, 200, 260, 300, 90, 150, 40, 310]))
    result = _run(
        "--input",
        _write(tmp_path, "unit,numerator,denominator\n" + rows),
        "--overdispersion",
        "--format",
        "json",
    )
    doc = json.loads(result.output)
    assert doc["tau2"] > 0 and doc["overdispersion"] is True


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_accepts_utf8_with_or_without_bom_and_gb18030(tmp_path, encoding):
    result = _run("--input", _write(tmp_path, GOOD, encoding))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith("甲医院,0,0")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("unit,numerator\nA,1\n", ["第 1 行", "denominator", "row 1"]),
        (
            "unit,numerator,denominator\nA,1,10\nB,1.5,10\n",
            ["第 3 行 numerator 不是非负整数", "row 3: numerator"],
        ),
        ("unit,numerator,denominator\nA,-1,10\n", ["第 2 行 numerator 不是非负整数", "row 2"]),
        ("unit,numerator,denominator\nA,1,\n", ["第 2 行 denominator", "row 2: denominator"]),
        ("unit,numerator,denominator\nA,11,10\n", ["第 2 行 numerator (11) 大于 denominator (10)", "row 2"]),
        ("unit,numerator,denominator\nA,1,10\nA,2,10\n", ["第 3 行", "重复", "row 3"]),
        ("unit,numerator,denominator\n", ["没有数据行", "no data rows"]),
    ],
)
def test_bad_input_exits_2_naming_row_and_column_chinese_first(tmp_path, text, expected):
    result = _run("--input", _write(tmp_path, text))
    assert result.exit_code == 2
    message = result.stderr if hasattr(result, "stderr") else result.output
    for fragment in expected:
        assert fragment in message
    assert message.index(expected[0]) < message.index(" / ")  # Chinese first, then English


def test_rejects_target_outside_zero_one(tmp_path):
    result = _run("--input", _write(tmp_path, GOOD), "--target", "1.5")
    assert result.exit_code == 2
    assert "--target" in result.output


def test_missing_file_exits_2(tmp_path):
    result = _run("--input", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2


# --- rates, ratios, limits, q-values (issue 13) ---

RATES = "unit,numerator,denominator\n甲,0,800\n乙,1,10\n丙,9,2000\n丁,3,2500\n戊,2,1500\n"


def test_rate_funnel_scales_rate_limits_and_target_by_the_multiplier(tmp_path):
    result = _run(
        "--input", _write(tmp_path, RATES), "--measure", "rate", "--multiplier", "1000",
        "--direction", "lower", "--format", "json", "--target", "1.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    expected = funnel(
        ["甲", "乙", "丙", "丁", "戊"], [0, 1, 9, 3, 2], [800, 10, 2000, 2500, 1500],
        measure="rate", target=0.0015, direction="lower",
    )  # fmt: skip
    assert doc["target"] == pytest.approx(1.5) and doc["measure"] == "rate" and doc["multiplier"] == 1000
    assert doc["units"][2]["rate"] == pytest.approx(4.5)  # 9 in 2,000 catheter-days = 4.5‰
    assert doc["units"][2]["limit95_high"] == pytest.approx(expected.limit95_high[2] * 1000)
    assert [u["signal"] for u in doc["units"]] == list(expected.signal)
    assert doc["units"][2]["signal"] == "worse_95"


def test_rate_unit_option_applies_the_platform_minimum_exposure(tmp_path):
    result = _run(
        "--input", _write(tmp_path, RATES), "--measure", "rate", "--unit", "每千导管日",
        "--direction", "lower", "--multiplier", "1000", "--target", "1.5",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["signal"] for r in rows][:3] == [
        "insufficient",
        "insufficient",
        "worse_95",
    ]  # 1 in 10: not assessed
    assert rows[1]["rate"] == "100.0"  # shown (100‰), not flagged


RATIOS = "unit,observed,expected\nA,8,6.239860227\nB,0,240.6273499\nC,182,143.6804295\nD,119,140.9618574\n"


def test_ratio_funnel_reads_observed_expected_and_reproduces_phe(tmp_path):
    # significance from PHEindicatormethods testdata_funnel_ratio_inputs.csv (rows 2, 9, 24, 34)
    result = _run(
        "--input",
        _write(tmp_path, RATIOS),
        "--measure",
        "ratio",
        "--direction",
        "lower",
        "--limits",
        "normal",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["signal"] for r in rows] == ["none", "better_998", "worse_95", "none"]
    assert rows[0]["numerator"] == "8" and rows[0]["denominator"] == "6.239860227"
    assert float(rows[2]["rate"]) == pytest.approx(182 / 143.6804295)


def test_fdr_adds_a_q_column(tmp_path):
    result = _run("--input", _write(tmp_path, RATIOS), "--measure", "ratio", "--fdr", "--direction", "lower")
    lines = result.output.splitlines()
    assert lines[0] == COLUMNS + ",q"
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert float(rows[2]["q"]) < 0.05 and float(rows[1]["q"]) == pytest.approx(1.0)


def test_limits_normal_reproduces_the_old_proportion_output_and_exact_is_the_default(tmp_path):
    path = _write(tmp_path, "unit,numerator,denominator\na,1,300\nb,0,300\nc,0,300\n")
    exact = list(
        csv.DictReader(
            io.StringIO(_run("--input", path, "--direction", "lower", "--target", "0.0005").output)
        )
    )
    normal = list(
        csv.DictReader(
            io.StringIO(
                _run(
                    "--input", path, "--direction", "lower", "--target", "0.0005", "--limits", "normal"
                ).output
            )
        )
    )
    assert exact[0]["signal"] == "none" and normal[0]["signal"] == "worse_95"  # issue 13's one death in 300


def test_overdispersion_stays_off_unless_asked(tmp_path):
    rows = "".join(f"u{i},{x},1000\n" for i, x in enumerate([50, 80, 120, 200, 260, 300, 90, 150, 40, 310]))
    doc = json.loads(
        _run("--input", _write(tmp_path, "unit,numerator,denominator\n" + rows), "--format", "json").output
    )
    assert doc["tau2"] > 0 and doc["overdispersion"] is False and doc["overdispersion_beyond_chance"] is True


@pytest.mark.parametrize(
    ("measure", "text", "expected"),
    [
        ("rate", "unit,numerator,denominator\nA,-1,100\n", ["第 2 行 numerator 不是非负整数", "row 2"]),
        (
            "ratio",
            "unit,observed,expected\nA,3,2.5\nB,4,0\n",
            ["第 3 行 expected 必须是大于 0 的数", "row 3"],
        ),
        (
            "ratio",
            "unit,observed,expected\nA,3.5,2.5\n",
            ["第 2 行 observed 不是非负整数", "row 2: observed"],
        ),
        ("ratio", "unit,numerator,expected\nA,3,2.5\n", ["第 1 行缺少列 observed", "unit,observed,expected"]),
        ("rate", "unit,numerator,denominator\nA,3,abc\n", ["第 2 行 denominator 必须是非负数", "row 2"]),
    ],
)
def test_rate_and_ratio_input_errors_name_the_row(tmp_path, measure, text, expected):
    result = _run("--input", _write(tmp_path, text), "--measure", measure)
    assert result.exit_code == 2
    for fragment in expected:
        assert fragment in result.output


def test_help_lists_the_new_options():
    text = runner.invoke(app, ["funnel", "--help"], terminal_width=200).output
    for option in ("--measure", "--limits", "--multiplier", "--fdr", "--overdispersion", "--unit"):
        assert option in text


def test_direction_options_are_ordinary_strings():
    # A member named ``lower`` used to replace str.lower: ``.lower()`` raised "not callable" (mypy found it).
    from platform_api.cli.stats import DirectionOption

    assert [d.lower() for d in DirectionOption] == ["higher", "lower"]
    assert DirectionOption("lower").upper() == "LOWER"

"""bench/false_alarms.py runs at tiny scale and prints one table row per rule and world (not timed)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "false_alarms.py"


def _load():
    spec = importlib.util.spec_from_file_location("false_alarms", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script loads
    spec.loader.exec_module(module)
    return module


def test_simulation_table_has_one_row_per_rule_and_world(capsys):
    bench = _load()
    assert len(bench.indicators()) == 55
    assert bench.main(["--hospitals", "80", "--provinces", "1", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| rule")]
    names = [name for name, _, _ in bench.rules()]
    assert len(lines) == 2 * len(names)
    for world in ("no OD", "OD"):
        assert [line.split(" | ")[0][2:] for line in lines if line.split(" | ")[1] == world] == names


def test_simulation_is_reproducible_and_the_raw_decile_flags_about_a_tenth():
    bench = _load()
    first, second = (bench.simulate(120, 1, 11, od=False, planted_share=0.0) for _ in range(2))
    assert all(np.array_equal(first["totals"][k], second["totals"][k]) for k in first["totals"])
    raw_alerts = first["totals"]["worst decile, raw"][0] / first["null_hospitals"]
    assert 2.0 < raw_alerts < 8.0  # ~10% of ~50 assessed indicators, by construction

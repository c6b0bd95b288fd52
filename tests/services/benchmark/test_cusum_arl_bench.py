"""bench/cusum_arl.py runs at tiny scale and prints one table row per shape (not timed)."""

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "cusum_arl.py"


def _load():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("cusum_arl", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_arl_table_has_one_row_per_shape_and_doubling_is_found_sooner(capsys):
    bench = _load()
    assert bench.main(["--series", "60", "--quarters", "60", "--seed", "3"]) == 0
    rows = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "shape" not in line
    ]
    assert [r.split(" | ")[0][2:] for r in rows] == [s.label for s in bench.shapes()]
    assert all(len(r.split(" | ")) == 14 for r in rows)


def test_over_dispersion_adjustment_restores_the_in_control_run_length():
    import numpy as np

    bench = _load()
    shape = next(s for s in bench.shapes() if s.label.startswith("low 2%, large"))
    raw = bench.arl0(np.random.default_rng(1), shape, 300, 200, od=True)
    adjusted = bench.arl0(np.random.default_rng(1), shape, 300, 200, od=True, adjusted=True)
    assert raw[5.0] < 20 < 80 < adjusted[5.0]

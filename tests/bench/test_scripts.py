"""Every bench script answers --help (they are measurements, run by hand; see docs/performance.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = [
    "surge.py",
    "submit_inprocess.py",
    "pages.py",
    "memory.py",
    "load_national.py",
    "national_benchmark.py",
    "sizes.py",
    "partition_history.py",
    "bulk_upload.py",
]


def test_each_bench_script_prints_help() -> None:
    running = {
        name: subprocess.Popen(
            [sys.executable, str(BENCH / name), "--help"],
            cwd=BENCH.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in SCRIPTS
    }
    for name, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{name}: {err[-2000:]}"
        assert "usage:" in out, name

"""`qcp demo` stops the embedded PostgreSQL it runs on when it ends (Ctrl-C or --no-serve), while
other commands leave a running server running (the demo may be serving on it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

START = """
import sys
from services.core import runtime
if sys.argv[1] == "stop":
    runtime.stop_embedded_at_exit()
print(runtime.embedded_admin_uri())
"""


def _postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def _start(data_dir: Path, mode: str) -> None:
    env = {**os.environ, "QCP_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-c", START, mode], env=env, check=True, capture_output=True, timeout=120)


def test_the_demo_mode_stops_the_server_when_the_process_ends(tmp_path) -> None:
    _start(tmp_path, "stop")
    assert _postmaster_pid(tmp_path / "pgdata") is None


def test_other_commands_leave_the_server_running(tmp_path) -> None:
    _start(tmp_path, "keep")
    pid = _postmaster_pid(tmp_path / "pgdata")
    assert pid is not None and psutil.pid_exists(pid)
    _start(tmp_path, "stop")  # the demo joining a running server stops it when it ends
    deadline = time.monotonic() + 30
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(pid)

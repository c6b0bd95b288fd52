"""Peak memory of every process of a run: `bench/memory.py -- <command …>`.

Runs the command, polls /proc every ``--interval`` seconds for the command's process tree and for
the bench PostgreSQL server's processes, and prints per process its peak RSS (VmHWM, the kernel's
high-water mark) and the largest private anonymous memory seen (RssAnon). For PostgreSQL
backends VmHWM also counts the shared buffers the backend touched (shared memory appears in every
backend's RSS), so RssAnon is the better per-backend figure. Examples:

    .venv/bin/python bench/memory.py -- .venv/bin/python bench/load_national.py --rebuild
    .venv/bin/python bench/memory.py -- .venv/bin/python bench/surge.py
    .venv/bin/python bench/memory.py -- .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from common import postmaster_pid


@dataclass
class Peak:
    pid: int
    label: str
    hwm_kib: int = 0
    anon_kib: int = 0


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _kib(status: dict[str, str], key: str) -> int:
    value = status.get(key, "0 kB").split()
    return int(value[0]) if value else 0


def _parents() -> dict[int, int]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return out


def descendants(root: int, parents: dict[int, int] | None = None) -> list[int]:
    parents = parents if parents is not None else _parents()
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def label(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(a.decode(errors="replace") for a in args if a)
    if text.startswith("postgres:"):
        return "postgres " + " ".join(text.split()[1:3])
    if "uvicorn" in text:
        return "uvicorn master" if "--workers" in text else "uvicorn"
    if "multiprocessing" in text:
        return "uvicorn worker"
    if "chromium" in text:
        kind = next((a.split("=", 1)[1] for a in text.split() if a.startswith("--type=")), "browser")
        return f"chromium {kind}"
    return " ".join(Path(a).name if i == 0 else a for i, a in enumerate(text.split()[:3]))


class Sampler(threading.Thread):
    def __init__(self, roots: list[int], interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.roots, self.interval, self.peaks = roots, interval, {}
        self._halt = threading.Event()

    def sample(self) -> None:
        parents = _parents()
        for root in self.roots:
            for pid in descendants(root, parents):
                status = _status(pid)
                if not status:
                    continue
                peak = self.peaks.setdefault(pid, Peak(pid, label(pid)))
                peak.hwm_kib = max(peak.hwm_kib, _kib(status, "VmHWM"))
                peak.anon_kib = max(peak.anon_kib, _kib(status, "RssAnon"))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            time.sleep(self.interval)

    def stop(self) -> dict[int, Peak]:
        self._halt.set()
        self.join()
        return self.peaks


def report(peaks: dict[int, Peak], printer=print) -> None:  # noqa: ANN001
    groups: dict[str, list[Peak]] = {}
    for peak in peaks.values():
        groups.setdefault(peak.label, []).append(peak)
    printer(f"{'process':<38}{'count':>6}{'max VmHWM MiB':>15}{'max RssAnon MiB':>17}{'Σ RssAnon MiB':>15}")
    for name, items in sorted(groups.items(), key=lambda kv: -max(p.hwm_kib for p in kv[1])):
        printer(
            f"{name[:37]:<38}{len(items):>6}{max(p.hwm_kib for p in items) / 1024:>15.0f}"
            f"{max(p.anon_kib for p in items) / 1024:>17.0f}{sum(p.anon_kib for p in items) / 1024:>15.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between samples")
    parser.add_argument("command", nargs="+", help="the command to run (after --)")
    args = parser.parse_args(argv)
    process = subprocess.Popen(args.command)
    roots = [process.pid] + ([pm] if (pm := postmaster_pid()) else [])
    sampler = Sampler(roots, args.interval)
    sampler.start()
    code = process.wait()
    peaks = sampler.stop()
    print(f"\npeak memory (sampled every {args.interval} s; command exit code {code}):")
    report(peaks)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

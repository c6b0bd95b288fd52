"""质控反馈报告 — the quarterly feedback report of one hospital, as HTML and PDF.

The report compares the hospital with its province (the hospital's own row and the province's
distribution only, so it may be handed to the hospital): per indicator its value, the provincial
pooled rate and median, its percentile rank, its funnel position and signal, the change on a year
earlier (following the lineage) and its flags with reasons and the rule that raised each (frozen
when the quarter is frozen); the rules in force (flag rule, limits, over-dispersion, minimum
denominators) and, where the QC center turned it on, O/E with its baseline named.
HTML is self-contained (inline CSS and SVG, no external resources); PDF is printed by headless
Chromium (``/usr/bin/chromium``); without it ``ChromiumMissing`` is raised (503 in the API).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from services.benchmark.benchmarks import compute_scope
from services.benchmark.laggards import laggards
from services.benchmark.queries import indicators_of_year
from services.benchmark.report_html import render_html
from services.benchmark.scope import BenchmarkScope, resolve_scope
from services.benchmark.snapshots import catalog_revision
from services.benchmark.views import SIGNAL_LABELS, summary, unit_row
from services.benchmark.yoy import hospital_yoy
from services.core.actor import Actor
from services.core.errors import DomainError
from services.core.quarter import Quarter
from services.models import FlagSnapshot
from services.registry.queries import load_hospital

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


class ChromiumMissing(DomainError):
    code = "pdf_unavailable"
    status = 503


def _indicator_entries(
    session: Session, actor: Actor, hospital_id: int, quarter: Quarter, scope: BenchmarkScope
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The hospital's row of every indicator (with O/E where turned on) and the rules in force."""
    infos = indicators_of_year(session, quarter.year, specialty=actor.specialty)
    report = compute_scope(session, actor, scope, quarter=quarter, indicators=infos)
    entries = []
    for b in report.indicators:
        index = [i for i, h in enumerate(b.hospital_id) if int(h) == hospital_id]
        if not index:
            continue
        row = unit_row(b, index[0], {})
        row["signal_label"], row["signal_label_en"] = SIGNAL_LABELS[row["signal"]]
        row["flag_label"], row["flag_label_en"] = SIGNAL_LABELS[row["flag_signal"]]
        entries.append({"summary": summary(b), "row": row})
    return entries, report.rules


def _catalog_revision(session: Session, quarter: Quarter, flags: dict[str, Any]) -> int:
    """The catalog revision the report's flags used: the frozen snapshot's, else the current one."""
    if flags.get("frozen") and flags.get("snapshot_id"):
        frozen = session.get(FlagSnapshot, flags["snapshot_id"])
        if frozen is not None:
            return frozen.catalog_revision
    return catalog_revision(session, quarter.year)


def feedback_context(session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter) -> dict[str, Any]:
    """Everything the report shows, gathered through the same services as the API."""
    hospital = load_hospital(session, actor, hospital_id)  # out of scope answers like not found
    scope_key = f"province:{hospital.province_code}"
    scope = resolve_scope(session, actor, scope_key, quarter=quarter)
    yoy = hospital_yoy(session, actor, hospital_id=hospital_id, quarter=quarter)
    flags = laggards(session, actor, quarter=quarter, scope=scope_key, hospital_id=hospital_id)
    entries, rules = _indicator_entries(session, actor, hospital_id, quarter, scope)
    return {
        "hospital": {
            "id": hospital.id,
            "name": hospital.name,
            "level": hospital.level,
            "type": hospital.type,
            "province_code": hospital.province_code,
        },
        "quarter": str(quarter),
        "scope_label": scope.label,
        "scope_label_en": scope.label_en,
        "indicators": entries,
        "rules": rules,  # the live benchmark's; a frozen quarter's flags carry their own (flag_rules)
        "flag_rules": flags.get("rules"),
        "yoy": {r["indicator_code"]: r for r in yoy["indicators"]},
        "retired": yoy["retired"],
        "flags": flags["flags"],
        "frozen": flags["frozen"],
        "data_version": flags.get("data_version"),
        "catalog_year": quarter.year,
        "catalog_revision": _catalog_revision(session, quarter, flags),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def feedback_html(session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter) -> str:
    return render_html(feedback_context(session, actor, hospital_id=hospital_id, quarter=quarter))


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def html_to_pdf(html: str, *, timeout: float = 60) -> bytes:
    """Print ``html`` to PDF with headless Chromium (no network, a throw-away profile)."""
    browser = chromium_path()
    if browser is None:
        raise ChromiumMissing(
            "服务器未安装 Chromium，无法生成 PDF；请使用 HTML 版本并在浏览器中打印 / Chromium is not installed on "
            "the server, so no PDF can be produced: use the .html report and print it from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="qcp-report-") as tmp:
        source, target = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        source.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--no-first-run",
                "--no-pdf-header-footer",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={target}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        return target.read_bytes()


def feedback_pdf(session: Session, actor: Actor, *, hospital_id: int, quarter: Quarter) -> bytes:
    if chromium_path() is None:
        html_to_pdf("")  # raises ChromiumMissing before any work is done
    return html_to_pdf(feedback_html(session, actor, hospital_id=hospital_id, quarter=quarter))

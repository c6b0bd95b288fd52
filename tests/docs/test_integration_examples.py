"""docs/integration.md's examples run against a running platform (the demo data, the development
issuer with the demo hospital-system client ``his-h001``), and the page's claims stay true: every
error code the platform can answer is listed, the rate limits are the configured ones, the FHIR
limitation it documents still holds."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from platform_api.settings import ApiSettings
from tests.docs.examples import Example, examples, unmarked_fences
from tests.docs.platform import RunningPlatform, demo_platform

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "integration.md"
QUARTER = "2025Q2"  # no demo hospital has values in it; every example reports other indicators
EXAMPLES = examples(PAGE)
BASH = [e for e in EXAMPLES if e.lang == "bash"]
PYTHON = [e for e in EXAMPLES if e.lang == "python"]


@pytest.fixture(scope="module")
def platform(demo_database, demo_ids) -> Iterator[RunningPlatform]:  # noqa: ANN001
    with demo_platform(demo_database, demo_ids["hospitals"], demo_ids["centers"]) as running:
        yield running


@pytest.fixture(scope="module")
def env(platform: RunningPlatform) -> dict[str, str]:
    return {
        **os.environ,
        "QCP_URL": platform.base_url,
        "QCP_TOKEN_URL": f"{platform.issuer_url}/protocol/openid-connect/token",
        "QCP_CLIENT_ID": "his-h001",
        "QCP_CLIENT_SECRET": "demo-his-h001-secret",
        "QCP_QUARTER": QUARTER,
    }


def _check_output(example: Example, output: str) -> None:
    for text in example.expect:
        assert text in output, f"example {example.name!r}: expected {text!r} in its output:\n{output}"


@pytest.fixture(scope="module")
def bash_outputs(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every bash example in order, in one shell (later ones use the token of earlier ones)."""
    assert shutil.which("curl"), "the examples call curl: install it (apt-get install -y curl)"
    script = ["set -euo pipefail"]
    for example in BASH:
        script += [f"echo '@@start {example.name}'", example.code, f"echo; echo '@@end {example.name}'"]
    run = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        env=env,
        cwd=tmp_path_factory.mktemp("bash-examples"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    started = re.findall(r"^@@start (\S+)$", run.stdout, re.M)
    assert run.returncode == 0, (
        f"bash example {started[-1] if started else '?'!r} failed (exit {run.returncode}):\n"
        f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    )
    return {
        name: body for name, body in re.findall(r"^@@start (\S+)$\n(.*?)^@@end \1$", run.stdout, re.M | re.S)
    }


def test_the_page_has_examples_of_every_kind_and_none_unmarked() -> None:
    names = {e.name for e in EXAMPLES}
    assert {"token", "first-submission", "dry-run-refused", "idempotent-retry", "correction"} <= names
    assert {"upload-csv", "upload-xlsx", "fhir-bundle", "python-client"} <= names
    assert unmarked_fences(PAGE) == 0, "a bash/python block without <!-- example: … --> would go untested"


@pytest.mark.parametrize("example", BASH, ids=lambda e: e.name)
def test_bash_example_runs(example: Example, bash_outputs: dict[str, str]) -> None:
    assert example.name in bash_outputs
    _check_output(example, bash_outputs[example.name])


@pytest.mark.parametrize("example", PYTHON, ids=lambda e: e.name)
def test_python_example_runs(
    example: Example, env: dict[str, str], bash_outputs: dict[str, str], tmp_path: Path
) -> None:
    # after the bash examples, as a reader would run the page top to bottom
    run = subprocess.run(
        [sys.executable, "-c", example.code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, f"python example {example.name!r} failed:\n{run.stdout}\n{run.stderr}"
    _check_output(example, run.stdout)


def test_the_examples_left_their_values_and_history(
    platform: RunningPlatform, env: dict[str, str], bash_outputs
) -> None:  # noqa: ANN001
    """What the examples did is really stored: the correction is version 2 with its reason."""
    token = _token(env)
    base = f"{platform.base_url}/api/v1/hospitals/{platform.hospitals['H001']}/submissions/{QUARTER}"
    history = httpx.get(f"{base}/history", params={"indicator": "NIT-2025-I.1"}, headers=token).json()
    assert [(h["version"], h["numerator"]) for h in history] == [(1, 31), (2, 33)]
    assert history[1]["reason"].startswith("复核病历") and history[1]["client_id"] == "his-h001"
    current = {v["indicator"] for v in httpx.get(base, headers=token).json()["values"]}
    assert {"NIT-2025-IV.1", "NIT-2025-V.1", "NIT-2025-IX.1"} <= current


def _token(env: dict[str, str]) -> dict[str, str]:
    answer = httpx.post(
        env["QCP_TOKEN_URL"],
        data={
            "grant_type": "client_credentials",
            "client_id": "his-h001",
            "client_secret": "demo-his-h001-secret",
        },
    )
    return {"Authorization": f"Bearer {answer.raise_for_status().json()['access_token']}"}


def test_fhir_cannot_correct_a_value_as_the_page_says(
    platform: RunningPlatform, env: dict[str, str], bash_outputs
) -> None:  # noqa: ANN001
    """Known limitation (section 8): no reason field on FHIR, so a changed value is refused."""
    headers = {**_token(env), "Content-Type": "application/fhir+json"}
    credit = httpx.get(f"{platform.base_url}/api/v1/hospitals/{platform.hospitals['H001']}", headers=headers)
    population = "http://terminology.hl7.org/CodeSystem/measure-population"
    report = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "https://qcp.example.org/fhir/Measure/NIT-2025-I.1",
        "reporter": {
            "identifier": {
                "system": "https://qcp.example.org/fhir/sid/uscc",
                "value": credit.json()["credit_code"],
            }
        },
        "period": {"start": "2025-04-01", "end": "2025-06-30"},
        "group": [
            {
                "population": [
                    {"code": {"coding": [{"system": population, "code": "numerator"}]}, "count": 34},
                    {"code": {"coding": [{"system": population, "code": "denominator"}]}, "count": 40},
                ]
            }
        ],
    }
    answer = httpx.post(
        f"{platform.base_url}/fhir/MeasureReport", content=json.dumps(report), headers=headers
    )
    assert answer.status_code == 422, answer.text
    [issue] = answer.json()["issue"]
    assert issue["code"] == "business-rule" and "reason_required" in json.dumps(issue)
    page = PAGE.read_text(encoding="utf-8")
    assert "不能更正已上报的数值" in page and "cannot correct values" in page


def _codes_in_source() -> set[str]:
    """Every top-level ``error`` code the API can answer, read from the code that answers them."""
    codes: set[str] = set()
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("platform_api/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'^\s+code = "([a-z_]+)"$', text, re.M))  # DomainError subclasses
        codes |= set(re.findall(r'InvalidToken\(\s*"([a-z_]+)"', text))  # 401 / 503 token answers
        codes |= set(re.findall(r'_Refused\(\s*\d+,\s*"([a-z_]+)"', text))  # body guard
        codes |= set(re.findall(r'_json\(\s*\d+,\s*"([a-z_]+)"', text))  # platform_api/errors.py
        codes |= set(re.findall(r'"error": "(rate_limited)"', text))
    return codes


def test_every_error_code_the_platform_answers_is_in_the_guide() -> None:
    codes = _codes_in_source()
    assert {
        "missing",
        "expired",
        "validation_failed",
        "rate_limited",
        "database_busy",
        "duplicate_key",
    } <= codes
    page = PAGE.read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"`{c}`" not in page)
    assert not missing, f"docs/integration.md does not explain these error codes: {missing}"


def test_the_rate_limits_the_guide_states_are_the_defaults() -> None:
    assert ApiSettings(environment="development").rate_limit == (120, 60)
    page = PAGE.read_text(encoding="utf-8")
    assert "**120**" in page and "**60**" in page
    assert "QCP_RATE_LIMIT_PER_MINUTE" in page and "QCP_RATE_LIMIT_BURST" in page


def test_the_page_links_resolve() -> None:
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", PAGE.read_text(encoding="utf-8")):
        assert (PAGE.parent / target).is_file(), f"docs/integration.md links to missing {target}"

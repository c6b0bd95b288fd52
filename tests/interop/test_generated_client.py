"""A Python client generated from the platform's OpenAPI document works against the live platform.

openapi-python-client cannot join uv.lock (0.29 pins typer < 0.28; the platform needs typer >= 0.29),
so it runs in a virtual environment of its own, installed by uv from ``openapi_client/requirements.txt``
(every file pinned by hash; regenerate with ``uv pip compile --generate-hashes --python-version 3.11
requirements.in -o requirements.txt``). The generated package is imported here and submits, reads and
reads a 422's problems — typed, through real signed tokens. Skipped only when the package registry
cannot be reached.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.submission_io.test_api import CODES, QUARTER, hospital, live, stored, system  # noqa: F401

HERE = Path(__file__).with_name("openapi_client")
UV = Path(sys.executable).with_name("uv")
NETWORK_ERRORS = ("failed to fetch", "dns", "connect", "timed out", "network", "tls", "resolve")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def install_generator(root: Path) -> Path:
    venv = root / "venv"
    made = run([str(UV), "venv", "--quiet", str(venv), "--python", sys.executable], root)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    requirements = str(HERE / "requirements.txt")
    done = run(
        [str(UV), "pip", "install", "--require-hashes", "-r", requirements, "--python", str(python)], root
    )
    if done.returncode != 0:
        if any(word in done.stderr.lower() for word in NETWORK_ERRORS):
            pytest.skip(
                f"the package registry is unreachable, cannot install openapi-python-client: {done.stderr[-300:]}"
            )
        raise AssertionError(f"installing openapi-python-client failed:\n{done.stderr}")
    return venv / "bin"


@pytest.fixture(scope="module")
def qcp_client(live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:  # noqa: F811
    root = tmp_path_factory.mktemp("generated-client")
    bin_dir = install_generator(root)
    document = root / "openapi.json"
    document.write_text(httpx.get(f"{live.base_url}/openapi.json", timeout=30).text, encoding="utf-8")
    config = root / "config.yaml"
    config.write_text("project_name_override: qcp-client\npackage_name_override: qcp_client\n")
    generated = run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(document), "--config", str(config)]
        + ["--output-path", str(root / "qcp_client"), "--meta", "none"],
        root,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # Only the workbook download is left out (openapi-python-client has no binary XLSX type).
    skipped = [line for line in generated.stdout.splitlines() if line.startswith("WARNING parsing")]
    assert all("template.xlsx" in line for line in skipped), generated.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("qcp_client")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "qcp_client" or n.startswith("qcp_client.")]:
            del sys.modules[name]


def api(name: str) -> ModuleType:
    return importlib.import_module(f"qcp_client.api.submissions.{name}")


def test_generated_client_submits_reads_and_reads_problems_typed(qcp_client, live, hospital, owner_engine):  # noqa: F811
    from qcp_client import AuthenticatedClient
    from qcp_client.models import ApiError, Problem, SubmissionIn, SubmissionRead, SubmissionResult, ValueIn

    post = api("post_submission_api_v1_hospitals_hospital_id_submissions_quarter_post")
    get = api("get_submission_api_v1_hospitals_hospital_id_submissions_quarter_get")
    token = live.token_for(system(hospital["id"]))
    with AuthenticatedClient(base_url=live.base_url, token=token) as client:
        body = SubmissionIn(values=[ValueIn(indicator=CODES[0], numerator=3, denominator=9)])
        sent = post.sync_detailed(hospital["id"], QUARTER, client=client, body=body)
        assert sent.status_code == 200, sent.content
        assert isinstance(sent.parsed, SubmissionResult)
        assert sent.parsed.version == 1 and sent.parsed.changed == [CODES[0]]

        read = get.sync_detailed(hospital["id"], QUARTER, client=client)
        assert isinstance(read.parsed, SubmissionRead)
        assert [(v.indicator, v.numerator, v.denominator) for v in read.parsed.values] == [(CODES[0], 3, 9)]

        wrong = SubmissionIn(values=[ValueIn(indicator=CODES[1], numerator=5, denominator=2)])
        refused = post.sync_detailed(hospital["id"], QUARTER, client=client, body=wrong)
        assert refused.status_code == 422
        error = refused.parsed
        assert isinstance(error, ApiError) and error.error == "validation_failed"
        assert all(isinstance(p, Problem) for p in error.problems)
        assert [(p.indicator, p.code) for p in error.problems] == [(CODES[1], "numerator_above_denominator")]
        assert error.problems[0].fix  # what to do about it, typed too
    assert stored(owner_engine, hospital["id"], expect_rows=True) == {CODES[0]: (3, 9)}


def test_generated_client_reads_a_403_with_the_permission_named(qcp_client, live, hospital):  # noqa: F811
    from qcp_client import AuthenticatedClient
    from qcp_client.models import ApiError

    benchmarks = importlib.import_module("qcp_client.api.benchmarks.get_benchmarks_api_v1_benchmarks_get")
    token = live.token_for(system(hospital["id"]))
    with AuthenticatedClient(base_url=live.base_url, token=token) as client:
        refused = benchmarks.sync_detailed(client=client, quarter=QUARTER)
    assert refused.status_code == 403
    assert isinstance(refused.parsed, ApiError)
    assert refused.parsed.additional_properties["action"] == "benchmark.read"

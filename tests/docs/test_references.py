"""The generated references (docs/reference/) say what the code does: regenerated here and compared.

A route, a response, a command or an option changed without regenerating fails with the command to run.
"""

from __future__ import annotations

import json

import pytest
from typer.main import get_command

from platform_api import docs_gen
from platform_api.cli.main import root

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def rendered() -> dict:
    return docs_gen.render_all()


def test_committed_references_match_the_code(rendered):
    stale = docs_gen.stale(rendered)
    names = ", ".join(str(p.relative_to(docs_gen.REPO)) for p in stale)
    assert not stale, f"docs/reference is stale ({names}); run: {docs_gen.REGENERATE}"


def test_http_reference_has_every_operation_with_its_answers(rendered):
    spec = json.loads(rendered[docs_gen.REFERENCE / "openapi.json"])
    page = rendered[docs_gen.REFERENCE / "http.md"]
    ops = list(docs_gen.operations(spec))
    assert len(ops) >= 56
    for method, path, op in ops:
        heading = f"### {method} `{path}`"
        assert heading in page, heading
        section = page.split(heading, 1)[1].split("\n### ", 1)[0]
        assert op["summary"] in section
        for status in op["responses"]:
            assert f"\n| {status} |" in section, (heading, status)
        for param in op.get("parameters", []):
            assert f"| `{param['name']}` |" in section, (heading, param["name"])


def commands(command, prefix: str = "qcp"):  # noqa: ANN001, ANN201
    yield prefix, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, f"{prefix} {name}")


def test_cli_reference_has_every_command_and_option_with_help(rendered):
    page = rendered[docs_gen.REFERENCE / "cli.md"]
    found = list(commands(get_command(root)))
    assert len(found) >= 15
    for name, command in found:
        if name != "qcp":
            assert f"## `{name}`" in page, name
            assert (command.help or "").strip(), f"{name} has no help text"
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.opts[0] in page, (name, param.opts[0])
                assert (getattr(param, "help", None) or "").strip() or param.name in {"reset"}, (
                    f"{name} {param.opts[0]} has no help text"
                )

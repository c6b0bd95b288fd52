"""`qcp demo`'s options say what it does: the issuer port honours QCP_DEV_ISSUER_PORT, --no-serve does not
claim the platform is running, --scale names the number of hospitals the demo really loads."""

from __future__ import annotations

from typer.main import get_command

from platform_api.cli.demo_users import demo_directory, print_banner
from platform_api.cli.main import root
from platform_api.settings import ApiSettings
from services.demo.registry_data import demo_hospitals


def demo_params(args: list[str], env: dict[str, str], monkeypatch) -> dict:  # noqa: ANN001
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    demo = get_command(root).commands["demo"]
    return demo.make_context("demo", args).params


def test_issuer_port_comes_from_qcp_dev_issuer_port(monkeypatch):
    assert demo_params([], {}, monkeypatch)["issuer_port"] == 8081
    assert demo_params([], {"QCP_DEV_ISSUER_PORT": "18081"}, monkeypatch)["issuer_port"] == 18081
    assert (
        demo_params(["--issuer-port", "9"], {"QCP_DEV_ISSUER_PORT": "18081"}, monkeypatch)["issuer_port"] == 9
    )


def banner(running: bool) -> str:
    lines: list[str] = []
    hospitals = {h.key: i for i, h in enumerate(demo_hospitals(), 1)}
    centers = {None: 1, "330000": 2, "440000": 3, "510000": 4}
    directory = demo_directory(hospitals, centers, api_base="http://127.0.0.1:8000")
    print_banner(directory, ApiSettings(environment="test"), echo=lines.append, running=running)
    return "\n".join(lines)


def test_no_serve_banner_does_not_say_the_platform_is_running():
    assert "is running" in banner(True)
    stopped = banner(False)
    assert "is running" not in stopped and "nothing is serving" in stopped


def test_scale_help_names_the_hospitals_the_demo_loads():
    scale = next(p for p in get_command(root).commands["demo"].params if p.name == "scale")
    assert f"{len(demo_hospitals())} hospitals" in scale.help
    assert len(demo_hospitals()) == 72

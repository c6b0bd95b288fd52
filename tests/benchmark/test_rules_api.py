"""Issue 13 through the live API (real tokens): a province admin sets its rules and an O/E baseline;
the benchmark, its export, the laggards and the feedback report show them; another province can
neither read nor change them."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from platform_api.app import create_app
from platform_api.auth.dev_directory import DevClient, DevDirectory
from platform_api.auth.dev_issuer import start_dev_issuer
from platform_api.auth.verify import TokenVerifier
from platform_api.settings import ApiSettings
from services.core.db import Database
from services.models import QcCenter
from tests.api_harness import LiveApi, ServerThread
from tests.benchmark.conftest import GD, ZJ, admin, analyst, build_world
from tests.db import fresh_database

BUNDLE = "NIT-2023-I.1"


@pytest.fixture(scope="module")
def live():  # noqa: ANN201
    """Its own database: the benchmark world plus both provinces' general QC centers."""
    with fresh_database("qcp_rules_api") as urls:
        engine = create_engine(urls.owner)
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            centers = {
                p: QcCenter(province_code=p, level="provincial", name=f"{p} 质控中心") for p in (ZJ, GD)
            }
            session.add_all(centers.values())
            session.commit()
        database = Database.from_url(urls.app, pool_size=4, max_overflow=2)
        directory = DevDirectory(users=[], clients=[DevClient(client_id="qcp-dashboard", secret="s")])
        issuer = start_dev_issuer(directory, host="127.0.0.1", port=0, realm="qcp")
        settings = ApiSettings(
            environment="test", dev_issuer=True, dev_issuer_port=urlparse(issuer.base_url).port
        )
        app = create_app(
            database=database,
            settings=settings,
            verifier=TokenVerifier(server_url=issuer.base_url, realm="qcp"),
        )
        server = ServerThread(app).start()
        api = LiveApi(base_url=server.base_url, issuer=issuer, directory=directory)
        yield api, world, {p: c.id for p, c in centers.items()}
        api.close()
        server.stop()
        issuer.stop()
        database.dispose()
        engine.dispose()


def test_settings_are_read_and_changed_by_the_province_and_by_nobody_else(live):
    api, _, centers = live
    path = f"/api/v1/qc-centers/{centers[ZJ]}/benchmark-settings"
    first = api.client_for(admin()).get(path)
    assert first.status_code == 200, first.text
    assert first.json()["effective"]["flag_rule"] == "fdr"  # the platform default (stats.DEFAULT_FLAG_RULE)
    put = api.client_for(admin()).put(path, json={"flag_rule": "limits", "overdispersion": "off"})
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["flag_rule"] == "limits" and body["overdispersion"] == "off"
    assert body["effective"]["flag_rule_source"] == f"province:{ZJ}"
    assert api.client_for(analyst()).put(path, json={"flag_rule": "fdr"}).status_code == 403
    assert api.client_for(admin(GD)).get(path).status_code == 404
    assert api.client_for(admin(GD)).put(path, json={"flag_rule": "fdr"}).status_code == 404
    assert api.client_for(admin()).put(path, json={"flag_rule": "z"}).status_code == 422
    assert api.client_for(admin()).get(path).json()["flag_rule"] == "limits"  # unchanged by the refusals
    laggards = (
        api.client_for(analyst()).get("/api/v1/laggards", params={"quarter": "2023Q3", "live": True}).json()
    )
    assert laggards["rules"]["flag_rule"] == "limits" and laggards["rules"]["overdispersion"] == "off"
    alarm = next(f for f in laggards["flags"] if f["kind"] == "alarm")
    assert alarm["rule"] == "limits" and "判定规则：控制限 limits" in alarm["reason"]
    # back to the defaults for the other tests: null clears a value
    api.client_for(admin()).put(path, json={"flag_rule": None, "overdispersion": None})


def test_oe_with_its_baseline_in_the_benchmark_export_and_report_for_that_province_only(live):
    api, world, centers = live
    path = f"/api/v1/qc-centers/{centers[ZJ]}/baselines/{BUNDLE}"
    put = api.client_for(admin()).put(path, json={"year": 2022, "scope": "province", "profile": "level_type"})
    assert put.status_code == 200, put.text
    assert put.json()["year"] == 2022 and put.json()["indicator_code"] == "NIT-2022-I.1"
    bench = api.client_for(analyst()).get(
        "/api/v1/benchmarks", params={"quarter": "2023Q3", "indicator": BUNDLE}
    )
    ind = bench.json()["indicators"][0]
    assert (
        ind["oe"]["baseline"]["year"] == 2022 and "2022 provincial rates" in ind["oe"]["baseline"]["label_en"]
    )
    laggard = next(r for r in ind["hospitals"] if r["hospital_id"] == world.laggard.id)
    assert (
        laggard["rate"] == pytest.approx(30.0) and laggard["oe"] < 0.6 and laggard["oe_signal"] == "worse_998"
    )
    export = api.client_for(analyst()).get(
        "/api/v1/benchmarks", params={"quarter": "2023Q3", "indicator": BUNDLE, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {"oe", "expected", "oe_baseline", "phi", "tau2", "flag_rule", "q"} <= set(rows[0])
    assert all("2022" in r["oe_baseline"] for r in rows) and rows[0]["phi"]
    report = api.client_for(analyst()).get(
        f"/api/v1/hospitals/{world.laggard.id}/feedback-report/2023Q3.html"
    )
    assert report.status_code == 200 and "O/E" in report.text and "基线：2022 年本省率" in report.text
    assert "标记规则" in report.text
    other = api.client_for(analyst(GD)).get(
        "/api/v1/benchmarks", params={"quarter": "2023Q3", "indicator": BUNDLE, "scope": f"province:{GD}"}
    )
    assert other.status_code == 200 and other.json()["indicators"][0]["oe"] is None


def test_another_province_cannot_read_set_or_remove_a_baseline(live):
    api, _, centers = live
    base = f"/api/v1/qc-centers/{centers[ZJ]}/baselines"
    assert (
        api.client_for(admin()).put(f"{base}/{BUNDLE}", json={"year": 2022, "scope": "province"}).status_code
        == 200
    )
    gd = api.client_for(admin(GD))
    assert gd.get(base).status_code == 404
    assert gd.put(f"{base}/{BUNDLE}", json={"year": 2022, "scope": "province"}).status_code == 404
    assert gd.delete(f"{base}/{BUNDLE}").status_code == 404
    assert [b["indicator"] for b in api.client_for(analyst()).get(base).json()] == [BUNDLE]
    own = api.client_for(admin(GD)).get(f"/api/v1/qc-centers/{centers[GD]}/baselines")
    assert own.status_code == 200 and own.json() == []
    assert api.client_for(admin()).delete(f"{base}/{BUNDLE}").json()["removed"] is True
    assert api.client_for(analyst()).get(base).json() == []

"""The bulk upload section's poll callback answers jobs of the signed-in admin's province only,
whatever job id a forged request carries (the id lives in a dcc.Store the browser can edit)."""

from __future__ import annotations

import json
import os
import tempfile

from services.core.actor import Actor, Role
from services.core.quarter import Quarter
from services.submission import bulk
from tests.dash.support import sign_in


def _zj_job(database) -> int:  # noqa: ANN001
    actor = Actor(subject="zj-admin-test", roles=frozenset({Role.PROVINCIAL_ADMIN}), province="330000")
    fd, path = tempfile.mkstemp(prefix="qcp-bulk-test-")
    with os.fdopen(fd, "wb") as out:
        out.write("医院编号,指标编码,分子,分母\n1,NIT-2023-IV.1,1,1200\n".encode())
    options = bulk.BulkOptions(kind="csv", quarter=Quarter(2023, 4), dry_run=True)
    with database.unit_of_work(actor) as session:
        job_id = bulk.create_job(session, actor, options=options, bytes_total=10)
    bulk.run_job(database, actor, job_id=job_id, options=options, path=path)
    return job_id


def _poll_callback(client) -> dict:  # noqa: ANN001
    deps = client.get("/dash/_dash-dependencies").json()
    return next(d for d in deps if any(i["id"] == "bulk-poll" for i in d["inputs"]))


def test_forged_poll_for_another_provinces_job_answers_not_found(live_dash) -> None:  # noqa: ANN001
    job_id = _zj_job(live_dash.database)
    client = sign_in(live_dash.base_url, "gd.admin", live_dash.password)
    spec = _poll_callback(client)
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in spec["output"].strip(".").split("...")
    ]
    body = {
        "output": spec["output"],
        "outputs": outputs,
        "inputs": [{"id": "bulk-poll", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["bulk-poll.n_intervals"],
        "state": [{"id": "bulk-job", "property": "data", "value": job_id}],
    }
    answer = client.post("/dash/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.text
    text = json.dumps(answer.json(), ensure_ascii=False)
    assert "不存在" in text and "bulk-progress" not in text
    own = sign_in(live_dash.base_url, "zj.admin", live_dash.password)
    mine = own.post("/dash/_dash-update-component", json=body)
    assert "bulk-progress" in json.dumps(mine.json(), ensure_ascii=False)  # the same request works at home
    client.close()
    own.close()

"""Real-browser test of the bulk upload on the admin page: choose a file, upload, watch the job end."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.core.actor import system_actor
from tests.dash.browser_support import browser_sign_in
from tests.dash.conftest import screenshot

pytestmark = pytest.mark.browser


def _csv(rows: list[tuple]) -> bytes:
    lines = ["医院编号,指标编码,分子,分母,备注", *(",".join(str(c) for c in r) for r in rows)]
    return "\n".join(lines).encode("utf-8")


def _upload(page, content: bytes) -> None:  # noqa: ANN001
    page.set_input_files(
        "#bulk-file input[type=file]", files=[{"name": "全省.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.wait_for_selector("#bulk-filename:has-text('全省.csv')")
    page.click("#bulk-go")


def _open_zj_hospitals(live_dash) -> list[int]:  # noqa: ANN001
    """Two 浙江 hospitals whose 2023Q4 is not approved and that report every goal."""
    with live_dash.database.unit_of_work(system_actor("tests")) as session:
        return list(
            session.execute(
                text(
                    "SELECT h.id FROM hospitals h LEFT JOIN submissions s ON s.hospital_id = h.id"
                    " AND s.quarter = '2023Q4' WHERE h.province_code = '330000' AND h.active"
                    " AND coalesce(s.status, '') <> 'approved' AND NOT EXISTS (SELECT 1 FROM"
                    " indicator_applicability a WHERE a.hospital_id = h.id AND a.status = 'not_applicable')"
                    " ORDER BY h.id LIMIT 2"
                )
            ).scalars()
        )


def test_admin_uploads_a_file_and_sees_progress_then_the_result(live_dash, page) -> None:  # noqa: ANN001
    h1, h2 = _open_zj_hospitals(live_dash)
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin")
    page.wait_for_selector("#bulk-go")
    page.check("#bulk-options input[value=dry_run]")  # the demo database is shared: store nothing
    page.fill("#bulk-quarter", "2023Q4")  # the demo's open quarter
    page.fill("#bulk-reason", "浏览器测试")
    rows = [
        (h, code, n, 1200, "")
        for h in (h1, h2)
        for code, n in (("NIT-2023-IV.1", 1), ("NIT-2023-IV.2", 2), ("NIT-2023-IV.3", 3))
    ]
    _upload(page, _csv(rows))
    page.wait_for_selector("#bulk-progress")
    done = page.wait_for_selector("#bulk-state-succeeded, #bulk-state-refused")
    assert done.get_attribute("id") == "bulk-state-succeeded", page.inner_text("#bulk-status")
    assert page.get_attribute("#bulk-progress", "value") == "1.0"
    assert "2 / 2" in page.inner_text("#bulk-result") and "未保存" in page.inner_text("#bulk-result")
    screenshot(page, "admin-bulk-upload")


def test_a_hospital_of_another_province_is_shown_by_row(live_dash, page) -> None:  # noqa: ANN001
    browser_sign_in(page, live_dash, "zj.admin", "/dash/admin")
    page.wait_for_selector("#bulk-go")
    page.fill("#bulk-quarter", "2023Q4")
    rows = [
        (live_dash.hospitals["H001"], "NIT-2023-IV.1", 1, 1200, ""),
        (live_dash.hospitals["H025"], "NIT-2023-IV.1", 1, 1200, ""),
    ]
    _upload(page, _csv(rows))
    page.wait_for_selector("#bulk-state-refused")
    problems = page.inner_text("#bulk-problems")
    assert "第 3 行" in problems and "不是本省" in problems

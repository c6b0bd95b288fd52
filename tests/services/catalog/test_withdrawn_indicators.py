"""An indicator withdrawn by a revision keeps its stored values but takes no new ones: the
submission check refuses it, naming its successor, and it leaves the year's expected indicators."""

from __future__ import annotations

from services.catalog.publish import publish_step
from services.submission import repository as submission_repo
from services.submission.validation import check_indicator
from tests.services.catalog.test_revisions_db import publish_r1
from tests.services.catalog.v2_support import V2


def test_submission_refuses_a_withdrawn_indicator_naming_its_successor(bare_owner_session):
    session = bare_owner_session
    publish_r1(session)
    before = submission_repo.indicators_by_code(session, ["NIT-2022-IX.4"])["NIT-2022-IX.4"]
    assert check_indicator("NIT-2022-IX.4", before, 2022, None) == []
    publish_step(session, sources=[V2 / "catalog-2021.yaml", V2 / "catalog-2022.r2.yaml"], published_by="t")
    info = submission_repo.indicators_by_code(session, ["NIT-2022-IX.4"])["NIT-2022-IX.4"]
    assert info.id == before.id  # the same row: stored values keep pointing at it
    (found,) = check_indicator("NIT-2022-IX.4", info, 2022, None, 3)
    assert found.code == "withdrawn_indicator" and found.index == 3
    assert "第 2 版" in found.problem and "revision 2" in found.problem
    assert found.fix == "请改用 NIT-2022-IX.5 / use its successor NIT-2022-IX.5"
    year = submission_repo.year_indicators(session, 2022)
    assert "NIT-2022-IX.4" not in year and "NIT-2022-IX.5" in year

"""The demo reaches the latest shipped catalog: values in every published year, every quarter
2024Q1–2026Q4 open for submission, and year over year on the hospital page following the lineage
from 2022 to 2026 (through the same service the page calls, ``dash_app.data.hospital_yoy``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from dash_app import data
from services.catalog.repository import published_years
from services.core.actor import Actor, Role
from services.core.quarter import Quarter
from services.demo.load import open_quarters
from services.models import Hospital, Indicator, Submission, SubmissionValue
from services.submission.schemas import ValueIn
from services.submission.service import submit
from services.submission.windows import effective_window


@pytest.fixture(scope="module")
def general_hospital(demo_database, demo_ids) -> Hospital:
    with demo_database.unit_of_work(Actor("t", frozenset({Role.NATIONAL_ADMIN}))) as session:
        rows = session.scalars(select(Hospital).where(Hospital.id.in_(demo_ids["hospitals"].values())))
        hospital = next(h for h in rows if h.type == "综合" and h.level == "三级")
        session.expunge(hospital)
        return hospital


def national(db):  # noqa: ANN001, ANN201
    return db.unit_of_work(Actor("t", frozenset({Role.NATIONAL_ADMIN})))


def test_demo_publishes_every_shipped_year_up_to_2026(demo_database):
    with national(demo_database) as session:
        years = published_years(session)
    assert years[0] == 2021 and years[-1] >= 2026 and years == list(range(years[0], years[-1] + 1))


def test_values_exist_for_a_quarter_of_every_year_2022_to_2026(demo_database):
    with national(demo_database) as session:
        rows = session.execute(
            select(Submission.quarter, func.count(SubmissionValue.id))
            .join(SubmissionValue, SubmissionValue.submission_id == Submission.id)
            .group_by(Submission.quarter)
        ).all()
    years = {q[:4] for q, n in rows if n > 0}
    assert {"2022", "2023", "2024", "2025", "2026"} <= years


def test_every_quarter_2024q1_to_2026q4_is_open_for_submission(demo_database, general_hospital):
    now = datetime.now(UTC)
    with national(demo_database) as session:
        quarters = open_quarters(session)
        for quarter in [Quarter(y, q) for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]:
            assert quarter in quarters
            window = effective_window(session, general_hospital.province_code, quarter)
            assert window.opens_at <= now < window.locks_at, quarter


# 2025Q1: tests/docs reports 2025Q2 for H001 in the same demo database (then a change needs a reason)
@pytest.mark.parametrize("quarter", [Quarter(2024, 1), Quarter(2025, 1), Quarter(2026, 4)])
def test_a_demo_hospital_can_submit_a_quarter_of_each_later_year(demo_database, general_hospital, quarter):
    submitter = Actor(
        "demo-submitter",
        frozenset({Role.HOSPITAL_SUBMITTER}),
        province=general_hospital.province_code,
        hospital_id=general_hospital.id,
    )
    with demo_database.unit_of_work(submitter) as session:
        code = session.scalar(
            select(Indicator.code)
            .where(
                Indicator.year == quarter.year,
                Indicator.withdrawn_revision.is_(None),
                Indicator.code.like("NIT-%"),
            )
            .order_by(Indicator.id)
            .limit(1)
        )
        value = ValueIn(indicator=code, numerator=1, denominator=10)
        result = submit(
            session,
            submitter,
            hospital_id=general_hospital.id,
            quarter=quarter,
            values=[value],
            source="api",
            dry_run=True,
        )
    assert result.dry_run and code in result.changed


def test_hospital_page_yoy_follows_the_lineage_from_2026_back_to_2022(demo_database, general_hospital):
    analyst = Actor(
        "demo-analyst", frozenset({Role.PROVINCIAL_ANALYST}), province=general_hospital.province_code
    )
    rows = {}
    for year in (2023, 2024, 2025, 2026):
        page = data.hospital_yoy(demo_database, analyst, general_hospital.id, Quarter(year, 3))
        rows[year] = {r["indicator_code"]: r for r in page["indicators"]}
        compared = [
            r
            for r in rows[year].values()
            if r["previous_quarter"] == f"{year - 1}Q3" and r.get("change") is not None
        ]
        assert compared, f"no year-over-year comparison for {year}Q3"
    chains = []
    for code in rows[2026]:
        chain, year = [code], 2026
        while year > 2022 and chain[-1] in rows.get(year, {}):
            previous = rows[year][chain[-1]].get("previous_indicator_code")
            if not previous:
                break
            chain.append(previous)
            year -= 1
        if year == 2022:
            chains.append(chain)
    assert chains, "no indicator of 2026 reaches 2022 through year-over-year comparisons"
    assert all(c[-1].startswith("NIT-2022-") for c in chains)

"""Alembic owns the schema: it round-trips, and the models agree with it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

import services.models  # noqa: F401
from services.core import runtime
from services.core.base import Base
from services.core.quarter import CHINA, Quarter
from tests.db import fresh_database


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # procrastinate's tables come from its schema file (migration 0009), not from the models
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def test_upgrade_downgrade_upgrade_round_trip():
    with fresh_database("qcp_mig") as urls:
        runtime.downgrade(urls.owner, "base")
        engine = create_engine(urls.owner)
        with engine.connect() as conn:
            left = conn.execute(
                text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalar()
        assert left == 0
        runtime.upgrade(urls.owner)
        with engine.connect() as conn:
            provinces = conn.execute(text("SELECT count(*) FROM provinces")).scalar()
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
                Base.metadata,
            )
        engine.dispose()
    assert provinces == 32
    assert diff == [], f"models and migrations disagree: {diff}"


def test_reports_from_is_backfilled_from_registration_or_first_submission():
    """0005: an existing hospital owes quarters from the earlier of its registration quarter and its
    first submission; the migration writes through FORCE row-level security."""
    with fresh_database("qcp_mig") as urls:
        runtime.downgrade(urls.owner, "0004")
        engine = create_engine(urls.owner)
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.all_provinces', 'on', true)"))
            conn.execute(text("UPDATE provinces SET onboarded_at = now() WHERE code = '330000'"))
            conn.execute(
                text(
                    "INSERT INTO catalog_years (year, title, source, file_sha256, published_by)"
                    " VALUES (2022, 't', 't', repeat('0', 64), 'test')"
                )
            )
            ids = (
                conn.execute(
                    text(
                        "INSERT INTO hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, beds,"
                        " created_at) VALUES ('330000', '12330000000000001X', '甲', '三级', '甲等', '综合', '330100', 10,"
                        " '2023-05-01 09:00+08'), ('330000', '12330000000000002X', '乙', '三级', '甲等', '综合', '330100',"
                        " 10, '2023-12-31 23:30+08') RETURNING id"
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(
                text(
                    "INSERT INTO submissions (province_code, hospital_id, quarter, catalog_year, status, version)"
                    " VALUES ('330000', :h, '2022Q3', 2022, 'approved', 1)"
                ),
                {"h": ids[1]},
            )
        runtime.upgrade(urls.owner)
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('app.all_provinces', 'on', true)"))
            got = dict(conn.execute(text("SELECT id, reports_from FROM hospitals")).all())
            fresh = conn.execute(
                text(
                    "INSERT INTO hospitals (province_code, credit_code, name, level, grade, type, prefecture_code, beds)"
                    " VALUES ('330000', '12330000000000003X', '丙', '三级', '甲等', '综合', '330100', 10)"
                    " RETURNING reports_from, created_at"
                )
            ).one()
        engine.dispose()
    # registered 2023-05-01 → 2023Q2; registered 2023Q4 (China time) but submitted 2022Q3 → 2022Q3
    assert got == {ids[0]: "2023Q2", ids[1]: "2022Q3"}
    assert fresh.reports_from == str(Quarter.containing(fresh.created_at.astimezone(CHINA).date()))

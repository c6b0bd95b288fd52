"""Small benchmark worlds built directly in the database (as the owner): catalog, hospitals, values."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog.publish import DATA_DIR, publish_catalog
from services.core.quarter import Quarter
from services.demo.registry_data import make_credit_code
from services.models import (
    CatalogYear,
    Hospital,
    Indicator,
    Province,
    Submission,
    SubmissionValue,
    SubmissionValueVersion,
    SubmissionWindow,
)

_serial = itertools.count(9000)


def publish_catalogs(session: Session) -> None:
    for year in (2022, 2023):
        if session.get(CatalogYear, year) is None:
            publish_catalog(session, path_or_text=DATA_DIR / f"catalog-{year}.yaml", published_by="tests")
    session.flush()


def indicator_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Indicator.code, Indicator.id)).all())


def add_hospital(
    session: Session,
    province: str,
    name: str,
    *,
    level: str = "三级",
    kind: str = "综合",
    reports_from: str = "2000Q1",
) -> Hospital:
    """A hospital owing every quarter (test catalogs use years from 2000 on) unless ``reports_from`` says later."""
    serial = next(_serial)
    prefecture = province[:2] + "0100"
    row = Hospital(
        province_code=province,
        credit_code=make_credit_code(prefecture, serial),
        name=name,
        level=level,
        grade="甲等",
        type=kind,
        prefecture_code=prefecture,
        beds=500,
        reports_from=reports_from,
    )
    session.add(row)
    province_row = session.get(Province, province)
    if province_row.onboarded_at is None:  # a province with hospitals has been onboarded
        province_row.onboarded_at = datetime.now(UTC)
    session.flush()
    return row


def add_values(
    session: Session,
    hospital: Hospital,
    quarter: str,
    values: dict[str, tuple[int, int]],
    *,
    status: str = "approved",
    submitted_at: datetime | None = None,
) -> Submission:
    """A submission of ``values`` ({indicator code: (x, n)}), version 1 of each value."""
    ids = indicator_ids(session)
    q = Quarter.parse(quarter)
    when = submitted_at or datetime(q.next().start.year, q.next().start.month, 10, tzinfo=UTC)
    header = Submission(
        province_code=hospital.province_code,
        hospital_id=hospital.id,
        quarter=quarter,
        catalog_year=q.year,
        status=status,
        version=1,
        first_submitted_at=when,
        submitted_at=when,
    )
    session.add(header)
    session.flush()
    for code, (x, n) in values.items():
        _write(session, header, ids[code], x, n, 1)
    session.flush()
    return header


def correct_value(session: Session, header: Submission, code: str, x: int, n: int) -> None:
    """A later correction: a new version of one value (the current value changes)."""
    ind = indicator_ids(session)[code]
    value = session.scalars(
        select(SubmissionValue).where(
            SubmissionValue.submission_id == header.id, SubmissionValue.indicator_id == ind
        )
    ).one()
    value.numerator, value.denominator, value.version = x, n, value.version + 1
    session.add(_version(header, ind, x, n, value.version))
    session.flush()


def _version(header: Submission, ind: int, x: int, n: int, version: int) -> SubmissionValueVersion:
    return SubmissionValueVersion(
        submission_id=header.id,
        province_code=header.province_code,
        hospital_id=header.hospital_id,
        indicator_id=ind,
        version=version,
        numerator=x,
        denominator=n,
        source="api",
        actor_subject="tests",
        actor_roles=["hospital_submitter"],
    )


def _write(session: Session, header: Submission, ind: int, x: int, n: int, version: int) -> None:
    session.add(
        SubmissionValue(
            submission_id=header.id,
            province_code=header.province_code,
            hospital_id=header.hospital_id,
            indicator_id=ind,
            numerator=x,
            denominator=n,
            version=version,
            updated_by="tests",
        )
    )
    session.add(_version(header, ind, x, n, version))


def add_window(session: Session, province: str, quarter: str, *, due: datetime, locks: datetime) -> None:
    opens = datetime(2000, 1, 1, tzinfo=UTC)
    session.add(
        SubmissionWindow(
            province_code=province,
            quarter=quarter,
            opens_at=opens,
            due_at=due,
            locks_at=locks,
            set_by="tests",
        )
    )
    session.flush()

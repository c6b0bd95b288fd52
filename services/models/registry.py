"""Registry aggregate: provinces (tenants), QC centers, hospitals, networks and dated membership."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.base import Base, Timestamps

# The quarter of "now" in China Standard Time, e.g. 2026Q4 (the default of hospitals.reports_from).
REGISTRATION_QUARTER = "to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY\"Q\"Q')"


class Province(Base):
    """A tenant: one provincial-level division, identified by its GB/T 2260 code (e.g. 330000)."""

    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))  # province | autonomous_region | municipality | corps
    onboarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offboarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("code ~ '^[1-9][0-9]0000$'", name="gbt2260_province_code"),)


class QcCenter(Timestamps, Base):
    """A national or provincial QC center: general (医政/综合, specialty NULL) or one specialty."""

    __tablename__ = "qc_centers"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # national | provincial
    specialty_code: Mapped[str | None] = mapped_column(ForeignKey("specialties.code"))
    name: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint(
            "(level = 'national' AND province_code IS NULL) OR (level = 'provincial' AND province_code IS NOT NULL)",
            name="level_matches_province",
        ),
        # NULLS NOT DISTINCT: one general (specialty NULL) or national (province NULL) center too.
        UniqueConstraint(
            "province_code",
            "specialty_code",
            "level",
            name="uq_qc_centers_scope",
            postgresql_nulls_not_distinct=True,
        ),
    )


class Hospital(Timestamps, Base):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(8))  # 一级 | 二级 | 三级 | 未定级
    grade: Mapped[str] = mapped_column(String(8))  # 甲等 | 乙等 | 丙等 | 未定等
    type: Mapped[str] = mapped_column(String(16))  # 综合 | 专科 | 中医 | 中西医结合 | 民族医 | 妇幼保健
    prefecture_code: Mapped[str] = mapped_column(String(6))
    beds: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # First quarter the hospital must report (YYYYQn): registration does not make it owe the past.
    reports_from: Mapped[str] = mapped_column(String(6), server_default=text(REGISTRATION_QUARTER))

    __table_args__ = (
        CheckConstraint("beds >= 0", name="beds_non_negative"),
        CheckConstraint("reports_from ~ '^[0-9]{4}Q[1-4]$'", name="reports_from_is_a_quarter"),
        CheckConstraint("left(prefecture_code, 2) = left(province_code, 2)", name="prefecture_in_province"),
        UniqueConstraint("id", "province_code", name="uq_hospitals_id_province"),
    )


class Network(Timestamps, Base):
    """A hospital network defined by a QC center. ``province_code`` NULL = national network."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    qc_center_id: Mapped[int] = mapped_column(ForeignKey("qc_centers.id"))
    kind: Mapped[str] = mapped_column(String(24))  # medical_alliance | sentinel | specialty | custom
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, server_default="")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint("kind IN ('medical_alliance', 'sentinel', 'specialty', 'custom')", name="known_kind"),
    )


class NetworkMembership(Base):
    """A hospital's membership of a network over [valid_from, valid_to) (valid_to NULL = open)."""

    __tablename__ = "network_memberships"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(BigInteger)
    province_code: Mapped[str] = mapped_column(String(6), index=True)  # the hospital's province
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="dates_ordered"),
        # hospital and province together: a membership row cannot claim another province's hospital
        # (foreign keys ignore row-level security, so the tenant column is part of the key)
        ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_network_memberships_hospital",
        ),
    )

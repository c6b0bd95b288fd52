"""foundation: provinces, registry, goal catalog, audit log, the app role and row-level security

Revision ID: 0001
Revises:
Create Date: 2026-11-25 03:00:14.532225
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("actor_subject", sa.String(length=256), nullable=False),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), server_default="ok", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_province_code"), "audit_log", ["province_code"], unique=False)
    op.create_table(
        "catalog_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_catalog_years")),
    )
    op.create_table(
        "provinces",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("onboarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offboarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("code ~ '^[1-9][0-9]0000$'", name=op.f("ck_provinces_gbt2260_province_code")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_provinces")),
    )
    op.create_table(
        "specialties",
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_specialties")),
        sa.UniqueConstraint("name", name=op.f("uq_specialties_name")),
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("code_as_published", sa.String(length=32), nullable=False),
        sa.Column("list", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.CheckConstraint("direction IN ('higher', 'lower')", name=op.f("ck_goals_known_direction")),
        sa.CheckConstraint("list IN ('national', 'specialty')", name=op.f("ck_goals_known_list")),
        sa.ForeignKeyConstraint(["year"], ["catalog_years.year"], name=op.f("fk_goals_year_catalog_years")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
        sa.UniqueConstraint("code", name=op.f("uq_goals_code")),
        sa.UniqueConstraint("year", "list", "number", name="uq_goals_year_list_number"),
    )
    op.create_index(op.f("ix_goals_year"), "goals", ["year"], unique=False)
    op.create_table(
        "hospitals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("prefecture_code", sa.String(length=6), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("beds >= 0", name=op.f("ck_hospitals_beds_non_negative")),
        sa.CheckConstraint(
            "left(prefecture_code, 2) = left(province_code, 2)",
            name=op.f("ck_hospitals_prefecture_in_province"),
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_hospitals_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospitals")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_hospitals_credit_code")),
        sa.UniqueConstraint("id", "province_code", name="uq_hospitals_id_province"),
    )
    op.create_index(op.f("ix_hospitals_province_code"), "hospitals", ["province_code"], unique=False)
    op.create_table(
        "qc_centers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("specialty_code", sa.String(length=48), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(level = 'national' AND province_code IS NULL) OR (level = 'provincial' AND province_code IS NOT NULL)",
            name=op.f("ck_qc_centers_level_matches_province"),
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_qc_centers_province_code_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["specialty_code"], ["specialties.code"], name=op.f("fk_qc_centers_specialty_code_specialties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_centers")),
        sa.UniqueConstraint("province_code", "specialty_code", "level", name="uq_qc_centers_scope"),
    )
    op.create_index(op.f("ix_qc_centers_province_code"), "qc_centers", ["province_code"], unique=False)
    op.create_table(
        "goal_lineage",
        sa.Column("from_goal_id", sa.BigInteger(), nullable=True),
        sa.Column("to_goal_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("to_year", sa.Integer(), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.String(length=24)), nullable=False),
        sa.Column("comparability", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "comparability IS NULL OR comparability IN ('comparable', 'partial', 'not_comparable')",
            name=op.f("ck_goal_lineage_known_comparability"),
        ),
        sa.CheckConstraint(
            "from_goal_id IS NOT NULL OR to_goal_id IS NOT NULL", name=op.f("ck_goal_lineage_has_an_end")
        ),
        sa.ForeignKeyConstraint(
            ["from_goal_id"],
            ["goals.id"],
            name=op.f("fk_goal_lineage_from_goal_id_goals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_goal_id"], ["goals.id"], name=op.f("fk_goal_lineage_to_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_lineage")),
    )
    op.create_index(op.f("ix_goal_lineage_from_goal_id"), "goal_lineage", ["from_goal_id"], unique=False)
    op.create_index(op.f("ix_goal_lineage_to_goal_id"), "goal_lineage", ["to_goal_id"], unique=False)
    op.create_index(op.f("ix_goal_lineage_to_year"), "goal_lineage", ["to_year"], unique=False)
    op.create_table(
        "goal_owners",
        sa.Column("goal_id", sa.BigInteger(), nullable=False),
        sa.Column("specialty_code", sa.String(length=48), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_goal_owners_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["specialty_code"], ["specialties.code"], name=op.f("fk_goal_owners_specialty_code_specialties")
        ),
        sa.PrimaryKeyConstraint("goal_id", "specialty_code", name=op.f("pk_goal_owners")),
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("goal_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("numerator", sa.Text(), nullable=False),
        sa.Column("denominator", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("multiplier", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("direction IN ('higher', 'lower')", name=op.f("ck_indicators_known_direction")),
        sa.CheckConstraint("kind IN ('proportion', 'rate', 'ratio')", name=op.f("ck_indicators_known_kind")),
        sa.CheckConstraint("multiplier > 0", name=op.f("ck_indicators_positive_multiplier")),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_indicators_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("code", name=op.f("uq_indicators_code")),
        sa.UniqueConstraint("goal_id", "seq", name="uq_indicators_goal_seq"),
    )
    op.create_index(op.f("ix_indicators_goal_id"), "indicators", ["goal_id"], unique=False)
    op.create_index(op.f("ix_indicators_year"), "indicators", ["year"], unique=False)
    op.create_table(
        "networks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("qc_center_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('medical_alliance', 'sentinel', 'specialty', 'custom')",
            name=op.f("ck_networks_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_networks_province_code_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["qc_center_id"], ["qc_centers.id"], name=op.f("fk_networks_qc_center_id_qc_centers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
    )
    op.create_index(op.f("ix_networks_province_code"), "networks", ["province_code"], unique=False)
    op.create_table(
        "indicator_lineage",
        sa.Column("from_indicator_id", sa.BigInteger(), nullable=True),
        sa.Column("to_indicator_id", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("to_year", sa.Integer(), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.String(length=24)), nullable=False),
        sa.Column("comparability", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "comparability IS NULL OR comparability IN ('comparable', 'partial', 'not_comparable')",
            name=op.f("ck_indicator_lineage_known_comparability"),
        ),
        sa.CheckConstraint(
            "from_indicator_id IS NOT NULL OR to_indicator_id IS NOT NULL",
            name=op.f("ck_indicator_lineage_has_an_end"),
        ),
        sa.ForeignKeyConstraint(
            ["from_indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_lineage_from_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_lineage_to_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_lineage")),
    )
    op.create_index(
        op.f("ix_indicator_lineage_from_indicator_id"),
        "indicator_lineage",
        ["from_indicator_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indicator_lineage_to_indicator_id"), "indicator_lineage", ["to_indicator_id"], unique=False
    )
    op.create_index(op.f("ix_indicator_lineage_to_year"), "indicator_lineage", ["to_year"], unique=False)
    op.create_table(
        "network_memberships",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("network_id", sa.BigInteger(), nullable=False),
        sa.Column("hospital_id", sa.BigInteger(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_network_memberships_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_network_memberships_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_network_memberships_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_memberships")),
    )
    op.create_index(
        op.f("ix_network_memberships_network_id"), "network_memberships", ["network_id"], unique=False
    )
    op.create_index(
        op.f("ix_network_memberships_province_code"), "network_memberships", ["province_code"], unique=False
    )

    _seed_provinces()
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE network_memberships ADD CONSTRAINT ex_network_memberships_no_overlap "
        "EXCLUDE USING gist (network_id WITH =, hospital_id WITH =, "
        "daterange(valid_from, valid_to, '[)') WITH &&)"
    )
    rls.create_app_role()
    for table in (
        "provinces",
        "specialties",
        "catalog_years",
        "goals",
        "goal_owners",
        "indicators",
        "goal_lineage",
        "indicator_lineage",
    ):
        rls.grant(table, "SELECT")  # public documents; only the owner publishes
    rls.tenant_table("hospitals", hospital_column="id")
    rls.tenant_table("qc_centers", national_rows=True)
    rls.tenant_table("networks", national_rows=True)
    rls.tenant_table("network_memberships", hospital_column="hospital_id")
    rls.tenant_table("audit_log")
    for table in ("hospitals", "qc_centers", "networks", "network_memberships"):
        rls.grant(table, "SELECT, INSERT, UPDATE")
    rls.grant("audit_log", "SELECT, INSERT")
    rls.append_only("audit_log")
    rls.grant_sequences()


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS qcp_refuse_change()")
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM qcp_app")
    op.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM qcp_app")
    op.drop_index(op.f("ix_network_memberships_province_code"), table_name="network_memberships")
    op.drop_index(op.f("ix_network_memberships_network_id"), table_name="network_memberships")
    op.drop_table("network_memberships")
    op.drop_index(op.f("ix_indicator_lineage_to_year"), table_name="indicator_lineage")
    op.drop_index(op.f("ix_indicator_lineage_to_indicator_id"), table_name="indicator_lineage")
    op.drop_index(op.f("ix_indicator_lineage_from_indicator_id"), table_name="indicator_lineage")
    op.drop_table("indicator_lineage")
    op.drop_index(op.f("ix_networks_province_code"), table_name="networks")
    op.drop_table("networks")
    op.drop_index(op.f("ix_indicators_year"), table_name="indicators")
    op.drop_index(op.f("ix_indicators_goal_id"), table_name="indicators")
    op.drop_table("indicators")
    op.drop_table("goal_owners")
    op.drop_index(op.f("ix_goal_lineage_to_year"), table_name="goal_lineage")
    op.drop_index(op.f("ix_goal_lineage_to_goal_id"), table_name="goal_lineage")
    op.drop_index(op.f("ix_goal_lineage_from_goal_id"), table_name="goal_lineage")
    op.drop_table("goal_lineage")
    op.drop_index(op.f("ix_qc_centers_province_code"), table_name="qc_centers")
    op.drop_table("qc_centers")
    op.drop_index(op.f("ix_hospitals_province_code"), table_name="hospitals")
    op.drop_table("hospitals")
    op.drop_index(op.f("ix_goals_year"), table_name="goals")
    op.drop_table("goals")
    op.drop_table("specialties")
    op.drop_table("provinces")
    op.drop_table("catalog_years")
    op.drop_index(op.f("ix_audit_log_province_code"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    rls.drop_app_role()


PROVINCES = [
    ("110000", "北京市", "Beijing", "municipality"),
    ("120000", "天津市", "Tianjin", "municipality"),
    ("130000", "河北省", "Hebei", "province"),
    ("140000", "山西省", "Shanxi", "province"),
    ("150000", "内蒙古自治区", "Inner Mongolia", "autonomous_region"),
    ("210000", "辽宁省", "Liaoning", "province"),
    ("220000", "吉林省", "Jilin", "province"),
    ("230000", "黑龙江省", "Heilongjiang", "province"),
    ("310000", "上海市", "Shanghai", "municipality"),
    ("320000", "江苏省", "Jiangsu", "province"),
    ("330000", "浙江省", "Zhejiang", "province"),
    ("340000", "安徽省", "Anhui", "province"),
    ("350000", "福建省", "Fujian", "province"),
    ("360000", "江西省", "Jiangxi", "province"),
    ("370000", "山东省", "Shandong", "province"),
    ("410000", "河南省", "Henan", "province"),
    ("420000", "湖北省", "Hubei", "province"),
    ("430000", "湖南省", "Hunan", "province"),
    ("440000", "广东省", "Guangdong", "province"),
    ("450000", "广西壮族自治区", "Guangxi", "autonomous_region"),
    ("460000", "海南省", "Hainan", "province"),
    ("500000", "重庆市", "Chongqing", "municipality"),
    ("510000", "四川省", "Sichuan", "province"),
    ("520000", "贵州省", "Guizhou", "province"),
    ("530000", "云南省", "Yunnan", "province"),
    ("540000", "西藏自治区", "Tibet", "autonomous_region"),
    ("610000", "陕西省", "Shaanxi", "province"),
    ("620000", "甘肃省", "Gansu", "province"),
    ("630000", "青海省", "Qinghai", "province"),
    ("640000", "宁夏回族自治区", "Ningxia", "autonomous_region"),
    ("650000", "新疆维吾尔自治区", "Xinjiang", "autonomous_region"),
    ("660000", "新疆生产建设兵团", "Xinjiang Production and Construction Corps", "corps"),
]


def _seed_provinces() -> None:
    table = sa.table(
        "provinces", sa.column("code"), sa.column("name"), sa.column("name_en"), sa.column("kind")
    )
    op.bulk_insert(
        table, [dict(zip(("code", "name", "name_en", "kind"), row, strict=True)) for row in PROVINCES]
    )

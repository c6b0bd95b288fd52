"""notifications and the job queue

* ``notifications`` (one event for one organisation: a hospital, a QC center, or everyone), with
  ``notification_reads`` (per user), ``notification_contacts`` (e-mail addresses of organisations
  and users), ``notification_preferences`` (channel on/off per kind, per user or organisation),
  ``webhook_endpoints`` and ``notification_deliveries`` (the delivery log and dead letters).
  Row-level security: a province's rows are its own; hospital roles see only their hospital's rows
  (and notifications addressed to everyone). Any caller bound to a province may record an event of
  that province for its QC center (a hospital resubmitting), but cannot read it back.
* procrastinate's schema (its own SQL file, ``procrastinate_*`` tables and functions): the job
  queue of the worker. The app role may use it; jobs hold no tenant data beyond ids.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

from migrations import rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_contacts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("hospital_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(length=256), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_notification_contacts_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_notification_contacts_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_contacts")),
    )
    op.create_index(
        op.f("ix_notification_contacts_hospital_id"), "notification_contacts", ["hospital_id"], unique=False
    )
    op.create_index(
        op.f("ix_notification_contacts_province_code"),
        "notification_contacts",
        ["province_code"],
        unique=False,
    )
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("hospital_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.String(length=256), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('inbox', 'email', 'webhook')", name=op.f("ck_notification_preferences_known_channel")
        ),
        sa.CheckConstraint(
            "kind IN ('window_opened', 'due_soon', 'submission_returned', 'correction_awaiting_review', 'flags_frozen', 'catalog_published')",
            name=op.f("ck_notification_preferences_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_notification_preferences_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_notification_preferences_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
    )
    op.create_index(
        op.f("ix_notification_preferences_province_code"),
        "notification_preferences",
        ["province_code"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("hospital_id", sa.BigInteger(), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("fanned_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(audience = 'hospital') = (hospital_id IS NOT NULL)",
            name=op.f("ck_notifications_hospital_audience"),
        ),
        sa.CheckConstraint(
            "audience IN ('hospital', 'qc_center', 'all')", name=op.f("ck_notifications_known_audience")
        ),
        sa.CheckConstraint(
            "kind IN ('window_opened', 'due_soon', 'submission_returned', 'correction_awaiting_review', 'flags_frozen', 'catalog_published')",
            name=op.f("ck_notifications_known_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_notifications_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_notifications_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notifications_dedup_key")),
    )
    op.create_index(op.f("ix_notifications_hospital_id"), "notifications", ["hospital_id"], unique=False)
    op.create_index(op.f("ix_notifications_province_code"), "notifications", ["province_code"], unique=False)
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("hospital_id", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.CheckConstraint("url ~ '^https?://'", name=op.f("ck_webhook_endpoints_http_url")),
        sa.ForeignKeyConstraint(
            ["hospital_id", "province_code"],
            ["hospitals.id", "hospitals.province_code"],
            name="fk_webhook_endpoints_hospital",
        ),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_webhook_endpoints_province_code_provinces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_hospital_id"), "webhook_endpoints", ["hospital_id"], unique=False
    )
    op.create_index(
        op.f("ix_webhook_endpoints_province_code"), "webhook_endpoints", ["province_code"], unique=False
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("hospital_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=2000), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'webhook')", name=op.f("ck_notification_deliveries_known_channel")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'dead')", name=op.f("ck_notification_deliveries_known_status")
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_notification_deliveries_dedup_key")),
    )
    op.create_index(
        op.f("ix_notification_deliveries_notification_id"),
        "notification_deliveries",
        ["notification_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_deliveries_province_code"),
        "notification_deliveries",
        ["province_code"],
        unique=False,
    )
    op.create_table(
        "notification_reads",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("reader", sa.String(length=256), nullable=False),
        sa.Column("province_code", sa.String(length=6), nullable=True),
        sa.Column("hospital_id", sa.BigInteger(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_reads_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("notification_id", "reader", name=op.f("pk_notification_reads")),
    )
    op.create_index(
        op.f("ix_notification_reads_province_code"), "notification_reads", ["province_code"], unique=False
    )
    _policies()
    _procrastinate_up()


HOSPITAL = "coalesce(current_setting('app.hospital', true), '')"
ORGANISATION_TABLES = (
    "notification_contacts",
    "notification_preferences",
    "webhook_endpoints",
    "notification_deliveries",
    "notification_reads",
)


def _policies() -> None:
    read = (
        f"(({rls.visible()} OR (province_code IS NULL AND ({rls.ALL} OR {rls.BOUND})))"
        f" AND ({HOSPITAL} = '' OR audience = 'all' OR hospital_id::text = {HOSPITAL}))"
    )
    write = (
        f"((CASE WHEN province_code IS NULL THEN {rls.ALL} ELSE {rls.visible()} END)"
        f" AND ({HOSPITAL} = '' OR hospital_id IS NULL OR hospital_id::text = {HOSPITAL}))"
    )
    op.execute("ALTER TABLE notifications ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE notifications FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY notifications_read ON notifications FOR SELECT USING {read}")
    op.execute(f"CREATE POLICY notifications_record ON notifications FOR INSERT WITH CHECK {write}")
    # only the platform (national scope: the worker) marks a notification fanned out
    op.execute(
        f"CREATE POLICY notifications_fan_out ON notifications FOR UPDATE USING ({rls.ALL}) WITH CHECK ({rls.ALL})"
    )
    rls.grant("notifications", "SELECT, INSERT, UPDATE")
    for table in ORGANISATION_TABLES:
        rls.tenant_table(table, national_rows=True, hospital_column="hospital_id")
        rls.grant(table, "SELECT, INSERT, UPDATE, DELETE")
    rls.grant_sequences()


def _procrastinate_up() -> None:
    # procrastinate's own schema file, run as-is on the raw driver connection (it holds '%' and ':'
    # that SQLAlchemy's text() would read as parameters), inside the migration's transaction
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(PROCRASTINATE_TABLES)} TO {rls.APP_ROLE}")
    rls.grant_sequences()


PROCRASTINATE_TABLES = (
    "procrastinate_jobs",
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
)


def _procrastinate_down() -> None:
    op.execute(f"DROP TABLE {', '.join(PROCRASTINATE_TABLES)} CASCADE")
    op.execute(
        """
        DO $$ DECLARE f regprocedure;
        BEGIN
          FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\\_%' LOOP
            EXECUTE 'DROP FUNCTION ' || f;
          END LOOP;
        END $$;
        """
    )
    op.execute(
        "DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status"
    )


def downgrade() -> None:
    _procrastinate_down()
    op.drop_index(op.f("ix_notification_reads_province_code"), table_name="notification_reads")
    op.drop_table("notification_reads")
    op.drop_index(op.f("ix_notification_deliveries_province_code"), table_name="notification_deliveries")
    op.drop_index(op.f("ix_notification_deliveries_notification_id"), table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_index(op.f("ix_webhook_endpoints_province_code"), table_name="webhook_endpoints")
    op.drop_index(op.f("ix_webhook_endpoints_hospital_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index(op.f("ix_notifications_province_code"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_hospital_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_notification_preferences_province_code"), table_name="notification_preferences")
    op.drop_table("notification_preferences")
    op.drop_index(op.f("ix_notification_contacts_province_code"), table_name="notification_contacts")
    op.drop_index(op.f("ix_notification_contacts_hospital_id"), table_name="notification_contacts")
    op.drop_table("notification_contacts")

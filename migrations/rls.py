"""Row-level security helpers used by the migrations.

Policies read transaction-local settings written by ``services.core.db`` when a transaction
begins: ``app.province`` (the caller's tenant), ``app.all_provinces`` ('on' for national scope)
and ``app.hospital`` (set for hospital roles). Unset settings read as NULL: no rows (fail-closed).
"""

from __future__ import annotations

from alembic import op

APP_ROLE = "qcp_app"

ALL = "current_setting('app.all_provinces', true) = 'on'"
BOUND = "coalesce(current_setting('app.province', true), '') <> ''"


def visible(column: str = "province_code") -> str:
    return f"({ALL} OR {column} = current_setting('app.province', true))"


def own_hospital(column: str) -> str:
    """True unless the caller is a hospital role bound to another hospital."""
    return f"(coalesce(current_setting('app.hospital', true), '') = '' OR {column}::text = current_setting('app.hospital', true))"


def create_app_role() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
          END IF;
        END $$;
        """
    )
    op.execute(
        f"DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO {APP_ROLE}', current_database()); END $$;"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")


def drop_app_role() -> None:
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    op.execute(
        f"DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM {APP_ROLE}', current_database()); END $$;"
    )
    # The role is cluster-wide: other databases on the same server may still use it.
    op.execute(
        f"""
        DO $$ BEGIN
          DROP ROLE IF EXISTS {APP_ROLE};
        EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
          RAISE NOTICE 'role {APP_ROLE} kept: still used elsewhere';
        END $$;
        """
    )


def tenant_table(table: str, *, national_rows: bool = False, hospital_column: str | None = None) -> None:
    """ENABLE + FORCE row-level security on ``table`` with one isolation policy.

    ``national_rows``: rows with ``province_code`` NULL belong to the national level; every bound
    caller may read them, only national scope may write them.
    ``hospital_column``: hospital roles additionally see only their own hospital's rows.
    """
    using = visible()
    check = visible()
    if national_rows:
        using = f"({using} OR (province_code IS NULL AND ({ALL} OR {BOUND})))"
        check = f"(CASE WHEN province_code IS NULL THEN {ALL} ELSE {visible()} END)"
    if hospital_column:
        using = f"({using} AND {own_hospital(hospital_column)})"
        check = f"({check} AND {own_hospital(hospital_column)})"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING {using} WITH CHECK {check}")


def grant(table: str, privileges: str) -> None:
    op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")


def grant_sequences() -> None:
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")


def append_only(table: str) -> None:
    """Refuse UPDATE, DELETE and TRUNCATE on ``table`` for everyone, owner included."""
    op.execute(
        """
        CREATE OR REPLACE FUNCTION qcp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION qcp_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION qcp_refuse_change()"
    )

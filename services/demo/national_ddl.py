"""Bulk-load trick for empty tables: drop secondary indexes, unique and foreign keys, COPY, rebuild.

Inside the loading transaction (PostgreSQL DDL is transactional: a failure restores every key).
Rebuilding an index once and validating a foreign key with one join is several times faster than
maintaining them row by row for millions of rows. The definitions are read back from the catalog
(``pg_get_constraintdef`` / ``pg_get_indexdef``), so what is rebuilt is exactly what the
migrations created. Only used when the tables are empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

BULK_TABLES = ("submission_values", "submission_value_versions", "submission_events")

_CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint
WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype DESC, conname
"""
_INDEXES = """
SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""


def tables_empty(conn: psycopg.Connection, tables: tuple[str, ...] = BULK_TABLES) -> bool:
    return all(_empty(conn, t) for t in tables)


def _empty(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute(
        sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))
    ).fetchone()
    return row is not None and bool(row[0])  # NOT EXISTS always answers one row


@contextmanager
def keys_rebuilt_after(conn: psycopg.Connection, tables: tuple[str, ...] = BULK_TABLES) -> Iterator[None]:
    """Drop the tables' unique/foreign keys and secondary indexes; recreate them on exit."""
    constraints = conn.execute(_CONSTRAINTS, (list(tables),)).fetchall()  # unique ('u') before foreign ('f')
    indexes = conn.execute(_INDEXES, (list(tables),)).fetchall()
    for table, name, _, _ in reversed(constraints):
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name))
        )
    for name, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    yield
    conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        conn.execute(definition)
    for table, name, definition, _ in constraints:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name))
            + sql.SQL(definition)
        )

"""Databases at the edges: empty, only views, empty tables with odd names and a sequence far along, a
row full of escapes; each backed up, restored into a new database, and compared object by object
(relations, contents, sequence values)."""

from __future__ import annotations

import psycopg
import pytest

from services.backup.dump_stream import create_backup
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.verify import verify_backup
from tests.backup.conftest import BackupEnv, dsn_for

EDGE_CASES = {
    "empty": "",
    "views only": """
        CREATE VIEW now_v AS SELECT 1 AS one;
        CREATE MATERIALIZED VIEW mv AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 50) g;
        CREATE INDEX mv_n ON mv (n);
    """,
    "empty tables and a sequence far along": """
        CREATE TABLE "Leere Tabelle" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "naïve" text);
        SELECT setval(pg_get_serial_sequence('"Leere Tabelle"', 'id'), 9000000000);
        CREATE TABLE one_row (k text PRIMARY KEY);
        INSERT INTO one_row VALUES (E'tab\\there, newline\\nthere, backslash \\\\ and \\u00e9');
    """,
}


def _snapshot(dsn: str) -> tuple[list[tuple[str, ...]], list[tuple[str, str]]]:
    with psycopg.connect(dsn) as c:
        objects = c.execute(
            "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2").fetchall()
        content = []
        for schema, name, kind in objects:
            if kind in ("r", "m"):
                rows = c.execute(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                                 f'FROM "{schema}"."{name}" t').fetchone()
                content.append((f"{schema}.{name}", str(rows[0])))  # type: ignore[index]
            elif kind == "S":
                row = c.execute(f'SELECT last_value::text FROM "{schema}"."{name}"').fetchone()
                content.append((f"{schema}.{name}", str(row[0])))  # type: ignore[index]
    return [tuple(map(str, o)) for o in objects], content


@pytest.mark.parametrize("case", list(EDGE_CASES))
async def test_edge_database_round_trips(backup_env: BackupEnv, pg_dsn: str, case: str) -> None:
    if EDGE_CASES[case].strip():
        with psycopg.connect(backup_env.dsn, autocommit=True) as c:
            c.execute(EDGE_CASES[case])
    before = _snapshot(backup_env.dsn)
    made = await create_backup(backup_env.ctx, "staging")
    verified = await verify_backup(backup_env.ctx, "staging", made.id, restore_test=True)
    assert verified.ok, verified
    target = f"rops_edge_{list(EDGE_CASES).index(case)}_{made.id[-4:]}"
    try:
        result = await restore_backup(backup_env.ctx, "staging", made.id, target, confirm=target, reason=None,
                                      options=RestoreOptions(skip_safety_backup=True))
        assert result.database == target
        assert _snapshot(dsn_for(pg_dsn, target)) == before
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


async def test_rolling_back_over_a_table_added_later_says_it_was_kept(backup_env: BackupEnv) -> None:
    """pg_restore --clean re-creates what the archive holds; a table added after the backup stays, and the
    restore says so instead of leaving the admin to find out."""
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE listings (id serial PRIMARY KEY, title text); INSERT INTO listings (title) VALUES ('a')")
    made = await create_backup(backup_env.ctx, "staging")
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE added_later (id int GENERATED ALWAYS AS IDENTITY, note text); "
                  "CREATE VIEW added_view AS SELECT 1 AS x; INSERT INTO listings (title) VALUES ('b')")
    result = await restore_backup(backup_env.ctx, "staging", made.id, "staging", confirm="staging", reason=None)
    kept = [n for n in result.notes if n.startswith("kept as they were")]
    assert kept == ["kept as they were, not in the backup: public.added_later, public.added_view "
                    "(drop them if the backup should be all there is)"], result.notes
    with psycopg.connect(backup_env.dsn) as c:
        assert c.execute("SELECT count(*) FROM listings").fetchone() == (1,)
        assert c.execute("SELECT to_regclass('public.added_later') IS NOT NULL").fetchone() == (True,)

"""Back up a database full of hard cases, restore it into a new database: identical in every respect."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from services.backup.dump_stream import BackupRequest, create_backup, dump_to_store
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.store import store_for
from services.backup.worker import Control
from services.core.pg_tools import env_connection, tools_for
from tests.backup.conftest import BackupEnv, dsn_for
from tests.backup.fixtures_sql import fingerprint, install_rich, schema_dump


@pytest.mark.parametrize("dump_major", [None, 18], ids=["fitting-client", "pg_dump-18-into-pg-15"])
async def test_round_trip_is_identical(backup_env: BackupEnv, pg_dsn: str, dump_major: int | None) -> None:
    install_rich(backup_env.dsn)
    ctx = backup_env.ctx
    store = await store_for(ctx, backup_env.env)
    conn = await env_connection(ctx, backup_env.env)
    tools = tools_for(15, at_least=dump_major) if dump_major else None
    if dump_major:
        assert tools is not None and tools.major == 18
    manifest = await asyncio.to_thread(dump_to_store, store, BackupRequest("staging", conn), Control(), tools=tools)
    assert manifest.client_major == (dump_major or manifest.client_major)
    assert {"anon", "authenticated", "service_role"} <= set(manifest.extra["roles"])
    assert manifest.table_rows()["public.listings"] == 3000
    assert manifest.table_rows()["public.events_2024"] + manifest.table_rows()["public.events_2025"] == 4000

    target_db = f"{conn.dbname}_copy"
    try:
        result = await restore_backup(ctx, "staging", manifest.id, target_db, confirm=target_db, reason="round trip",
                                      options=RestoreOptions(skip_safety_backup=True))
        assert result.tables_checked >= 6 and "one transaction" in result.strategy
        copy = dsn_for(backup_env.dsn, target_db)
        assert schema_dump(copy) == schema_dump(backup_env.dsn)
        source_fp, copy_fp = fingerprint(backup_env.dsn), fingerprint(copy)
        assert copy_fp == source_fp
        assert len(source_fp["large objects"]) == 5  # type: ignore[arg-type]
        assert source_fp["sequence public.invoice_no"] == (1084, True)
        assert any("anon" in acl for _, acl in source_fp["acl"])  # type: ignore[union-attr]
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target_db}" WITH (FORCE)')


MORE_CASES = r'''
CREATE SCHEMA "Weird ""Schema""";
CREATE TABLE "Weird ""Schema"""."my table" (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "Naïve col" text NOT NULL,
    tags text[] NOT NULL DEFAULT '{}',
    during tstzrange,
    updated_at timestamptz
);
COMMENT ON TABLE "Weird ""Schema"""."my table" IS 'comment with ''quotes'' and ünïcode';
COMMENT ON COLUMN "Weird ""Schema"""."my table"."Naïve col" IS 'a column comment';
CREATE FUNCTION "Weird ""Schema""".touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := '2025-01-01 00:00:00+00'; RETURN NEW; END $$;
CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON "Weird ""Schema"""."my table"
    FOR EACH ROW EXECUTE FUNCTION "Weird ""Schema""".touch();
INSERT INTO "Weird ""Schema"""."my table" ("Naïve col", tags, during)
    SELECT 'row ' || g || E' tab\there\nnewline \\ backslash', ARRAY['a' || g, 'b'],
           tstzrange('2025-01-01'::timestamptz + g * interval '1 day', NULL)
    FROM generate_series(1, 300) g;
CREATE TYPE address AS (street text, zip text);
CREATE TABLE parent_office (id int PRIMARY KEY, addr address);
CREATE TABLE child_office (extra text) INHERITS (parent_office);
INSERT INTO parent_office VALUES (1, ROW('1 Main St', '75001'));
INSERT INTO child_office VALUES (2, ROW('2 Rue', '69001'), 'child');
CREATE UNLOGGED TABLE scratch_cache (k text PRIMARY KEY, v jsonb);
INSERT INTO scratch_cache VALUES ('a', '{"x": [1, 2, {"y": null}]}');
CREATE TABLE agents (id int PRIMARY KEY, boss int REFERENCES agents (id) DEFERRABLE INITIALLY DEFERRED,
                     email text);
INSERT INTO agents VALUES (1, 2, 'a@x'), (2, 1, 'b@x'), (3, NULL, 'legacy-without-at');
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE agents ADD CONSTRAINT email_has_at CHECK (email LIKE '%@%') NOT VALID;
CREATE FUNCTION agent_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM agents';
CREATE VIEW agent_stats AS SELECT agent_count() AS n;
CREATE TABLE secrets_ (id int PRIMARY KEY, owner text);
ALTER TABLE secrets_ ENABLE ROW LEVEL SECURITY;
ALTER TABLE secrets_ FORCE ROW LEVEL SECURITY;
CREATE POLICY mine ON secrets_ USING (owner = current_user);
INSERT INTO secrets_ VALUES (1, 'postgres'), (2, 'someone else');
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO anon;
'''

OPTIONAL_EXTENSIONS = r"""
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE contacts (id int PRIMARY KEY, email citext UNIQUE, name text);
CREATE INDEX contacts_name_trgm ON contacts USING gin (name gin_trgm_ops);
INSERT INTO contacts SELECT g, 'Person' || g || '@Example.com', 'Person ' || g FROM generate_series(1, 200) g;
"""


async def test_round_trip_of_more_cases_and_one_odd_schema(backup_env: BackupEnv, pg_dsn: str) -> None:
    """Identity columns, inheritance, composite and range types, unlogged tables, triggers, functions used by
    views, comments, deferrable and NOT VALID constraints, forced RLS, default privileges, COPY escapes, a
    schema whose name has a space and a quote, and (where the server has them) citext and pg_trgm."""
    from tests.backup.fixtures_sql import ensure_roles

    ensure_roles(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(MORE_CASES)
        have = {r[0] for r in c.execute("SELECT name FROM pg_available_extensions").fetchall()}
        if {"citext", "pg_trgm"} <= have:
            c.execute(OPTIONAL_EXTENSIONS)
    ctx = backup_env.ctx
    store = await store_for(ctx, backup_env.env)
    conn = await env_connection(ctx, backup_env.env)
    manifest = await asyncio.to_thread(dump_to_store, store, BackupRequest("staging", conn), Control())
    assert manifest.table_rows()['Weird "Schema".my table'] == 300
    whole, odd = f"{conn.dbname}_all", f"{conn.dbname}_odd"
    try:
        await restore_backup(ctx, "staging", manifest.id, whole, confirm=whole, reason="round trip",
                             options=RestoreOptions(skip_safety_backup=True))
        copy = dsn_for(backup_env.dsn, whole)
        assert schema_dump(copy) == schema_dump(backup_env.dsn)
        assert fingerprint(copy) == fingerprint(backup_env.dsn)

        result = await restore_backup(ctx, "staging", manifest.id, odd, confirm=odd, reason="one schema",
                                      options=RestoreOptions(skip_safety_backup=True, schemas=('Weird "Schema"',)))
        assert result.tables_checked == 1
        with psycopg.connect(dsn_for(backup_env.dsn, odd)) as c:
            tables = c.execute("SELECT table_schema, table_name FROM information_schema.tables "
                               "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
            assert tables == [('Weird "Schema"', "my table")]
            row = c.execute('SELECT "Naïve col", updated_at::text FROM "Weird ""Schema"""."my table" '
                            "WHERE id = 7").fetchone()
            assert row == ("row 7 tab\there\nnewline \\ backslash", "2025-01-01 00:00:00+00")
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            for db in (whole, odd):
                c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


async def test_rolling_an_environment_back_to_its_own_backup(backup_env: BackupEnv) -> None:
    """The restore people actually run: the environment's own database, back to last night's state, over
    changed data and changed objects (the --clean path: partitions, policies, enums, large objects…)."""
    install_rich(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(MORE_CASES)
        # Hardening set after the functions existed: re-created functions must not lose PUBLIC's EXECUTE.
        c.execute("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
    ctx = backup_env.ctx
    made = await create_backup(ctx, "staging")
    before_schema, before = schema_dump(backup_env.dsn), fingerprint(backup_env.dsn)

    with psycopg.connect(backup_env.dsn, autocommit=True) as c:  # a bad day
        c.execute("DELETE FROM listings WHERE id % 3 = 0")
        c.execute("UPDATE events SET payload = '{}'::jsonb WHERE id < 500")
        c.execute("SELECT lo_unlink(oid) FROM pg_largeobject_metadata LIMIT 2")
        c.execute("DROP POLICY read_active ON listings")
        c.execute("ALTER TABLE listings ADD COLUMN oops text")
        c.execute("REVOKE SELECT ON listings FROM anon")
        c.execute("SELECT setval('invoice_no', 5000)")
        c.execute('TRUNCATE "Weird ""Schema"""."my table"')
    assert fingerprint(backup_env.dsn) != before

    result = await restore_backup(ctx, "staging", made.id, "staging", confirm="staging", reason="roll back")
    assert result.safety_backup_id and "one transaction" in result.strategy
    assert schema_dump(backup_env.dsn) == before_schema
    assert fingerprint(backup_env.dsn) == before

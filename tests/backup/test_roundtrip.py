"""Back up a database full of hard cases, restore it into a new database: identical in every respect."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from services.backup.dump_stream import BackupRequest, dump_to_store
from services.backup.pg_tools import env_connection, tools_for
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.store import store_for
from services.backup.worker import Control
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

"""Faults: a killed backup, a dropped restore connection, damaged archives, concurrent restores, S3 errors."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from botocore.awsrequest import AWSResponse

from services.backup.catalog import list_backups
from services.backup.dump_stream import create_backup
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.store import store_for
from services.backup.verify import verify_backup
from services.core.errors import ConnectionFailure, IntegrityError
from services.core.object_storage import make_client
from tests.backup.conftest import REPO, BackupEnv, dsn_for
from tests.backup.fixtures_sql import digest, fingerprint, install_rich


def bulk(dsn: str, rows: int = 30_000) -> None:
    """About 2 KB of hex per row (zstd halves it): 30,000 rows give a ~30 MB archive in 5 MiB parts."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS blobs (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO blobs SELECT g, string_agg(md5(random()::text || g || i), '') "
                     "FROM generate_series(1, %s) g, generate_series(1, 64) i GROUP BY g", (rows,))


def good_ids(env: BackupEnv) -> list[str]:
    out = env.cli("--json", "backup", "list", "--env", "staging")
    assert out.returncode == 0, out.stderr
    return [e["id"] for e in json.loads(out.stdout) if e["state"] == "good"]


def test_kill_9_midway_leaves_nothing_good_and_the_next_run_cleans_up(backup_env: BackupEnv, s3_location) -> None:
    bulk(backup_env.dsn)
    client = make_client(s3_location)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--workspace", str(backup_env.workspace_path),
                             "--secrets-from-env", "backup", "create", "--env", "staging"], cwd=REPO,
                            env={**__import__("os").environ, **backup_env.secrets}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            uploads = client.list_multipart_uploads(Bucket=backup_env.bucket).get("Uploads", [])
            if uploads and client.list_parts(Bucket=backup_env.bucket, Key=uploads[0]["Key"],
                                             UploadId=uploads[0]["UploadId"]).get("Parts"):
                break
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            time.sleep(0.05)
        else:
            pytest.fail("the backup never got to upload a part")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    listing = json.loads(backup_env.cli("--json", "backup", "list", "--env", "staging").stdout)
    assert [e["state"] for e in listing] == ["unfinished"]  # shown as such, never as good

    out = backup_env.cli("--json", "backup", "create", "--env", "staging")
    assert out.returncode == 0, out.stderr
    made = json.loads(out.stdout)
    assert {"id", "key", "bytes", "sha256", "created_at"} <= set(made)
    assert any("aborted unfinished upload" in n for n in made["notes"])
    assert client.list_multipart_uploads(Bucket=backup_env.bucket).get("Uploads", []) == []
    listing = json.loads(backup_env.cli("--json", "backup", "list", "--env", "staging").stdout)
    assert [(e["id"], e["state"]) for e in listing] == [(made["id"], "good")]


async def test_dropped_connection_mid_restore_leaves_the_target_unchanged(backup_env: BackupEnv, pg_dsn: str) -> None:
    bulk(backup_env.dsn, 20_000)
    m = await create_backup(backup_env.ctx, "staging")
    target = f"{backup_env.env.database.name}_t"
    target_dsn = dsn_for(pg_dsn, target)
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{target}"')
    try:
        install_rich(target_dsn)
        bulk(target_dsn, 500)
        before = digest(fingerprint(target_dsn))
        task = asyncio.create_task(restore_backup(backup_env.ctx, "staging", m.id, target, confirm=target, reason="t",
                                                  options=RestoreOptions(skip_safety_backup=True)))
        killed = False
        with psycopg.connect(pg_dsn, autocommit=True) as watcher:
            for _ in range(600):
                rows = watcher.execute("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'realtor-ops restore%%' "
                                       "AND xact_start IS NOT NULL AND datname = %s", (target,)).fetchall()
                if rows:
                    await asyncio.sleep(0.3)  # midway: the transaction has done work
                    watcher.execute("SELECT pg_terminate_backend(%s)", (rows[0][0],))
                    killed = True
                    break
                await asyncio.sleep(0.02)
        assert killed, "the restoring session never showed up"
        with pytest.raises(ConnectionFailure) as info:
            await task
        assert "unchanged" in info.value.message
        assert digest(fingerprint(target_dsn)) == before
        assert "failed" in backup_env.ctx.audit.entries()[0].outcome
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


@pytest.mark.parametrize("damage", ["corrupted", "truncated"])
async def test_damaged_archives_are_refused_before_the_target_is_touched(
        backup_env: BackupEnv, s3_location, pg_dsn: str, damage: str) -> None:
    install_rich(backup_env.dsn)
    m = await create_backup(backup_env.ctx, "staging")
    client = make_client(s3_location)
    body = bytearray(client.get_object(Bucket=backup_env.bucket, Key=m.key)["Body"].read())
    if damage == "corrupted":
        body[len(body) // 2] ^= 0xFF
    else:
        del body[len(body) * 2 // 3:]
    client.put_object(Bucket=backup_env.bucket, Key=m.key, Body=bytes(body))
    before = digest(fingerprint(backup_env.dsn))
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("SELECT pg_stat_reset()")
    with pytest.raises(IntegrityError) as info:
        await restore_backup(backup_env.ctx, "staging", m.id, "staging", confirm="staging", reason="test")
    assert ("corrupted" if damage == "corrupted" else "truncated") in info.value.message
    assert digest(fingerprint(backup_env.dsn)) == before
    catalog = await list_backups(backup_env.ctx, "staging")
    assert [e.id for e in catalog.entries] == [m.id]  # not even a safety backup was taken
    v = await verify_backup(backup_env.ctx, "staging", m.id)
    assert not v.ok and not v.checksum_ok
    assert (await list_backups(backup_env.ctx, "staging")).entries[0].verification == "failed"


def test_a_second_restore_into_the_same_target_is_refused_with_exit_3(backup_env: BackupEnv, pg_dsn: str) -> None:
    """While a restore into a target runs (anywhere: the lock lives in the target's server), another is refused.

    The test holds that restore lock itself, as a restore on another machine would, so the overlap is
    certain rather than a race between two short restores.
    """
    from services.backup.locks import acquire_lock
    from services.core.pg_tools import PgConn

    bulk(backup_env.dsn, 2_000)
    made = json.loads(backup_env.cli("--json", "backup", "create", "--env", "staging").stdout)
    target = f"{backup_env.env.database.name}_c"
    args = ["backup", "restore", made["id"], "--env", "staging", "--to", target, "--confirm", target,
            "--skip-safety-backup"]
    db = backup_env.env.database
    # Held through another spelling of the same server: the lock is the server's, keyed by the database.
    other_spelling = "localhost" if db.host != "localhost" else "127.0.0.1"
    maintenance = PgConn(host=other_spelling, port=db.port, dbname="postgres", user=db.user, password=None,
                         sslmode="disable")
    holder = acquire_lock(maintenance, f"restore:{target}", "a restore elsewhere")
    try:
        second = backup_env.cli("--json", *args)
        assert second.returncode == 3, second.stdout + second.stderr
        assert "already running" in json.loads(second.stdout)["error"]["message"]
        with psycopg.connect(pg_dsn) as c:
            assert c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone() is None
    finally:
        holder.close()
    try:
        again = backup_env.cli("--json", *args)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["tables_checked"] >= 1
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kw):  # type: ignore[no-untyped-def]
        yield self._body


def _inject(failures: dict[int, int], calls: list[int]):  # type: ignore[no-untyped-def]
    """A botocore hook answering UploadPart with 500 InternalError, ``failures[part]`` times per part."""
    def handler(request, **_kw):  # type: ignore[no-untyped-def]
        from urllib.parse import parse_qs, urlsplit

        part = int(parse_qs(urlsplit(request.url).query)["partNumber"][0])
        calls.append(part)
        if failures.get(part, 0) > 0:
            failures[part] -= 1
            return AWSResponse(request.url, 500, {}, _Raw(
                b"<?xml version='1.0'?><Error><Code>InternalError</Code><Message>injected</Message></Error>"))
        return None
    return handler


async def test_s3_errors_on_a_part_are_retried_then_fail_clearly(backup_env: BackupEnv, s3_location) -> None:
    bulk(backup_env.dsn, 12_000)  # ~12 MB archive: three 5 MiB parts
    store = await store_for(backup_env.ctx, backup_env.env)
    calls: list[int] = []
    store.client.meta.events.register("before-send.s3.UploadPart", _inject({2: 4}, calls))
    m = await create_backup(backup_env.ctx, "staging", store=store)
    assert calls.count(2) == 5 and m.parts >= 3  # four failures, then success

    store = await store_for(backup_env.ctx, backup_env.env)
    calls.clear()
    store.client.meta.events.register("before-send.s3.UploadPart", _inject({2: 10**6}, calls))
    with pytest.raises(ConnectionFailure) as info:
        await create_backup(backup_env.ctx, "staging", store=store)
    assert "Part 2" in info.value.message and "4 attempts" in info.value.message
    assert "aborted" in (info.value.hint or "")
    client = make_client(s3_location)
    assert client.list_multipart_uploads(Bucket=backup_env.bucket).get("Uploads", []) == []
    assert [e.id for e in (await list_backups(backup_env.ctx, "staging")).entries] == [m.id]

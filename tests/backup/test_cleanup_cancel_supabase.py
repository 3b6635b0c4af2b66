"""Cancelling a running backup, cleaning up unfinished uploads, and Supabase's managed schemas and roles."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator

import psutil
import psycopg
import pytest

from services.backup import manifest as mf
from services.backup.catalog import list_backups
from services.backup.dump_stream import create_backup
from services.backup.locks import acquire_lock
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.store import store_for
from services.core.errors import ConfigError
from services.core.object_storage import make_client
from services.core.pg_tools import env_connection
from services.core.progress import Progress
from tests.backup.conftest import BackupEnv, dsn_for
from tests.backup.fixtures_sql import ensure_roles
from tests.backup.test_faults import bulk


def _bucket_state(client, bucket: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return keys, uploads


def _pg_dump_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.name().startswith("pg_dump")]


async def test_cancelling_a_running_backup_aborts_the_upload_and_leaves_nothing(backup_env: BackupEnv,
                                                                                s3_location) -> None:
    """What the jobs panel's Cancel does: cancel the task; pg_dump dies, the multipart upload is aborted."""
    bulk(backup_env.dsn, rows=60_000)  # ~120 MB to dump: seconds, so the cancel lands mid-stream
    client = make_client(s3_location)
    progress = Progress()
    task = asyncio.create_task(create_backup(backup_env.ctx, "staging", progress))
    for _ in range(600):
        await asyncio.sleep(0.05)
        assert not task.done(), task.exception() if task.done() else None
        _keys, uploads = await asyncio.to_thread(_bucket_state, client, backup_env.bucket)
        if uploads and progress.snapshot().done > 0:
            break
    else:
        pytest.fail("the backup never started its upload")
    assert progress.snapshot().done > 0  # the jobs panel had something to show
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    keys, uploads = await asyncio.to_thread(_bucket_state, client, backup_env.bucket)
    assert (keys, uploads) == ([], [])
    assert _pg_dump_children() == []
    catalog = await list_backups(backup_env.ctx, "staging")
    assert catalog.entries == ()
    assert [e.outcome for e in backup_env.ctx.audit.entries() if e.action == "backup create"] == ["cancelled"]


async def test_list_cleanup_spares_a_running_backup_and_removes_dead_leftovers(backup_env: BackupEnv,
                                                                               s3_location) -> None:
    ctx = backup_env.ctx
    store = await store_for(ctx, backup_env.env)
    client = make_client(s3_location)
    unfinished_key = store.archive_key(mf.new_backup_id())
    upload = client.create_multipart_upload(Bucket=backup_env.bucket, Key=unfinished_key)
    client.upload_part(Bucket=backup_env.bucket, Key=unfinished_key, UploadId=upload["UploadId"], PartNumber=1,
                       Body=b"x" * 1024)
    orphan_key = store.archive_key(mf.new_backup_id())
    client.put_object(Bucket=backup_env.bucket, Key=orphan_key, Body=b"half an archive")
    states = {e["key"]: e["state"] for e in json.loads(backup_env.cli("--json", "backup", "list", "--env",
                                                                      "staging").stdout)}
    assert states == {unfinished_key: "unfinished", orphan_key: "orphaned"}

    # Another machine is backing up this environment right now: its young upload must survive.
    conn = await env_connection(ctx, backup_env.env)
    lock = acquire_lock(conn, "backup:staging", "a backup")
    try:
        out = backup_env.cli("backup", "list", "--env", "staging", "--cleanup")
        assert out.returncode == 0, out.stderr
        assert "a backup of it is running now: only leftovers older than 24 h were removed" in out.stdout
        assert _bucket_state(client, backup_env.bucket) == ([orphan_key], [unfinished_key])
    finally:
        lock.close()

    out = backup_env.cli("backup", "list", "--env", "staging", "--cleanup")
    assert out.returncode == 0, out.stderr
    assert f"aborted unfinished upload {unfinished_key}" in out.stdout
    assert f"removed archive without manifest {orphan_key}" in out.stdout
    assert _bucket_state(client, backup_env.bucket) == ([], [])


@contextlib.contextmanager
def _as_dump_role(backup_env: BackupEnv) -> Iterator[str]:
    """The environment backs up as a new login role that may read public's tables and sequences only."""
    role = f"rops_dumper_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(f'CREATE ROLE "{role}" LOGIN')
        c.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        c.execute(f'GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    backup_env.env.database.user = role
    try:
        yield role
    finally:
        with psycopg.connect(backup_env.dsn, autocommit=True) as c:
            c.execute(f'DROP OWNED BY "{role}"')
            c.execute(f'DROP ROLE "{role}"')


async def test_a_dump_role_without_rights_on_managed_schemas_is_told_before_anything_is_written(
        backup_env: BackupEnv, s3_location) -> None:
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY, email text)")
        c.execute("CREATE SCHEMA storage; CREATE TABLE storage.objects (id int PRIMARY KEY, name text)")
        c.execute("CREATE TABLE listings (id int PRIMARY KEY, title text)")
        c.execute("INSERT INTO listings SELECT g, 'Maison ' || g FROM generate_series(1, 25) g")
    with _as_dump_role(backup_env) as role:
        with pytest.raises(ConfigError) as info:
            await create_backup(backup_env.ctx, "staging")
        err = info.value
        assert f"The backup role '{role}' cannot read everything" in err.message
        assert "auth: users" in err.message and "storage: objects" in err.message
        assert "--exclude-schema auth --exclude-schema storage" in (err.hint or "")
        assert _bucket_state(make_client(s3_location), backup_env.bucket) == ([], [])

        made = await create_backup(backup_env.ctx, "staging", exclude_schemas=("auth", "storage"))
        assert made.excluded_schemas == ("auth", "storage")
        assert made.table_rows() == {"public.listings": 25}


async def test_large_objects_the_dump_role_cannot_read_are_named_before_anything_is_written(
        backup_env: BackupEnv, s3_location) -> None:
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE listings (id int PRIMARY KEY, floor_plan oid)")
        private = int(c.execute("SELECT lo_from_bytea(0, '\\x89504e47'::bytea)").fetchone()[0])  # type: ignore[index]
        public = int(c.execute("SELECT lo_from_bytea(0, 'plan'::bytea)").fetchone()[0])  # type: ignore[index]
        c.execute(f"GRANT SELECT ON LARGE OBJECT {public} TO PUBLIC")
        c.execute("INSERT INTO listings VALUES (1, %s), (2, %s)", (private, public))
    with _as_dump_role(backup_env) as role:
        with pytest.raises(ConfigError) as info:
            await create_backup(backup_env.ctx, "staging")
        assert f"cannot read 1 large object of the database (oid {private})" in info.value.message
        assert f'GRANT SELECT ON LARGE OBJECT <oid> TO "{role}"' in (info.value.hint or "")
        assert _bucket_state(make_client(s3_location), backup_env.bucket) == ([], [])
        with psycopg.connect(backup_env.dsn, autocommit=True) as c:
            c.execute(f'GRANT SELECT ON LARGE OBJECT {private} TO "{role}"')
        made = await create_backup(backup_env.ctx, "staging")
        assert made.table_rows() == {"public.listings": 2}


async def test_supabase_target_keeps_its_managed_schemas_and_the_grants_to_its_roles(
        backup_env: BackupEnv, pg_dsn: str) -> None:
    ensure_roles(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA auth; CREATE TABLE auth.users (id int PRIMARY KEY, email text)")
        c.execute("INSERT INTO auth.users VALUES (1, 'then@example.com')")
        c.execute("CREATE TABLE listings (id int PRIMARY KEY, title text, owner int)")
        c.execute("INSERT INTO listings SELECT g, 'Villa ' || g, 1 FROM generate_series(1, 40) g")
        c.execute("ALTER TABLE listings ENABLE ROW LEVEL SECURITY")
        c.execute("CREATE POLICY public_read ON listings FOR SELECT TO anon USING (true)")
        c.execute("GRANT SELECT ON listings TO anon; GRANT ALL ON listings TO service_role")
        trgm = c.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").fetchone() is not None
        if trgm:
            c.execute("CREATE EXTENSION pg_trgm")
    made = await create_backup(backup_env.ctx, "staging")

    # The target: a Supabase project as it is now — its auth schema has moved on since the backup.
    target = f"{psycopg.conninfo.conninfo_to_dict(backup_env.dsn)['dbname']}_supa"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{target}"')
    target_dsn = dsn_for(backup_env.dsn, target)
    try:
        with psycopg.connect(target_dsn, autocommit=True) as c:
            c.execute("CREATE SCHEMA auth; CREATE TABLE auth.users (id int PRIMARY KEY, email text)")
            c.execute("INSERT INTO auth.users VALUES (1, 'now@example.com'), (2, 'new@example.com')")
            c.execute("CREATE SCHEMA storage")
            if trgm:  # the platform's extension, with the platform's objects depending on it
                c.execute("CREATE EXTENSION pg_trgm")
                c.execute("CREATE INDEX users_email_trgm ON auth.users USING gin (email gin_trgm_ops)")
            c.execute("CREATE TABLE listings (id int PRIMARY KEY, title text, owner int)")
            c.execute("INSERT INTO listings VALUES (999, 'changed since', 2)")
            # As every Supabase project has it: new tables in public are open to the API roles.
            c.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, "
                      "service_role")

        result = await restore_backup(backup_env.ctx, "staging", made.id, target, confirm=target, reason="test",
                                      options=RestoreOptions(skip_safety_backup=True))
        assert any("managed schemas" in n for n in result.notes)
        if trgm:
            with psycopg.connect(target_dsn) as c:
                assert c.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email_trgm'").fetchone() == (1,)
        with psycopg.connect(target_dsn) as c:
            assert c.execute("SELECT email FROM auth.users ORDER BY id").fetchall() == [
                ("now@example.com",), ("new@example.com",)]
            assert c.execute("SELECT count(*), min(id), max(id) FROM listings").fetchone() == (40, 1, 40)
            grants = c.execute("SELECT has_table_privilege('anon', 'public.listings', 'SELECT'), "
                               "has_table_privilege('anon', 'public.listings', 'INSERT'), "
                               "has_table_privilege('service_role', 'public.listings', 'DELETE'), "
                               "has_table_privilege('authenticated', 'public.listings', 'SELECT')").fetchone()
            assert grants == (True, False, True, False)
            assert c.execute("SELECT count(*) FROM pg_default_acl").fetchone() == (1,)  # the platform's, kept
            assert c.execute("SELECT policyname, roles::text FROM pg_policies").fetchall() == [("public_read", "{anon}")]

        # Asked for by name, a managed schema is restored too.
        await restore_backup(backup_env.ctx, "staging", made.id, target, confirm=target, reason="test",
                             options=RestoreOptions(skip_safety_backup=True, schemas=("auth",)))
        with psycopg.connect(target_dsn) as c:
            assert c.execute("SELECT email FROM auth.users ORDER BY id").fetchall() == [("then@example.com",)]
            assert c.execute("SELECT count(*) FROM listings").fetchone() == (40,)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


async def test_a_cancel_after_the_point_of_no_return_reports_what_happened() -> None:
    """Work that checks for the cancel stops; work already past its last check (a manifest written,
    a COMMIT sent) finishes, and the task then returns its result instead of claiming 'cancelled'."""
    import threading
    import time

    from services.backup.worker import Control, run_blocking

    for checks, expected in ((True, "cancelled"), (False, "finished")):
        started = threading.Event()

        def work(control: Control, checks: bool = checks, started: threading.Event = started) -> str:
            started.set()
            time.sleep(0.3)
            if checks:
                control.check()
            return "finished"

        task = asyncio.create_task(run_blocking(work))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        try:
            outcome = await task
        except asyncio.CancelledError:
            outcome = "cancelled"
        assert outcome == expected


def test_part_size_grows_with_the_database_so_the_parts_never_run_out() -> None:
    from services.backup.multipart import MAX_PARTS, MIB, choose_part_size

    assert choose_part_size(16, 1_000_000_000) == 16 * MIB  # 1 GB: the setting
    for size in (200 * 10**9, 10**12, 5 * 10**12):
        part = choose_part_size(16, size)
        assert part % MIB == 0 and part > 16 * MIB
        assert 2 * size / part <= MAX_PARTS * 0.9  # room for an archive twice the database's size


async def test_an_archive_that_outgrows_the_part_limit_fails_clearly_and_leaves_nothing(
        backup_env: BackupEnv, s3_location, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import services.backup.multipart as multipart

    bulk(backup_env.dsn)  # more than two parts of 5 MiB once compressed
    monkeypatch.setattr(multipart, "MAX_PARTS", 2)
    with pytest.raises(ConfigError) as info:
        await create_backup(backup_env.ctx, "staging")
    assert "outgrew 2 parts of 5 MiB" in info.value.message and "part_size_mib" in (info.value.hint or "")
    assert _bucket_state(make_client(s3_location), backup_env.bucket) == ([], [])


async def test_a_backup_whose_manifest_is_damaged_is_listed_as_such_never_used_and_never_pruned(
        backup_env: BackupEnv, s3_location) -> None:
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE offices (id int PRIMARY KEY, city text); INSERT INTO offices VALUES (1, 'Nice')")
    made = await create_backup(backup_env.ctx, "staging")
    store = await store_for(backup_env.ctx, backup_env.env)
    make_client(s3_location).put_object(Bucket=backup_env.bucket, Key=store.manifest_key(made.id),
                                        Body=b'{"id": "' + made.id.encode() + b'", "bytes": 12, "sha')  # cut short

    listing = json.loads(backup_env.cli("--json", "backup", "list", "--env", "staging").stdout)
    assert [(e["id"], e["state"]) for e in listing] == [(made.id, "damaged")]
    out = backup_env.cli("backup", "restore", made.id, "--env", "staging", "--to", "scratch_x", "--confirm",
                         "scratch_x", "--skip-safety-backup")
    assert out.returncode == 1
    assert f"The manifest of backup '{made.id}' of 'staging' is unreadable" in out.stderr
    assert "Traceback" not in out.stderr
    prune = json.loads(backup_env.cli("--json", "backup", "prune", "--env", "staging", "--dry-run").stdout)
    assert prune["delete"] == [] and "manifest is unreadable" in prune["keep"][0]["reasons"][0]


async def test_a_second_backup_of_the_same_environment_is_refused_with_exit_3(backup_env: BackupEnv,
                                                                              s3_location) -> None:
    conn = await env_connection(backup_env.ctx, backup_env.env)
    lock = acquire_lock(conn, "backup:staging", "a backup")  # another machine's backup, running now
    try:
        out = backup_env.cli("backup", "create", "--env", "staging")
        assert out.returncode == 3, out.stdout + out.stderr
        assert "A backup of 'staging' is already running" in out.stderr
        assert _bucket_state(make_client(s3_location), backup_env.bucket) == ([], [])
    finally:
        lock.close()
    out = backup_env.cli("backup", "create", "--env", "staging")
    assert out.returncode == 0, out.stderr

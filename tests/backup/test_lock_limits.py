"""Schemas too big for one transaction, on a real server whose lock table is small; roles the target lacks.

The server is a private PostgreSQL 16 (from the wheel) with max_locks_per_transaction = 10 and
max_connections = 20: a lock table of 200 entries, so 250 tables cannot be restored in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sandbox.embedded_postgres import EmbeddedPostgres
from services.backup.catalog import list_backups
from services.backup.dump_stream import create_backup
from services.backup.restore import STRATEGY_NEW_DB, RestoreOptions, restore_backup
from services.backup.restore_swap import swap_in
from services.core import workspace as ws
from services.core.errors import ConfigError, OpsError
from services.core.pg_tools import env_connection
from tests.backup.conftest import build, make_env
from tests.backup.fixtures_sql import digest, fingerprint

TABLES = 250


@pytest.fixture(scope="module")
def tight_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("tight") / "pgdata")
    server.start()
    try:
        with psycopg.connect(server.dsn(), autocommit=True) as c:
            c.execute("ALTER SYSTEM SET max_locks_per_transaction = 10")
            c.execute("ALTER SYSTEM SET max_connections = 20")
        server.stop()
        server.start()
        with psycopg.connect(server.dsn()) as c:
            row = c.execute("SELECT current_setting('max_locks_per_transaction')::int * "
                            "(current_setting('max_connections')::int + "
                            "current_setting('max_prepared_transactions')::int)").fetchone()
        assert row == (200,)
        yield server
    finally:
        server.stop()


def _fresh_db(server: EmbeddedPostgres, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server.dsn(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name


def _many_tables(dsn: str, tag: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        for i in range(TABLES):
            c.execute(f"CREATE TABLE t_{i:03d} (id int PRIMARY KEY, note text NOT NULL)")
            c.execute(f"INSERT INTO t_{i:03d} SELECT g, %s || ' ' || g FROM generate_series(1, {i % 7 + 1}) g",
                      (tag,))


def _databases(server: EmbeddedPostgres) -> set[str]:
    with psycopg.connect(server.dsn()) as c:
        return {r[0] for r in c.execute("SELECT datname FROM pg_database").fetchall()}


@pytest.fixture
def big(tight_pg: EmbeddedPostgres, s3_location, s3_bucket: str, tmp_path: Path,  # type: ignore[no-untyped-def]
        app_dirs: dict[str, Path]):
    source = _fresh_db(tight_pg, "bigsrc")
    target = _fresh_db(tight_pg, "bigtgt")
    _many_tables(tight_pg.dsn(source), "from the backup")
    with psycopg.connect(tight_pg.dsn(target), autocommit=True) as c:
        c.execute("CREATE TABLE current_only (id int PRIMARY KEY)")
        c.execute("INSERT INTO current_only VALUES (1), (2)")
    envs = [make_env("staging", ws.EnvironmentKind.STAGING, tight_pg.dsn(source), s3_location.endpoint_url, s3_bucket),
            make_env("preview", ws.EnvironmentKind.DEVELOPMENT, tight_pg.dsn(target), s3_location.endpoint_url,
                     s3_bucket)]
    ctx, _path, _secrets = build(tmp_path, envs, app_dirs)
    yield ctx, source, target
    with psycopg.connect(tight_pg.dsn(), autocommit=True) as c:
        for name in _databases(tight_pg):
            if name.startswith((source, target)):
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_too_big_for_one_transaction(tight_pg: EmbeddedPostgres, big) -> None:  # type: ignore[no-untyped-def]
    ctx, source, target = big
    made = await create_backup(ctx, "staging")
    assert len(made.table_rows()) == TABLES

    # A new database: restored statement by statement (it would be dropped on failure), all rows there.
    copy = f"{source}_copy"
    result = await restore_backup(ctx, "staging", made.id, copy, confirm=copy, reason="test",
                                  options=RestoreOptions(skip_safety_backup=True))
    assert result.strategy == STRATEGY_NEW_DB and result.tables_checked == TABLES
    assert any("locks needed in one transaction" in n for n in result.notes)
    assert digest(fingerprint(tight_pg.dsn(copy))) == digest(fingerprint(tight_pg.dsn(source)))

    # An existing database: one transaction cannot hold the locks; refused with the figures, unchanged.
    before = digest(fingerprint(tight_pg.dsn(target)))
    with pytest.raises(ConfigError) as info:
        await restore_backup(ctx, "staging", made.id, "preview", confirm="preview", reason="test")
    assert "locks; the server's lock table holds 200" in info.value.message
    assert "--strategy swap" in (info.value.hint or "")
    assert digest(fingerprint(tight_pg.dsn(target))) == before
    catalog = await list_backups(ctx, "preview")
    assert catalog.entries == ()  # refused before any safety backup was taken


async def test_swap_restores_beside_the_target_then_renames_both(tight_pg: EmbeddedPostgres, big) -> None:  # type: ignore[no-untyped-def]
    ctx, source, target = big
    made = await create_backup(ctx, "staging")
    with psycopg.connect(tight_pg.dsn(), autocommit=True) as c:
        c.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rops_app') THEN "
                  "CREATE ROLE rops_app LOGIN; END IF; END $$")
        c.execute(f'REVOKE ALL ON DATABASE "{target}" FROM PUBLIC')
        c.execute(f'GRANT CONNECT ON DATABASE "{target}" TO rops_app')
        c.execute(f'ALTER DATABASE "{target}" SET search_path = "$user", public, extensions')
        c.execute(f"ALTER DATABASE \"{target}\" SET statement_timeout = '5min'")
    before = digest(fingerprint(tight_pg.dsn(target)))

    # A session on the target: refused up front, nothing changed, nothing left behind.
    with psycopg.connect(tight_pg.dsn(target)) as busy:
        busy.execute("SELECT 1")
        with pytest.raises(ConfigError) as info:
            await restore_backup(ctx, "staging", made.id, "preview", confirm="preview", reason="test",
                                 options=RestoreOptions(strategy="swap"))
        assert "1 other session(s) are connected" in info.value.message
    assert digest(fingerprint(tight_pg.dsn(target))) == before
    assert {d for d in _databases(tight_pg) if d.startswith(target)} == {target}

    result = await restore_backup(ctx, "staging", made.id, "preview", confirm="preview", reason="test",
                                  options=RestoreOptions(strategy="swap"))
    assert result.strategy.startswith("into a fresh database beside the target") and result.safety_backup_id
    assert result.tables_checked == TABLES
    assert digest(fingerprint(tight_pg.dsn(target))) == digest(fingerprint(tight_pg.dsn(source)))
    kept = {d for d in _databases(tight_pg) if d.startswith(target)} - {target}
    assert len(kept) == 1 and next(iter(kept)).startswith(f"{target}_before_")
    assert digest(fingerprint(tight_pg.dsn(kept.pop()))) == before  # the old one, untouched
    with psycopg.connect(tight_pg.dsn()) as c:
        acl, = c.execute("SELECT datacl::text FROM pg_database WHERE datname = %s", (target,)).fetchone()  # type: ignore[misc]
        settings = c.execute("SELECT unnest(setconfig) FROM pg_db_role_setting s JOIN pg_database d "
                             "ON d.oid = s.setdatabase WHERE d.datname = %s ORDER BY 1", (target,)).fetchall()
    assert "rops_app=c/" in acl and "=Tc/" not in acl.replace("rops_app", "")  # PUBLIC lost CONNECT/TEMP
    assert settings == [('search_path="$user", public, extensions',), ("statement_timeout=5min",)]
    outcomes = [e.outcome for e in ctx.audit.entries() if e.action == "backup restore"]
    assert "done" in outcomes and any("other session(s) are connected" in o for o in outcomes)


def test_the_switch_is_both_renames_or_neither(tight_pg: EmbeddedPostgres, big) -> None:  # type: ignore[no-untyped-def]
    _ctx, source, target = big
    maint = psycopg.conninfo.conninfo_to_dict(tight_pg.dsn())
    from services.core.pg_tools import PgConn

    conn = PgConn(host=str(maint["host"]), port=int(maint["port"]), dbname="postgres", user="postgres",
                  password=None, sslmode="disable")
    with psycopg.connect(tight_pg.dsn(target)) as busy:  # connected after the up-front check
        busy.execute("SELECT 1")
        with pytest.raises(OpsError) as info:
            swap_in(conn, target, source, f"{target}_before_x")
    assert "other session(s) are connected" in info.value.message
    assert {source, target} <= _databases(tight_pg) and f"{target}_before_x" not in _databases(tight_pg)


async def test_roles_the_target_server_lacks_are_created(tight_pg: EmbeddedPostgres, backup_env, pg_dsn: str,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    """A backup from the system server, granting to a role this private server has never seen."""
    role = f"rops_reader_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(f'CREATE ROLE "{role}" NOLOGIN')
        c.execute("CREATE TABLE offices (id int PRIMARY KEY, city text)")
        c.execute("INSERT INTO offices VALUES (1, 'Lyon'), (2, 'Genève')")
        c.execute(f'GRANT SELECT ON offices TO "{role}"')
    target = _fresh_db(tight_pg, "elsewhere")
    try:
        other = make_env("preview", ws.EnvironmentKind.DEVELOPMENT, tight_pg.dsn(target),
                         backup_env.env.backup.endpoint_url, backup_env.bucket)
        ctx, _path, _secrets = build(tmp_path / "two", [backup_env.env, other], app_dirs)
        made = await create_backup(ctx, "staging")
        assert role in made.extra["roles"]
        assert (await env_connection(ctx, other)).port == tight_pg.port
        result = await restore_backup(ctx, "staging", made.id, "preview", confirm="preview", reason="test")
        assert any(f"created missing roles (NOLOGIN) inside the restore: {role}" in n for n in result.notes)
        with psycopg.connect(tight_pg.dsn(target)) as c:
            assert c.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (False,)
            assert c.execute("SELECT has_table_privilege(%s, 'public.offices', 'SELECT'), count(*) FROM offices",
                             (role,)).fetchone() == (True, 2)
    finally:
        with psycopg.connect(backup_env.dsn, autocommit=True) as c:
            c.execute("DROP TABLE IF EXISTS offices")
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP ROLE IF EXISTS "{role}"')
        with psycopg.connect(tight_pg.dsn(), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            c.execute(f'DROP ROLE IF EXISTS "{role}"')


async def test_a_role_that_may_not_give_objects_to_their_owners_is_told_before_the_restore(  # type: ignore[no-untyped-def]
        backup_env, pg_dsn: str) -> None:
    tag = uuid.uuid4().hex[:6]
    owner, restorer = f"rops_owner_{tag}", f"rops_restorer_{tag}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE ROLE "{owner}" NOLOGIN')
        c.execute(f'CREATE ROLE "{restorer}" LOGIN CREATEDB')
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE offices (id int PRIMARY KEY, city text)")
        c.execute("INSERT INTO offices VALUES (1, 'Lille'), (2, 'Brest')")
        c.execute(f'ALTER TABLE offices OWNER TO "{owner}"')
    target = f"restored_{tag}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{target}" OWNER "{restorer}"')
    with psycopg.connect(psycopg.conninfo.make_conninfo(pg_dsn, dbname=target), autocommit=True) as c:
        c.execute(f'GRANT CREATE ON SCHEMA public TO "{owner}"')  # where the owner's table will live
    try:
        made = await create_backup(backup_env.ctx, "staging")
        backup_env.env.database.user = restorer  # a non-superuser restores
        with pytest.raises(ConfigError) as info:
            await restore_backup(backup_env.ctx, "staging", made.id, target, confirm=target, reason="test",
                                 options=RestoreOptions(skip_safety_backup=True))
        assert f"belong to roles that '{restorer}' may not give objects to: {owner}" in info.value.message
        with psycopg.connect(psycopg.conninfo.make_conninfo(pg_dsn, dbname=target)) as c:
            assert c.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)

        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'GRANT "{owner}" TO "{restorer}"')
        result = await restore_backup(backup_env.ctx, "staging", made.id, target, confirm=target, reason="test",
                                      options=RestoreOptions(skip_safety_backup=True))
        assert result.tables_checked == 1
        with psycopg.connect(psycopg.conninfo.make_conninfo(pg_dsn, dbname=target)) as c:
            assert c.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'offices'").fetchone() == (owner,)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        with psycopg.connect(backup_env.dsn, autocommit=True) as c:
            c.execute("DROP TABLE IF EXISTS offices")
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP ROLE IF EXISTS "{restorer}"')
            c.execute(f'DROP ROLE IF EXISTS "{owner}"')

"""Guards: a target is production's database however its server is spelled; a viewer writes nothing;
ids with impossible dates are not ids; retention never goes below the floor of min_verified backups."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from services.backup.catalog import CatalogEntry
from services.backup.dump_stream import create_backup
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.restore_target import fingerprint, restore_confirmation, same_server_by_name
from services.backup.retention import plan_retention
from services.core import workspace as ws
from services.core.errors import ConfigError, GuardRefusedError
from services.core.object_storage import make_client
from services.core.pg_tools import PgConn
from services.core.workspace import RetentionPolicy
from tests.backup.conftest import BackupEnv, build, dsn_for, make_env


@pytest.fixture
def other_db(pg_dsn: str) -> Iterator[str]:
    """A second database on the same server (production's, in these tests); yields its name."""
    name = f"t_prod_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(dsn_for(pg_dsn, name), autocommit=True) as c:
        c.execute("CREATE TABLE production_marker (id int); INSERT INTO production_marker VALUES (42)")
    try:
        yield name
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _two_envs(backup_env: BackupEnv, tmp_path: Path, app_dirs: dict[str, Path], prod_db: str, prod_host: str,
              prod_port: int | None = None) -> BackupEnv:
    """staging as the fixture has it (127.0.0.1) and production on ``prod_host``: a new workspace."""
    staging = backup_env.env
    production = make_env("production", ws.EnvironmentKind.PRODUCTION, dsn_for(backup_env.dsn, prod_db),
                          staging.backup.endpoint_url, backup_env.bucket)
    production.database.host = prod_host
    production.database.port = prod_port or staging.database.port
    folder = tmp_path / f"ws-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    ctx, path, secrets = build(folder, [staging, production], app_dirs)
    return BackupEnv(ctx, staging, backup_env.dsn, backup_env.bucket, path, secrets)


def _marker(pg_dsn: str, db: str) -> list[str]:
    with psycopg.connect(dsn_for(pg_dsn, db)) as c:
        return [r[0] for r in c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]


# --- a target by another spelling --------------------------------------------------------------------


def test_one_server_many_spellings() -> None:
    same = ["localhost", "LOCALHOST.", "127.0.0.1", "::1", "[::1]", "127.0.0.2", socket.gethostname(),
            socket.gethostname().upper() + ".", "/var/run/postgresql"]
    for host in same:
        assert same_server_by_name("localhost", None, host, 5432) is True, host
        assert same_server_by_name(host, 5432, "127.0.0.1", 5432) is True, host
    assert same_server_by_name("localhost", 5432, "127.0.0.1", 5433) is False  # another port, another server
    assert same_server_by_name("localhost", 5432, "192.0.2.7", 5432) is False  # TEST-NET: not this machine
    assert same_server_by_name("localhost", 5432, "db.example.invalid", 5432) is None  # cannot tell: maybe


def test_the_server_fingerprint_is_the_same_whatever_the_spelling(pg_dsn: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(pg_dsn)
    base = PgConn("127.0.0.1", int(info.get("port") or 5432), "postgres", str(info.get("user") or "postgres"),
                  info.get("password"), "disable")  # type: ignore[arg-type]
    a, b = fingerprint(base), fingerprint(PgConn(**{**base.__dict__, "host": "localhost"}))
    assert a is not None and b is not None and a.same_server(b) and a.started is not None
    assert fingerprint(PgConn(**{**base.__dict__, "port": 1})) is None  # nothing there: no fingerprint


async def test_restore_into_production_by_another_spelling_is_refused(backup_env: BackupEnv, tmp_path: Path,
                                                                      app_dirs: dict[str, Path], other_db: str,
                                                                      pg_dsn: str, s3_location) -> None:
    from sandbox.realtor_schema import install_realtor_schema_sync

    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.02)
    two = _two_envs(backup_env, tmp_path, app_dirs, other_db, prod_host="LocalHost.")
    m = await create_backup(two.ctx, "staging")
    # The CLI: the database's name typed, as for a scratch database: refused, exit 3, production named.
    run = two.cli("backup", "restore", m.id, "--env", "staging", "--to", other_db, "--confirm", other_db)
    assert run.returncode == 3, run.stderr
    assert "production" in run.stderr and "Traceback" not in run.stderr
    run = two.cli("backup", "restore", m.id, "--env", "staging", "--to", other_db, "--confirm", "production")
    assert run.returncode == 3 and "reason" in run.stderr  # production: a reason too
    assert _marker(pg_dsn, other_db) == ["production_marker"]  # untouched
    # What a front end must ask is what the service enforces.
    check = await restore_confirmation(two.ctx, "staging", other_db)
    assert (check.environment, check.confirm_name, check.needs_reason, check.is_environment) == (
        "production", "production", True, True)
    # Typed as production asks: restored, with a safety backup first, filed under production.
    r = await restore_backup(two.ctx, "staging", m.id, other_db, confirm="production", reason="drill",
                             options=RestoreOptions())
    assert r.safety_backup_id is not None
    assert "listings" in _marker(pg_dsn, other_db)
    audit = [e for e in two.ctx.audit.entries() if e.action == "backup restore"]
    assert audit[0].environment == "production" and audit[0].reason == "drill" and audit[0].outcome == "done"
    keys = [o["Key"] for o in make_client(s3_location).list_objects_v2(Bucket=two.bucket).get("Contents", [])]
    assert any("/production/" in k and r.safety_backup_id in k for k in keys)  # filed under production


async def test_in_doubt_the_most_protected_owner_and_no_more(backup_env: BackupEnv, tmp_path: Path,
                                                             app_dirs: dict[str, Path], other_db: str) -> None:
    # Production's host cannot be resolved and its server not asked: the same database name on staging's
    # server may be production's, so production's guard applies.
    two = _two_envs(backup_env, tmp_path, app_dirs, other_db, prod_host="db.production.invalid")
    check = await restore_confirmation(two.ctx, "staging", other_db)
    assert check.environment == "production" and check.needs_reason and "may be" in check.why
    with pytest.raises(GuardRefusedError):
        await restore_backup(two.ctx, "staging", "20250101T000000Z-abcd", other_db, confirm=other_db, reason=None)
    # Production on another port of this machine where nothing listens: surely not the target.
    three = _two_envs(backup_env, tmp_path, app_dirs, other_db, prod_host="127.0.0.1", prod_port=1)
    check = await restore_confirmation(three.ctx, "staging", other_db)
    assert (check.environment, check.confirm_name, check.is_environment) == ("staging", other_db, False)


# --- a viewer writes nothing --------------------------------------------------------------------------


async def test_a_viewer_is_refused_every_writing_command(backup_env: BackupEnv, tmp_path: Path,
                                                         app_dirs: dict[str, Path], other_db: str,
                                                         s3_location) -> None:
    from sandbox.realtor_schema import install_realtor_schema_sync

    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.02)
    two = _two_envs(backup_env, tmp_path, app_dirs, other_db, prod_host="127.0.0.1")
    m = await create_backup(two.ctx, "staging")
    two.ctx.workspace.profile = ws.Profile.VIEWER
    ws.save(two.ctx.workspace, two.workspace_path)
    client = make_client(s3_location)

    def bucket() -> list[str]:
        return sorted(o["Key"] for o in client.list_objects_v2(Bucket=two.bucket).get("Contents", []))

    before = bucket()
    writing = [
        ("backup", "create", "--env", "staging"),
        ("backup", "create", "--env", "production"),
        ("backup", "verify", m.id, "--env", "staging"),
        ("backup", "verify", m.id, "--env", "staging", "--restore-test"),
        ("backup", "prune", "--env", "staging"),
        ("backup", "prune", "--env", "production", "--confirm", "production", "--reason", "x"),
        ("backup", "lifecycle", "--env", "staging", "--apply"),
        ("backup", "list", "--env", "staging", "--cleanup"),
        ("backup", "restore", m.id, "--env", "staging", "--to", "staging", "--confirm", "staging"),
        ("backup", "restore", m.id, "--env", "staging", "--to", "scratch_x", "--confirm", "scratch_x"),
    ]
    for argv in writing:
        run = two.cli(*argv)
        assert run.returncode == 3, (argv, run.stdout, run.stderr)
        assert "viewer" in run.stderr and "Traceback" not in run.stderr, (argv, run.stderr)
    assert bucket() == before  # no verification.json, no backup, nothing deleted
    # Each refusal is in the audit log, as the console's unlock dialog records one (viewer named).
    from services.core.app_context import AppPaths
    from services.core.audit_log import AuditLog

    cli_audit = AuditLog(AppPaths.from_os().data / "audit.sqlite3", workspace=two.ctx.workspace.name)
    refused = [e for e in cli_audit.entries(limit=100) if e.outcome.startswith("refused:")]
    assert len(refused) == len(writing), [(e.action, e.outcome) for e in refused]
    assert {e.action for e in refused} == {"backup create", "backup verify", "backup prune", "backup lifecycle",
                                           "backup list", "backup restore"}
    assert all("viewer" in e.outcome for e in refused)
    assert {e.environment for e in refused} == {"staging", "production"}
    with pytest.raises(Exception):  # noqa: B017 - no lifecycle configuration was ever written
        client.get_bucket_lifecycle_configuration(Bucket=two.bucket)
    # Reading stays open: the catalog, a dry run, the lifecycle rules as they are.
    for argv in (("backup", "list", "--env", "staging"), ("backup", "prune", "--env", "staging", "--dry-run"),
                 ("backup", "lifecycle", "--env", "staging")):
        run = two.cli(*argv)
        assert run.returncode == 0, (argv, run.stderr)
    # The services refuse too (not only the CLI).
    with pytest.raises(GuardRefusedError):
        await create_backup(two.ctx, "production")
    from services.backup.verify import verify_backup

    with pytest.raises(GuardRefusedError):
        await verify_backup(two.ctx, "staging", m.id)


async def test_backup_create_on_production_needs_no_typed_confirmation(backup_env: BackupEnv, tmp_path: Path,
                                                                       app_dirs: dict[str, Path],
                                                                       other_db: str) -> None:
    """A scheduled run from CI is headless: an admin's backup of production just runs (and is audited)."""
    two = _two_envs(backup_env, tmp_path, app_dirs, other_db, prod_host="127.0.0.1")
    run = two.cli("--json", "backup", "create", "--env", "production")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["environment"] == "production"


# --- ids with impossible dates -------------------------------------------------------------------------


def test_impossible_dates_are_not_backup_ids(backup_env: BackupEnv) -> None:
    from services.backup import manifest as mf

    for bad in ("20260229T000000Z-abcd", "20261399T999999Z-abcd", "20250230T120000Z-abcd", "20250101T240000Z-abcd",
                "20250101T235960Z-abcd", "00000101T000000Z-abcd"):
        assert not mf.is_backup_id(bad)
        with pytest.raises(ConfigError):
            mf.id_time(bad)
        for argv in (("backup", "verify", bad, "--env", "staging"),
                     ("backup", "restore", bad, "--env", "staging", "--to", "scratch_y", "--confirm", "scratch_y")):
            run = backup_env.cli(*argv)
            assert run.returncode == 2, (argv, run.stderr)
            assert "not a backup id" in run.stderr and "Traceback" not in run.stderr
    assert mf.is_backup_id("20240229T235959Z-abcd")  # a real leap day


# --- the retention floor -------------------------------------------------------------------------------


def _entry(t: datetime, verification: str = "unverified") -> CatalogEntry:
    bid = t.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:4]
    return CatalogEntry(bid, "production", f"k/{bid}", "good", t, 1, "x", verification, None, "scheduled")


def test_retention_never_goes_below_min_verified() -> None:
    now = datetime(2025, 6, 15, 12, tzinfo=UTC)
    policy = RetentionPolicy(daily=1, weekly=1, monthly=1, yearly=1, min_verified=3)
    # Three good, unverified backups of one day: all three stay, and the dry run says why.
    same_day = [_entry(now - timedelta(hours=h)) for h in (1, 2, 3)]
    plan = plan_retention(same_day, policy, now)
    assert plan.delete == ()
    reasons = {d.entry.id: d.reasons for d in plan.keep}
    for e in same_day[1:]:
        assert any("minimum of 3" in r and "only 0 verified" in r for r in reasons[e.id]), reasons[e.id]
    # One verified (old) and five unverified: the verified one and the two newest unverified make the floor.
    mixed = [_entry(now - timedelta(hours=h)) for h in (1, 2, 3, 4, 5)] + [_entry(now - timedelta(days=40), "verified")]
    plan = plan_retention(mixed, policy, now)
    kept = {d.entry.id for d in plan.keep}
    assert kept == {mixed[0].id, mixed[1].id, mixed[5].id}
    assert {d.entry.id for d in plan.delete} == {mixed[2].id, mixed[3].id, mixed[4].id}
    # Enough verified: unverified ones no longer count toward the floor.
    verified = [_entry(now - timedelta(hours=h), "verified") for h in (1, 2, 3, 4)] + [_entry(now - timedelta(hours=5))]
    plan = plan_retention(verified, policy, now)
    assert {d.entry.id for d in plan.delete} == {verified[3].id, verified[4].id}
    # A failed verification never counts.
    failed = [_entry(now - timedelta(hours=h), "failed") for h in (1, 2)] + [_entry(now - timedelta(hours=3))]
    plan = plan_retention(failed, policy, now)
    assert {d.entry.id for d in plan.delete} == {failed[0].id, failed[1].id}

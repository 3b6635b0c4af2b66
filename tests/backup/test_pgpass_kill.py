"""A killed run (kill -9 of the CLI during a backup and during a restore) leaves no password on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from services.core import workspace as ws
from services.core.pg_tools import PASSFILE_PREFIX, sweep_dead_passfiles
from tests.backup.conftest import REPO, BackupEnv, dsn_for
from tests.backup.test_faults import bulk

# Run the CLI as if the OS had no anonymous in-memory files (macOS, Windows): the file fallback.
NO_MEMFD = ("import os, runpy, sys; del os.memfd_create; sys.argv[0] = 'realtor-ops'; "
            "runpy.run_module('cli.main', run_name='__main__')")


@pytest.fixture
def password_role(backup_env: BackupEnv, pg_dsn: str) -> Iterator[str]:
    """The environment logs in as a role of its own with a password; yields the password."""
    role = f"rops_kill_{uuid.uuid4().hex[:8]}"
    password = f"Pw-kill-{uuid.uuid4().hex}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'")
    backup_env.env.database.user = role
    ws.save(backup_env.ctx.workspace, backup_env.workspace_path)
    backup_env.secrets["STAGING_DATABASE_PASSWORD"] = password
    try:
        yield password
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f"DROP OWNED BY {role} CASCADE")
            c.execute(f"DROP ROLE IF EXISTS {role}")


def _start(be: BackupEnv, tmpdir: Path, *argv: str, memfd: bool = True) -> subprocess.Popen[str]:
    head = [sys.executable, "-m", "cli.main"] if memfd else [sys.executable, "-c", NO_MEMFD]
    env = {**os.environ, **be.secrets, "TMPDIR": str(tmpdir), "TEMP": str(tmpdir), "TMP": str(tmpdir)}
    return subprocess.Popen([*head, "--workspace", str(be.workspace_path), "--secrets-from-env", *argv], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_when(proc: subprocess.Popen[str], child: str, timeout: float = 120) -> None:
    """kill -9 the CLI as soon as ``child`` (pg_dump, psql) runs under it; then wait for its children to end."""
    deadline = time.monotonic() + timeout
    children: list[psutil.Process] = []
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
            # The one that logs in (not the `pg_dump --version` probe): it has been given PGPASSFILE.
            if any(c.name() == child and "PGPASSFILE" in c.environ() for c in children):
                break
        except psutil.Error:
            pass
        time.sleep(0.005)
    else:
        proc.kill()
        pytest.fail(f"{child} never ran")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    _gone, alive = psutil.wait_procs(children, timeout=30)
    for p in alive:  # a child that outlived its parent is not what this test is about
        p.kill()


def _password_files(password: str, *folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and password.encode() in path.read_bytes():
                found.append(str(path))
    return found


def test_kill_9_during_a_backup_leaves_no_password(backup_env: BackupEnv, password_role: str, tmp_path: Path,
                                                   app_dirs: dict[str, Path]) -> None:
    bulk(backup_env.dsn, 15_000)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    _kill_when(_start(backup_env, tmpdir, "backup", "create", "--env", "staging"), "pg_dump")
    assert _password_files(password_role, tmpdir, app_dirs["root"]) == []
    assert list(tmpdir.glob(f"{PASSFILE_PREFIX}*")) == []  # never even written


def test_kill_9_during_a_restore_leaves_no_password(backup_env: BackupEnv, password_role: str, tmp_path: Path,
                                                    app_dirs: dict[str, Path], pg_dsn: str) -> None:
    bulk(backup_env.dsn, 15_000)
    made = backup_env.cli("--json", "backup", "create", "--env", "staging")
    assert made.returncode == 0, made.stderr
    import json

    backup_id = json.loads(made.stdout)["id"]
    target = f"t_killed_{uuid.uuid4().hex[:8]}"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    try:
        _kill_when(_start(backup_env, tmpdir, "backup", "restore", backup_id, "--env", "staging", "--to", target,
                          "--confirm", target), "psql")
        assert _password_files(password_role, tmpdir, app_dirs["root"]) == []
        assert list(tmpdir.glob(f"{PASSFILE_PREFIX}*")) == []
    finally:
        with psycopg.connect(dsn_for(pg_dsn, "postgres"), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_without_anonymous_files_the_next_run_sweeps_a_dead_runs_password(backup_env: BackupEnv,
                                                                         password_role: str, tmp_path: Path) -> None:
    bulk(backup_env.dsn, 15_000)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    _kill_when(_start(backup_env, tmpdir, "backup", "create", "--env", "staging", memfd=False), "pg_dump")
    left = _password_files(password_role, tmpdir)
    assert left and all(PASSFILE_PREFIX in p for p in left)  # the fallback's file, left by the killed run
    # The next start of the app, whatever it does (here: only list the catalog), removes dead runs' folders.
    nxt = _start(backup_env, tmpdir, "backup", "list", "--env", "staging", memfd=False)
    _out, err = nxt.communicate(timeout=300)
    assert nxt.returncode == 0, err
    assert _password_files(password_role, tmpdir) == []
    assert list(tmpdir.glob(f"{PASSFILE_PREFIX}*")) == []


def test_the_sweep_spares_live_processes_and_other_folders(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = tmp_path / f"{PASSFILE_PREFIX}{os.getpid()}-abc"
    gone = tmp_path / f"{PASSFILE_PREFIX}{dead.pid}-abc"
    legacy_new = tmp_path / f"{PASSFILE_PREFIX}x8k2m1"
    legacy_old = tmp_path / f"{PASSFILE_PREFIX}q9w8e7"
    unrelated = tmp_path / "rops-other-1"
    for folder in (mine, gone, legacy_new, legacy_old, unrelated):
        folder.mkdir()
        (folder / "pgpass").write_text("h:5432:*:u:secret\n")
    old = time.time() - 3 * 86400
    os.utime(legacy_old, (old, old))
    if psutil.pid_exists(dead.pid):
        pytest.skip("the dead child's pid was reused already")
    removed = sweep_dead_passfiles(str(tmp_path))
    assert sorted(removed) == sorted([str(gone), str(legacy_old)])
    assert mine.exists() and legacy_new.exists() and unrelated.exists() and not gone.exists()


def test_children_read_the_password_from_the_inherited_anonymous_file(tmp_path: Path) -> None:
    """A server that asks for the password (scram): psql and pg_dump log in with what child_env hands them."""
    from dataclasses import replace

    from psycopg import sql

    from sandbox.embedded_postgres import EmbeddedPostgres
    from services.core.pg_tools import PgConn, child_env

    password = "Pw:with\\colon-" + uuid.uuid4().hex  # pgpass escaping of ':' and '\'
    server = EmbeddedPostgres(tmp_path / "pgdata")
    server.start()
    try:
        with psycopg.connect(server.dsn(), autocommit=True) as c:
            c.execute(sql.SQL("CREATE ROLE pw_user LOGIN PASSWORD {}").format(sql.Literal(password)))
        (server.data_dir / "pg_hba.conf").write_text(
            "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        with psycopg.connect(server.dsn(), autocommit=True) as c:
            c.execute("SELECT pg_reload_conf()")
        conn = PgConn("127.0.0.1", int(server.port or 0), "postgres", "pw_user", password, "disable")
        psql, pg_dump = str(server.program("psql")), str(server.program("pg_dump"))

        def run(c: PgConn, *, inherit: bool = True) -> subprocess.CompletedProcess[str]:
            with child_env(c) as child:
                if sys.platform.startswith("linux"):
                    assert child.env["PGPASSFILE"].startswith("/dev/fd/") and child.pass_fds
                assert password not in "".join(child.env.values())
                first = subprocess.run([psql, "-X", "-At", "--no-password", "-c", "SELECT current_user"],
                                       env=child.env, pass_fds=child.pass_fds if inherit else (),
                                       capture_output=True, text=True, timeout=60)
                if first.returncode != 0:
                    return first
                # Read a second time by another child (libpq opens it afresh on every connection).
                return subprocess.run([pg_dump, "--schema-only", "--no-password"], env=child.env,
                                      pass_fds=child.pass_fds if inherit else (), capture_output=True, text=True,
                                      timeout=60)

        ok = run(conn)
        assert ok.returncode == 0, ok.stderr
        wrong = run(replace(conn, password="not-it"))
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
        if sys.platform.startswith("linux"):
            blind = run(conn, inherit=False)  # a process that did not inherit the descriptor cannot read it
            assert blind.returncode != 0
    finally:
        server.stop()

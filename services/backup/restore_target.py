"""Where a restore goes, and whose guard applies to it: worked out once, here.

A target is the same database as an environment's when it is on the same server with the same name,
however the server is spelled (``localhost``, ``127.0.0.1``, ``::1``, this machine's name or one of its
addresses, upper case, a trailing dot, an address the name resolves to). Two ways to tell, the better first:

1. Ask the servers. Each one that can be reached gives a fingerprint: ``system_identifier`` from
   ``pg_control_system()`` (where the role may read it) and the postmaster's start time with its port
   (always readable). Same fingerprint, same server (a physical replica shares the identifier: treated
   as the same, which only ever asks for more confirmation).
2. Compare the spellings: the port (5432 when unset) and every address each host resolves to, all of
   this machine's own addresses counting as one.

An environment's server that could not be asked and whose host could not be resolved *may* be the
target's: when in doubt the target is treated as that environment's, and of the environments that own
or may own it, the most protected one's guard applies (production: its name typed, a reason, a safety
backup, and the audit log files the restore under production). The connection itself is never swapped:
the restore goes where the user pointed, only the guard changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg

from services.core.errors import ConfigError, ConnectionFailure, FailureKind, OpsError
from services.core.pg_tools import PgConn, env_connection
from services.core.workspace import DatabaseSettings, Environment, EnvironmentKind

if TYPE_CHECKING:
    from services.core.app_context import AppContext

DEFAULT_PORT = 5432
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")
_LOCAL = "this machine"
# Most protected first: whose guard applies when several environments may own the target.
_PROTECTION = {EnvironmentKind.PRODUCTION: 0, EnvironmentKind.STAGING: 1, EnvironmentKind.OTHER: 2,
               EnvironmentKind.DEVELOPMENT: 3}


@dataclass(frozen=True)
class RestoreTarget:
    name: str  # what the user gave: an environment's name or a database name
    env: Environment  # whose guard applies (the most protected environment that owns or may own it)
    conn: PgConn  # where the restore goes: always what the user pointed at
    is_environment: bool  # an environment's database (or may be): its safety backup cannot be skipped
    exists: bool
    confirm_name: str = ""  # what must be typed to confirm
    owners: tuple[str, ...] = ()  # environments whose database this is, or may be
    why: str = ""  # how that was decided, in words

    @property
    def scratch(self) -> bool:
        return not self.is_environment


@dataclass(frozen=True)
class RestoreConfirmation:
    """What a front end must ask before a restore (the service refuses anything else)."""

    environment: str  # whose guard applies; the audit log files the restore under it
    confirm_name: str  # the name to type
    needs_reason: bool
    production: bool
    is_environment: bool  # the target is (or may be) an environment's database
    database: str
    owners: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Fingerprint:
    system_identifier: int | None
    started: datetime | None
    port: str

    def same_server(self, other: Fingerprint) -> bool:
        if self.system_identifier is not None and other.system_identifier is not None:
            return self.system_identifier == other.system_identifier
        return self.started is not None and (self.started, self.port) == (other.started, other.port)


# --- spellings ----------------------------------------------------------------------------------------


def _normal_host(host: str) -> str:
    h = host.strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    return h.rstrip(".")


def _own_addresses() -> set[str]:
    own: set[str] = set()
    with contextlib.suppress(Exception):  # a best effort; the host name's addresses below still count
        import psutil

        for addrs in psutil.net_if_addrs().values():
            for a in addrs:
                if a.family in (socket.AF_INET, socket.AF_INET6):
                    own.add(a.address.split("%", 1)[0])
    for name in {socket.gethostname(), socket.getfqdn()}:
        with contextlib.suppress(OSError, UnicodeError):
            own |= {str(i[4][0]).split("%", 1)[0] for i in socket.getaddrinfo(name, None)}
    return own


def _canonical(address: str, own: set[str]) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified or str(ip) in own:
        return _LOCAL
    return str(ip)


def host_addresses(host: str, own: set[str] | None = None) -> frozenset[str] | None:
    """Every address ``host`` stands for (this machine's all count as one), or None if it cannot be resolved."""
    h = _normal_host(host)
    if not h or h.startswith("/"):
        return frozenset({_LOCAL})  # a Unix socket folder: a server on this machine
    own = _own_addresses() if own is None else own
    try:
        ipaddress.ip_address(h.split("%", 1)[0])
        return frozenset({_canonical(h, own)})
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(h, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    found = frozenset(_canonical(str(i[4][0]), own) for i in infos)
    return found or None


def same_server_by_name(host_a: str, port_a: int | None, host_b: str, port_b: int | None,
                        own: set[str] | None = None) -> bool | None:
    """True/False from the spellings alone; None when a host cannot be resolved (so: maybe)."""
    if (port_a or DEFAULT_PORT) != (port_b or DEFAULT_PORT):
        return False
    if _normal_host(host_a) == _normal_host(host_b):
        return True
    own = _own_addresses() if own is None else own
    a, b = host_addresses(host_a, own), host_addresses(host_b, own)
    if a is None or b is None:
        return None
    return bool(a & b)


# --- asking the servers ----------------------------------------------------------------------------------


def fingerprint(conn: PgConn) -> Fingerprint | None:
    """The server's identity, or None when it cannot be reached with these credentials."""
    for dbname in dict.fromkeys((conn.dbname, "postgres", "template1")):
        try:
            with conn.with_db(dbname).with_app("realtor-ops target check").connect() as c:
                started, port = c.execute("SELECT pg_postmaster_start_time(), current_setting('port')").fetchone() \
                    or (None, "")
                sysid = None
                with contextlib.suppress(psycopg.Error):
                    row = c.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
                    sysid = int(row[0]) if row else None
                return Fingerprint(sysid, started, str(port))
        except ConnectionFailure as exc:
            if exc.kind not in (FailureKind.NOT_FOUND, FailureKind.PERMISSION):
                return None  # unreachable: trying other databases would only wait again
        except psycopg.Error:
            continue
    return None


@dataclass(frozen=True)
class _Candidate:
    env: Environment
    places: tuple[DatabaseSettings, ...]  # its database settings whose name is the target's
    conn: PgConn | None  # to ask its server (None: no credentials here)


def _judge(target: PgConn, candidates: list[_Candidate]) -> list[tuple[Environment, str]]:
    """The candidates that own the target or may own it, each with why (blocking: connects)."""
    if not candidates:
        return []
    own = _own_addresses()
    mine = fingerprint(target)
    owners: list[tuple[Environment, str]] = []
    for cand in candidates:
        theirs = fingerprint(cand.conn) if cand.conn is not None and mine is not None else None
        spot = f"{target.host}:{target.port}/{target.dbname}"
        if mine is not None and theirs is not None:
            if mine.same_server(theirs):
                owners.append((cand.env, f"{spot} is {cand.env.name}'s database (the same server, asked: "
                                         "its system identifier / start time match)"))
            continue
        verdicts = [same_server_by_name(target.host, target.port, p.host, p.port, own) for p in cand.places]
        if any(v is True for v in verdicts):
            shown = ", ".join(f"{p.host}:{p.port or DEFAULT_PORT}" for p in cand.places)
            owners.append((cand.env, f"{spot} is {cand.env.name}'s database ({shown}: the same server by its "
                                     "addresses and port)"))
        elif any(v is None for v in verdicts):
            owners.append((cand.env, f"{spot} may be {cand.env.name}'s database (same name; its server could not "
                                     "be asked and its host could not be resolved, so it is treated as "
                                     f"{cand.env.name}'s)"))
    return owners


async def resolve_target(ctx: AppContext, source: Environment, target: str) -> RestoreTarget:
    """The target's connection and the guard that applies to it (see the module text)."""
    envs: dict[str, Environment] = ctx.workspace.environments
    named = envs.get(target)
    if named is not None:
        conn = await env_connection(ctx, named)
    elif not _DB_NAME.match(target):
        raise ConfigError(f"'{target}' is neither an environment nor a database name",
                          hint="Give an environment's name, or a plain database name on the same server")
    else:
        conn = (await env_connection(ctx, source)).with_db(target)
    candidates: list[_Candidate] = []
    for env in envs.values():
        places = tuple(p for p in (env.database, env.direct_database) if p.configured and p.name == conn.dbname)
        if not places:
            continue
        try:
            their = await env_connection(ctx, env)
        except OpsError:
            their = None  # no password here: judged by its addresses
        candidates.append(_Candidate(env, places, their))
    owners = await asyncio.to_thread(_judge, conn, candidates)
    if named is not None and named.name not in [e.name for e, _ in owners]:
        owners.insert(0, (named, f"{conn.host}:{conn.port}/{conn.dbname} is {named.name}'s database"))
    if not owners:
        return RestoreTarget(target, source, conn, False, True, confirm_name=target,
                             why=f"{conn.dbname} on {conn.host}:{conn.port} is no environment's database")
    owners.sort(key=lambda o: (_PROTECTION.get(o[0].kind, 2), o[0].name != (named.name if named else "")))
    guard_env, why = owners[0]
    return RestoreTarget(target, guard_env, conn, True, True, confirm_name=guard_env.name,
                         owners=tuple(e.name for e, _ in owners), why=why)


async def restore_confirmation(ctx: AppContext, env_name: str, target: str) -> RestoreConfirmation:
    """What to ask before restoring a backup of ``env_name`` into ``target`` (an environment or a database)."""
    source = ctx.workspace.environment(env_name)
    t = await resolve_target(ctx, source, target)
    return RestoreConfirmation(t.env.name, t.confirm_name, t.env.is_production, t.env.is_production,
                               t.is_environment, t.conn.dbname, t.owners, t.why)

"""PostgreSQL advisory locks: one backup of an environment, one restore into a database, at a time.

A lock is held by a session in the database it protects, so it holds across machines, and it ends with
the session (a killed run releases it).
"""

from __future__ import annotations

import zlib

import psycopg

from services.core.errors import LockHeldError
from services.core.pg_tools import PgConn

LOCK_CLASS = 0x524F5053  # "ROPS": the advisory-lock namespace of this app


def lock_key(name: str) -> tuple[int, int]:
    """Two int4 keys for pg_advisory_lock: this app's namespace and a hash of the name."""
    h = zlib.crc32(name.encode("utf-8"))
    return LOCK_CLASS, h - (1 << 32) if h >= 1 << 31 else h


def acquire_lock(conn: PgConn, name: str, what: str) -> psycopg.Connection:
    """A session holding advisory lock ``name`` in ``conn``'s database, or LockHeldError."""
    session = conn.with_app(f"realtor-ops lock {name}"[:63]).connect()
    k1, k2 = lock_key(name)
    row = session.execute("SELECT pg_try_advisory_lock(%s, %s)", (k1, k2)).fetchone()
    if not row or not row[0]:
        holder = session.execute(
            "SELECT a.application_name, a.client_addr::text, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = %s::oid "
            "AND l.objid = (%s::bigint & 4294967295)::oid AND l.granted LIMIT 1", (k1 & 0xFFFFFFFF, k2)).fetchone()
        session.close()
        since = f", since {holder[2]:%Y-%m-%d %H:%M:%S %Z}" if holder and holder[2] else ""
        raise LockHeldError(f"{what} is already running{since}",
                            hint="Wait for it to finish (it shows in the jobs panel or the other terminal)")
    return session

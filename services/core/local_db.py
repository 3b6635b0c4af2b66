"""The local SQLite stores' one way of opening: a long-lived connection (health history, cost snapshots),
WAL, shared by the loop's worker threads behind the store's own lock, the schema created and its version
recorded; or a short-lived WAL connection per use (audit log, timeline cache)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def open_store(path: Path | str, schema: str, version: int) -> sqlite3.Connection:
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(version),))
    return db


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection for one use (``with connect(p) as db:`` commits or rolls back), WAL mode."""
    db = sqlite3.connect(str(path), timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    return db


@contextmanager
def transaction(db: sqlite3.Connection, lock: threading.Lock, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
    """One transaction on a store's connection, under its lock: COMMIT when the block ends, ROLLBACK on
    any error (``immediate`` takes the write lock at BEGIN, for read-then-write blocks)."""
    with lock:
        db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

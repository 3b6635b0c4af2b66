"""The timeline's last-known events per source and environment (SQLite in the data folder), so a
source that cannot be reached still shows what it last said, marked with when."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from services.core.local_db import connect
from services.timeline.model import Event

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reads (source TEXT, env TEXT, at TEXT, PRIMARY KEY (source, env));
CREATE TABLE IF NOT EXISTS events (source TEXT, env TEXT, id TEXT, time TEXT, doc TEXT,
                                   PRIMARY KEY (source, env, id));
"""


class TimelineCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def store(self, source: str, env: str, events: list[Event], since: datetime) -> None:
        """What ``source`` said of ``env`` from ``since`` on replaces what was kept for that span."""
        with self._lock, self._connect() as db:
            db.execute("DELETE FROM events WHERE source = ? AND env = ? AND time >= ?", (source, env, since.isoformat()))
            db.executemany("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?)",
                           [(source, env, e.id, e.time.isoformat(), json.dumps(e.to_json())) for e in events])
            db.execute("INSERT OR REPLACE INTO reads VALUES (?, ?, ?)", (source, env, datetime.now(UTC).isoformat()))

    def load(self, source: str, env: str, since: datetime) -> tuple[list[Event], datetime | None]:
        """The last-known events of ``source`` for ``env`` since then, and when they were read."""
        with self._lock, self._connect() as db:
            read = db.execute("SELECT at FROM reads WHERE source = ? AND env = ?", (source, env)).fetchone()
            rows = db.execute("SELECT doc FROM events WHERE source = ? AND env = ? AND time >= ?",
                              (source, env, since.isoformat())).fetchall()
        events = []
        for (doc,) in rows:
            try:
                events.append(Event.from_json(json.loads(doc)))
            except (ValueError, KeyError, TypeError):
                continue  # a row from another version of the console: skipped, the rest is shown
        return events, datetime.fromisoformat(read[0]) if read else None

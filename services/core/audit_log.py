"""The audit log: every action that changes something (who, when, environment, what, outcome).

SQLite in the OS data folder. Entries are appended, never edited. Values written here pass through
the secret masker first, so a secret typed into a reason or carried in an error never lands on disk.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import socket
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.core.local_db import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    host TEXT NOT NULL,
    workspace TEXT NOT NULL,
    environment TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    host: str
    workspace: str
    environment: str
    action: str
    target: str
    reason: str
    outcome: str
    details: dict[str, Any]


class AuditLog:
    def __init__(self, path: Path, *, workspace: str, mask: Callable[[str], str] = lambda s: s) -> None:
        self.path = path
        self.workspace = workspace
        self._mask = mask
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path)

    def record(self, *, environment: str, action: str, outcome: str, target: str = "", reason: str = "",
               details: dict[str, Any] | None = None, actor: str | None = None) -> int:
        try:
            who = actor or getpass.getuser()
        except Exception:
            who = "unknown"
        row = (
            datetime.now(UTC).isoformat(timespec="milliseconds"),
            who,
            socket.gethostname(),
            self.workspace,
            environment,
            action,
            self._mask(target),
            self._mask(reason),
            self._mask(outcome),
            self._mask(json.dumps(details or {}, default=str, sort_keys=True)),
        )
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO audit(at, actor, host, workspace, environment, action, target, reason, outcome,"
                " details) VALUES (?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            return int(cur.lastrowid or 0)

    async def arecord(self, **kwargs: Any) -> int:
        return await asyncio.to_thread(lambda: self.record(**kwargs))

    def entries(self, *, limit: int = 500, environment: str | None = None) -> list[AuditEntry]:
        sql = "SELECT * FROM audit"
        args: list[Any] = []
        if environment:
            sql += " WHERE environment = ?"
            args.append(environment)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        with self._lock, self._connect() as db:
            rows = db.execute(sql, args).fetchall()
        return [
            AuditEntry(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
                       json.loads(r[10]))
            for r in rows
        ]

"""Daily cost rows in SQLite (the data folder's ``costs.sqlite3``), like the health history.

Idempotent per day and source: ``replace_days`` swaps every row one collector wrote for an
environment on those days in one transaction, so collecting twice never counts twice. Raw usage
the providers keep only briefly (R2: 31 days) stays here as the rows' quantities.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from services.core.local_db import open_store, transaction
from services.costs.model import Category, CostRow, RowSource

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    day TEXT NOT NULL, env TEXT NOT NULL, collector TEXT NOT NULL, provider TEXT NOT NULL,
    service TEXT NOT NULL, category TEXT NOT NULL, quantity TEXT NOT NULL, unit TEXT NOT NULL,
    cost_cents INTEGER NOT NULL, currency TEXT NOT NULL, source TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS rows_by_day ON rows (day);
CREATE INDEX IF NOT EXISTS rows_by_collector ON rows (env, collector, day);
CREATE TABLE IF NOT EXISTS collected (
    env TEXT NOT NULL, collector TEXT NOT NULL, day TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (env, collector, day));
"""


class CostStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_store(path, _SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> CostStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self._lock, immediate=True)

    def replace_days(self, env: str, collector: str, days: Iterable[date], rows: Iterable[CostRow],
                     *, at: datetime | None = None) -> int:
        """Make ``rows`` the collector's rows for ``env`` on ``days`` (and only those). Returns rows written."""
        day_set = sorted({d.isoformat() for d in days})
        items = list(rows)
        stray = [r for r in items if r.date.isoformat() not in day_set]
        if stray:
            raise ValueError(f"{collector} produced a row for {stray[0].date}, outside the days it replaces")
        stamp = (at or datetime.now(UTC)).timestamp()
        with self._tx() as db:
            for day in day_set:
                db.execute("DELETE FROM rows WHERE env = ? AND collector = ? AND day = ?", (env, collector, day))
                db.execute("INSERT INTO collected VALUES (?, ?, ?, ?) ON CONFLICT (env, collector, day)"
                           " DO UPDATE SET at = excluded.at", (env, collector, day, stamp))
            db.executemany(
                "INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.date.isoformat(), r.environment, collector, r.provider, r.service, r.category.value,
                  str(r.quantity), r.unit, int(r.cost * 100), r.currency, r.source.value, r.note) for r in items])
        return len(items)

    def rows(self, start: date, end: date, env: str | None = None) -> list[CostRow]:
        """Rows with ``start <= day < end`` (optionally of one environment), in date order."""
        sql = ("SELECT day, env, provider, service, category, quantity, unit, cost_cents, currency, source, note"
               " FROM rows WHERE day >= ? AND day < ?")
        args: list[object] = [start.isoformat(), end.isoformat()]
        if env is not None:
            sql += " AND env = ?"
            args.append(env)
        sql += " ORDER BY day, env, provider, service"
        with self._lock:
            raw = self._db.execute(sql, args).fetchall()
        return [CostRow(date.fromisoformat(d), e, p, s, Category(c), Decimal(q), u, Decimal(int(cc)) / 100, cur,
                        RowSource(src), note) for d, e, p, s, c, q, u, cc, cur, src, note in raw]

    def collected_days(self, env: str, collector: str) -> set[date]:
        with self._lock:
            raw = self._db.execute("SELECT day FROM collected WHERE env = ? AND collector = ?",
                                   (env, collector)).fetchall()
        return {date.fromisoformat(r[0]) for r in raw}

    def months(self, env: str | None = None) -> list[str]:
        sql = "SELECT DISTINCT substr(day, 1, 7) FROM rows"
        args: tuple[object, ...] = ()
        if env is not None:
            sql += " WHERE env = ?"
            args = (env,)
        with self._lock:
            return sorted(r[0] for r in self._db.execute(sql + " ORDER BY 1", args).fetchall())

    def monthly_totals(self, env: str | None = None) -> list[tuple[str, Decimal]]:
        sql = "SELECT substr(day, 1, 7), sum(cost_cents) FROM rows"
        args: tuple[object, ...] = ()
        if env is not None:
            sql += " WHERE env = ?"
            args = (env,)
        with self._lock:
            raw = self._db.execute(sql + " GROUP BY 1 ORDER BY 1", args).fetchall()
        return [(m, Decimal(int(c)) / 100) for m, c in raw]

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (key, value))

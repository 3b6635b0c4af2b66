"""Health history in SQLite (the app's data folder): bounded, queryable, restart-proof.

* raw results for 7 days, hourly aggregates for 90 days, daily aggregates for 2 years;
* uptime over 24 h / 7 d / 30 d: results that were up or degraded, out of those that were up,
  degraded or down ("unknown" — not checked, or the check itself failed — counts for neither side);
  24 h and 7 d come from the raw results, 30 d from the hourly aggregates (whole hours);
* incidents: the confirmed state leaving "up" opens one (its severity is the worst state reached),
  returning to "up" closes it, with start, end and duration;
* the last confirmed state of every check, so a restart neither re-opens incidents nor notifies
  again, and the last known result of every check, shown with its age when offline.

All methods are blocking and thread-safe; the poller calls them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.core.local_db import open_store, transaction
from services.health.model import CheckResult, Part, Status, Transition

RAW_DAYS = 7
HOURLY_DAYS = 90
DAILY_DAYS = 730
SCHEMA_VERSION = 1
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY, env TEXT NOT NULL, check_name TEXT NOT NULL, ts REAL NOT NULL,
    status TEXT NOT NULL, latency_ms REAL, detail TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS results_by_check ON results (env, check_name, ts);
CREATE INDEX IF NOT EXISTS results_by_ts ON results (ts);
CREATE TABLE IF NOT EXISTS hourly (
    env TEXT NOT NULL, check_name TEXT NOT NULL, bucket INTEGER NOT NULL,
    n_up INTEGER NOT NULL DEFAULT 0, n_degraded INTEGER NOT NULL DEFAULT 0, n_down INTEGER NOT NULL DEFAULT 0,
    n_unknown INTEGER NOT NULL DEFAULT 0, lat_sum REAL NOT NULL DEFAULT 0, lat_n INTEGER NOT NULL DEFAULT 0,
    lat_min REAL, lat_max REAL, PRIMARY KEY (env, check_name, bucket));
CREATE TABLE IF NOT EXISTS daily (
    env TEXT NOT NULL, check_name TEXT NOT NULL, bucket INTEGER NOT NULL,
    n_up INTEGER NOT NULL DEFAULT 0, n_degraded INTEGER NOT NULL DEFAULT 0, n_down INTEGER NOT NULL DEFAULT 0,
    n_unknown INTEGER NOT NULL DEFAULT 0, lat_sum REAL NOT NULL DEFAULT 0, lat_n INTEGER NOT NULL DEFAULT 0,
    lat_min REAL, lat_max REAL, PRIMARY KEY (env, check_name, bucket));
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY, env TEXT NOT NULL, check_name TEXT NOT NULL, status TEXT NOT NULL,
    started REAL NOT NULL, ended REAL, detail TEXT NOT NULL, end_detail TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS incidents_by_check ON incidents (env, check_name, started);
CREATE TABLE IF NOT EXISTS confirmed (
    env TEXT NOT NULL, check_name TEXT NOT NULL, status TEXT NOT NULL, since REAL NOT NULL,
    PRIMARY KEY (env, check_name));
"""


def _ts(when: datetime) -> float:
    return when.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass(frozen=True)
class Incident:
    id: int
    env: str
    check: str
    status: Status  # the worst confirmed state during the incident
    started: datetime
    ended: datetime | None
    detail: str
    end_detail: str = ""

    @property
    def open(self) -> bool:
        return self.ended is None

    def duration(self, now: datetime | None = None) -> timedelta:
        end = self.ended or now or datetime.now(UTC)
        return end - self.started


@dataclass(frozen=True)
class LatencyPoint:
    at: datetime
    latency_ms: float | None
    status: Status
    # For aggregated points: fastest and slowest in the bucket.
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Counts:
    up: int = 0
    degraded: int = 0
    down: int = 0
    unknown: int = 0

    @property
    def uptime(self) -> float | None:
        """Share of the known results that were up or degraded (None: no known result)."""
        known = self.up + self.degraded + self.down
        return None if known == 0 else (self.up + self.degraded) / known


class HealthHistory:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = open_store(path, _SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self._lock)

    # --- writing ----------------------------------------------------------------------------------
    def record(self, res: CheckResult) -> None:
        self.record_batch([res])

    def record_batch(self, items: list[CheckResult | Transition]) -> None:
        """Results and state changes, in order, in one transaction (the poller batches its writes)."""
        with self._tx() as db:
            for item in items:
                if isinstance(item, Transition):
                    self._transition(db, item)
                else:
                    self._result(db, item)

    def _result(self, db: sqlite3.Connection, res: CheckResult) -> None:
        ts = _ts(res.checked_at)
        payload = json.dumps({"parts": [_part_json(p) for p in res.parts], "metrics": res.metrics})
        column = {Status.UP: "n_up", Status.DEGRADED: "n_degraded", Status.DOWN: "n_down"}.get(res.status, "n_unknown")
        lat = res.latency_ms
        db.execute("INSERT INTO results (env, check_name, ts, status, latency_ms, detail, payload)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (res.env, res.check, ts, res.status.value, lat, res.detail, payload))
        for table, size in (("hourly", 3600), ("daily", 86400)):
            bucket = int(ts // size * size)
            db.execute(f"INSERT OR IGNORE INTO {table} (env, check_name, bucket) VALUES (?, ?, ?)",
                       (res.env, res.check, bucket))
            if lat is None:
                db.execute(f"UPDATE {table} SET {column} = {column} + 1"
                           " WHERE env = ? AND check_name = ? AND bucket = ?", (res.env, res.check, bucket))
            else:
                db.execute(f"UPDATE {table} SET {column} = {column} + 1, lat_sum = lat_sum + ?, lat_n = lat_n + 1,"
                           " lat_min = min(coalesce(lat_min, ?), ?), lat_max = max(coalesce(lat_max, ?), ?)"
                           " WHERE env = ? AND check_name = ? AND bucket = ?",
                           (lat, lat, lat, lat, lat, res.env, res.check, bucket))

    def _transition(self, db: sqlite3.Connection, tr: Transition) -> None:
        ts = _ts(tr.at)
        db.execute("INSERT INTO confirmed VALUES (?, ?, ?, ?) ON CONFLICT (env, check_name)"
                   " DO UPDATE SET status = excluded.status, since = excluded.since",
                   (tr.env, tr.check, tr.new.value, ts))
        row = db.execute("SELECT id, status FROM incidents WHERE env = ? AND check_name = ? AND ended IS NULL"
                         " ORDER BY started DESC LIMIT 1", (tr.env, tr.check)).fetchone()
        if tr.new in (Status.DOWN, Status.DEGRADED):
            if row is None:
                db.execute("INSERT INTO incidents (env, check_name, status, started, detail) VALUES (?, ?, ?, ?, ?)",
                           (tr.env, tr.check, tr.new.value, ts, tr.detail))
            elif tr.new.severity > Status(row[1]).severity:
                db.execute("UPDATE incidents SET status = ?, detail = ? WHERE id = ?",
                           (tr.new.value, tr.detail, row[0]))
        elif tr.new is Status.UP and row is not None:
            db.execute("UPDATE incidents SET ended = ?, end_detail = ? WHERE id = ?", (ts, tr.detail, row[0]))

    def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Drop what is older than each tier keeps; returns the rows removed per table."""
        now_ts = _ts(now or datetime.now(UTC))
        removed: dict[str, int] = {}
        with self._tx() as db:
            for table, column, days in (("results", "ts", RAW_DAYS), ("hourly", "bucket", HOURLY_DAYS),
                                        ("daily", "bucket", DAILY_DAYS)):
                cur = db.execute(f"DELETE FROM {table} WHERE {column} < ?", (now_ts - days * 86400,))
                removed[table] = cur.rowcount
            cur = db.execute("DELETE FROM incidents WHERE ended IS NOT NULL AND ended < ?",
                             (now_ts - DAILY_DAYS * 86400,))
            removed["incidents"] = cur.rowcount
        return removed

    # --- reading ----------------------------------------------------------------------------------
    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[Any]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def counts(self, env: str, check: str, since: datetime, until: datetime) -> Counts:
        """Result counts between ``since`` (exclusive) and ``until`` (inclusive), from the raw results."""
        rows = self._query("SELECT status, count(*) FROM results WHERE env = ? AND check_name = ? AND ts > ?"
                           " AND ts <= ? GROUP BY status", (env, check, _ts(since), _ts(until)))
        by = {str(s): int(n) for s, n in rows}
        return Counts(by.get("up", 0), by.get("degraded", 0), by.get("down", 0), by.get("unknown", 0))

    def hourly_counts(self, env: str, check: str, since: datetime, until: datetime) -> Counts:
        """Counts of the whole hours that start at or after ``since`` and before ``until``."""
        rows = self._query("SELECT sum(n_up), sum(n_degraded), sum(n_down), sum(n_unknown) FROM hourly"
                           " WHERE env = ? AND check_name = ? AND bucket >= ? AND bucket < ?",
                           (env, check, _ts(since), _ts(until)))
        up, degraded, down, unknown = (int(v or 0) for v in rows[0])
        return Counts(up, degraded, down, unknown)

    def uptime(self, env: str, check: str, window: timedelta, now: datetime | None = None) -> float | None:
        now = now or datetime.now(UTC)
        if window <= timedelta(days=RAW_DAYS):
            return self.counts(env, check, now - window, now).uptime
        start = datetime.fromtimestamp((_ts(now - window) // 3600 + 1) * 3600, UTC)
        return self.hourly_counts(env, check, start, now + timedelta(hours=1)).uptime

    def uptimes(self, env: str, check: str, now: datetime | None = None) -> dict[str, float | None]:
        now = now or datetime.now(UTC)
        return {name: self.uptime(env, check, window, now) for name, window in WINDOWS.items()}

    def latency(self, env: str, check: str, since: datetime, until: datetime | None = None) -> list[LatencyPoint]:
        """Raw points within the raw tier; older spans come as hourly (or daily) averages."""
        until = until or datetime.now(UTC)
        span = until - since
        if span <= timedelta(days=RAW_DAYS):
            rows = self._query("SELECT ts, latency_ms, status FROM results WHERE env = ? AND check_name = ?"
                               " AND ts > ? AND ts <= ? ORDER BY ts", (env, check, _ts(since), _ts(until)))
            return [LatencyPoint(_dt(float(ts)), None if lat is None else float(lat), Status(str(st)))
                    for ts, lat, st in rows]
        table = "hourly" if span <= timedelta(days=HOURLY_DAYS) else "daily"
        rows = self._query(f"SELECT bucket, lat_sum, lat_n, lat_min, lat_max, n_up, n_degraded, n_down FROM {table}"
                           " WHERE env = ? AND check_name = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket",
                           (env, check, _ts(since), _ts(until)))
        points = []
        for bucket, lat_sum, lat_n, lo, hi, n_up, n_deg, n_down in rows:
            status = Status.DOWN if n_down else Status.DEGRADED if n_deg else Status.UP if n_up else Status.UNKNOWN
            avg = float(lat_sum) / int(lat_n) if lat_n else None
            points.append(LatencyPoint(_dt(float(bucket)), avg, status, lo, hi))
        return points

    def recent(self, env: str, check: str, limit: int = 100) -> list[CheckResult]:
        rows = self._query("SELECT env, check_name, ts, status, latency_ms, detail, payload FROM results"
                           " WHERE env = ? AND check_name = ? ORDER BY ts DESC LIMIT ?", (env, check, limit))
        return [_result(row) for row in rows]

    def last_known(self) -> list[CheckResult]:
        """The newest stored result of every (environment, check)."""
        rows = self._query(
            "SELECT r.env, r.check_name, r.ts, r.status, r.latency_ms, r.detail, r.payload FROM results r"
            " JOIN (SELECT env, check_name, max(ts) AS ts FROM results GROUP BY env, check_name) m"
            " ON r.env = m.env AND r.check_name = m.check_name AND r.ts = m.ts")
        return [_result(row) for row in rows]

    def confirmed_states(self) -> dict[tuple[str, str], tuple[Status, datetime]]:
        rows = self._query("SELECT env, check_name, status, since FROM confirmed")
        return {(str(e), str(c)): (Status(str(s)), _dt(float(t))) for e, c, s, t in rows}

    def incidents(self, env: str | None = None, check: str | None = None, *, since: datetime | None = None,
                  limit: int = 500) -> list[Incident]:
        """Newest first; ``since`` keeps incidents still open or ended after it."""
        sql = "SELECT id, env, check_name, status, started, ended, detail, end_detail FROM incidents WHERE 1=1"
        args: list[object] = []
        if env is not None:
            sql += " AND env = ?"
            args.append(env)
        if check is not None:
            sql += " AND check_name = ?"
            args.append(check)
        if since is not None:
            sql += " AND (ended IS NULL OR ended > ?)"
            args.append(_ts(since))
        sql += " ORDER BY started DESC LIMIT ?"
        args.append(limit)
        return [Incident(int(i), str(e), str(c), Status(str(s)), _dt(float(st)),
                         None if en is None else _dt(float(en)), str(d), str(ed))
                for i, e, c, s, st, en, d, ed in self._query(sql, tuple(args))]


def _part_json(p: Part) -> dict[str, object]:
    return {"name": p.name, "status": p.status.value, "value": p.value, "detail": p.detail,
            "expected": p.expected, "code": p.code, "score": p.score, "verdict": p.verdict}


def _result(row: Any) -> CheckResult:
    env, check, ts, status, lat, detail, payload = row
    data = json.loads(str(payload))
    parts = tuple(Part(p["name"], Status(p["status"]), p.get("value", ""), p.get("detail", ""),
                       p.get("expected", ""), p.get("code", ""), p.get("score"), p.get("verdict", ""))
                  for p in data.get("parts", []))
    return CheckResult(str(env), str(check), Status(str(status)), None if lat is None else float(lat),
                       str(detail), _dt(float(ts)), parts, dict(data.get("metrics", {})))

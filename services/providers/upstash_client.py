"""Upstash Developer API (HTTP Basic ``email:api_key``): Redis databases and their usage statistics.

Upstash's management API sees only databases created at Upstash directly, not those created through
Vercel's marketplace. Database passwords in its answers are dropped on arrival and never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.core.errors import ConnectionFailure, FailureKind
from services.providers.answer_fields import ItemList, as_float, as_int, from_seconds
from services.providers.http_client import ProviderClient, TokenCheck


@dataclass(frozen=True)
class UpstashDatabase:
    id: str
    name: str
    endpoint: str
    port: int
    tls: bool
    state: str  # active, suspended, passive
    plan: str  # free, payg, pro, paid
    primary_region: str
    read_regions: tuple[str, ...]
    eviction: bool
    memory_limit_bytes: int | None
    disk_limit_bytes: int | None
    max_clients: int | None
    max_commands_per_second: int | None
    daily_backup: bool
    created_at: datetime | None


@dataclass(frozen=True)
class UpstashPoint:
    x: str
    y: float


@dataclass(frozen=True)
class UpstashStats:
    current_storage_bytes: int
    keyspace: int | None  # keys, latest sample
    connections: int | None  # latest sample
    latency_mean_ms: float | None
    latency_p99_ms: float | None
    hits: float  # over the sampled period
    misses: float
    daily_net_commands: int
    daily_read_requests: int
    daily_write_requests: int
    monthly_requests: int
    monthly_bandwidth_bytes: int
    monthly_storage_bytes: int
    monthly_billing_usd: float
    daily_requests: tuple[UpstashPoint, ...]

    @property
    def hit_ratio(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None


class UpstashClient(ProviderClient):
    provider = "upstash"
    display_name = "Upstash"
    default_base_url = "https://api.upstash.com/v2"
    auth_scheme = "basic"

    def __init__(self, api_key: str, *, email: str, **kwargs: Any) -> None:
        super().__init__(api_key, username=email, **kwargs)

    async def check_token(self) -> TokenCheck:
        databases = await self.list_databases()
        return TokenCheck("Upstash", "Redis databases", note=f"{len(databases)} database(s) visible")

    async def list_databases(self) -> ItemList[UpstashDatabase]:
        body = await self.get_json("/redis/databases", resource="Redis databases")
        items, skipped = self.parse_items("the database list", body, _database, name="database")
        return ItemList(items, skipped=skipped)

    async def database(self, database_id: str) -> UpstashDatabase:
        body = await self.get_json(
            f"/redis/database/{quote(database_id, safe='')}",
            params={"credentials": "hide"},
            resource=f"Redis database '{database_id}'",
        )
        if isinstance(body, dict) and not body.get("database_id"):
            body = {**body, "database_id": database_id}  # every field is optional in the spec
        return self.parse("the database", _database, body)

    async def stats(self, database_id: str) -> UpstashStats:
        body = await self.get_json(
            f"/redis/stats/{quote(database_id, safe='')}", resource=f"Redis database '{database_id}'"
        )
        return self.parse("the database statistics", _stats, body)

    def failure_for(
        self, response: httpx.Response, *, resource: str = "", action: str = "", attempts: int = 1
    ) -> ConnectionFailure:
        failure = super().failure_for(response, resource=resource, action=action, attempts=attempts)
        if failure.kind == FailureKind.NOT_FOUND:
            failure.hint = (
                "Check the database id; databases created through Vercel's marketplace are not visible "
                "to Upstash's management API"
            )
        return failure


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _int_or_none(value: Any) -> int | None:
    try:
        return as_int(value)
    except (TypeError, ValueError):
        return None


def _database(d: dict[str, Any]) -> UpstashDatabase:
    # Every field is optional in Upstash's spec: absent or odd values are unknown, not a failure.
    ident = d.get("database_id")
    if not isinstance(ident, str) or not ident:
        raise KeyError("database_id")
    created = d.get("creation_time")
    regions = d.get("read_regions")
    return UpstashDatabase(
        id=ident,
        name=_text(d.get("database_name"), ident),
        endpoint=_text(d.get("endpoint")),
        port=_int_or_none(d.get("port")) or 6379,
        tls=d.get("tls") is not False,
        state=_text(d.get("state")),
        plan=_text(d.get("type")),
        primary_region=_text(d.get("primary_region")) or _text(d.get("region")),
        read_regions=tuple(r for r in regions if isinstance(r, str)) if isinstance(regions, list) else (),
        eviction=d.get("eviction") is True,
        memory_limit_bytes=_int_or_none(d.get("db_memory_threshold")),
        disk_limit_bytes=_int_or_none(d.get("db_disk_threshold")),
        max_clients=_int_or_none(d.get("db_max_clients")),
        max_commands_per_second=_int_or_none(d.get("db_max_commands_per_second")),
        daily_backup=d.get("daily_backup_enabled") is True,
        created_at=from_seconds(created) if isinstance(created, (int, float)) and not isinstance(created, bool) else None,
    )


def _points(series: Any) -> list[tuple[str, float]]:
    """A time series' points with a finite ``y``; points of another shape are left out."""
    out = []
    for point in series if isinstance(series, list) else ():
        if isinstance(point, dict):
            try:
                y = as_float(point.get("y"))
            except (TypeError, ValueError):
                continue
            if y is not None:
                out.append((str(point.get("x", "")), y))
    return out


def _latest(series: Any) -> float | None:
    points = _points(series)
    return points[-1][1] if points else None


def _total(series: Any) -> float:
    total = sum(y for _, y in _points(series))
    return total if total != float("inf") else 0.0


def _count(value: Any) -> int:
    return _int_or_none(value) or 0


def _stats(s: dict[str, Any]) -> UpstashStats:
    keyspace = _latest(s.get("keyspace"))
    connections = _latest(s.get("connection_count"))
    try:
        billing = as_float(s.get("total_monthly_billing")) or 0.0
    except (TypeError, ValueError):
        billing = 0.0
    return UpstashStats(
        current_storage_bytes=_count(s.get("current_storage")),
        keyspace=int(keyspace) if keyspace is not None else None,
        connections=int(connections) if connections is not None else None,
        latency_mean_ms=_latest(s.get("latencymean")),
        latency_p99_ms=_latest(s.get("latency_99")),
        hits=_total(s.get("hits")),
        misses=_total(s.get("misses")),
        daily_net_commands=_count(s.get("daily_net_commands")),
        daily_read_requests=_count(s.get("daily_read_requests")),
        daily_write_requests=_count(s.get("daily_write_requests")),
        monthly_requests=_count(s.get("total_monthly_requests")),
        monthly_bandwidth_bytes=_count(s.get("total_monthly_bandwidth")),
        monthly_storage_bytes=_count(s.get("total_monthly_storage")),
        monthly_billing_usd=billing,
        daily_requests=tuple(UpstashPoint(x, y) for x, y in _points(s.get("dailyrequests"))),
    )

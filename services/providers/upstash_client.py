"""Upstash Developer API (HTTP Basic ``email:api_key``): Redis databases and their usage statistics.

Upstash's management API sees only databases created at Upstash directly, not those created through
Vercel's marketplace. Database passwords in its answers are dropped on arrival and never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.errors import ConnectionFailure, FailureKind
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

    async def list_databases(self) -> tuple[UpstashDatabase, ...]:
        body = await self.get_json("/redis/databases", resource="Redis databases")
        return self.parse("the database list", lambda b: tuple(_database(d) for d in b), body)

    async def database(self, database_id: str) -> UpstashDatabase:
        body = await self.get_json(
            f"/redis/database/{quote(database_id, safe='')}",
            params={"credentials": "hide"},
            resource=f"Redis database '{database_id}'",
        )
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


def _database(d: dict[str, Any]) -> UpstashDatabase:
    created = d.get("creation_time")
    return UpstashDatabase(
        id=str(d["database_id"]),
        name=str(d["database_name"]),
        endpoint=str(d.get("endpoint", "")),
        port=int(d.get("port") or 6379),
        tls=bool(d.get("tls", True)),
        state=str(d.get("state", "")),
        plan=str(d.get("type", "")),
        primary_region=str(d.get("primary_region") or d.get("region") or ""),
        read_regions=tuple(d.get("read_regions") or ()),
        eviction=bool(d.get("eviction", False)),
        memory_limit_bytes=d.get("db_memory_threshold"),
        disk_limit_bytes=d.get("db_disk_threshold"),
        max_clients=d.get("db_max_clients"),
        max_commands_per_second=d.get("db_max_commands_per_second"),
        daily_backup=bool(d.get("daily_backup_enabled", False)),
        created_at=datetime.fromtimestamp(created, UTC) if isinstance(created, (int, float)) else None,
    )


def _latest(series: Any) -> float | None:
    if not series:
        return None
    return float(series[-1]["y"])


def _total(series: Any) -> float:
    return float(sum(p["y"] for p in series or ()))


def _stats(s: dict[str, Any]) -> UpstashStats:
    keyspace = _latest(s.get("keyspace"))
    connections = _latest(s.get("connection_count"))
    return UpstashStats(
        current_storage_bytes=int(s.get("current_storage") or 0),
        keyspace=int(keyspace) if keyspace is not None else None,
        connections=int(connections) if connections is not None else None,
        latency_mean_ms=_latest(s.get("latencymean")),
        latency_p99_ms=_latest(s.get("latency_99")),
        hits=_total(s.get("hits")),
        misses=_total(s.get("misses")),
        daily_net_commands=int(s.get("daily_net_commands") or 0),
        daily_read_requests=int(s.get("daily_read_requests") or 0),
        daily_write_requests=int(s.get("daily_write_requests") or 0),
        monthly_requests=int(s.get("total_monthly_requests") or 0),
        monthly_bandwidth_bytes=int(s.get("total_monthly_bandwidth") or 0),
        monthly_storage_bytes=int(s.get("total_monthly_storage") or 0),
        monthly_billing_usd=float(s.get("total_monthly_billing") or 0.0),
        daily_requests=tuple(UpstashPoint(str(p["x"]), float(p["y"])) for p in s.get("dailyrequests") or ()),
    )

"""Upstash Developer API stand-in (HTTP Basic ``email:api_key``): the production and staging Redis
databases and their usage statistics. Answers in the shapes of the Upstash OpenAPI file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins.protocol import StandinError, StandinRequest, TokenPolicy, routes
from sandbox.provider_standins.server import StandinServer

EMAIL = "ops@realtor-platform.com"
API_KEY = "fakeSandbox-upstash-api-key-0000000000"
CREDENTIAL = f"{EMAIL}:{API_KEY}"
REVOKED_CREDENTIAL = f"{EMAIL}:revoked-upstash-api-key-000000000"
LIMITED_CREDENTIAL = f"{EMAIL}:readonly-upstash-api-key-00000000"
PRODUCTION_ID = "6d1b7c2e-4f3a-4b8e-9c51-2a7f0e9d3b14"
STAGING_ID = "9e4a2f70-1c6b-4d2e-8f39-5b0c7a1e6d82"
GIB = 1024**3


@dataclass
class UpstashData:
    now: datetime
    databases: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def build(cls, now: datetime | None = None) -> UpstashData:
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        data = cls(now=now)
        for db_id, name, endpoint, age, kind in (
            (PRODUCTION_ID, "realtor-production-cache", "realtor-cache-41273", 400, "payg"),
            (STAGING_ID, "realtor-staging-cache", "realtor-staging-cache-52918", 300, "free"),
        ):
            data.databases[db_id] = {
                "database_id": db_id,
                "database_name": name,
                "database_type": "Pay as You Go" if kind == "payg" else "Free",
                "region": "global",
                "primary_region": "us-east-1",
                "read_regions": ["us-west-1"] if kind == "payg" else [],
                "port": 6379,
                "creation_time": int((now - timedelta(days=age)).timestamp()),
                "state": "active",
                "password": f"sandbox-redis-password-{name}",  # real answers carry it: never to be shown
                "user_email": EMAIL,
                "endpoint": f"{endpoint}.upstash.io",
                "tls": True,
                "eviction": True,
                "auto_upgrade": False,
                "consistent": False,
                "type": kind,
                "budget": 50 if kind == "payg" else 0,
                "db_max_clients": 10000 if kind == "payg" else 1000,
                "db_max_request_size": 10 * 1024 * 1024,
                "db_disk_threshold": 100 * GIB if kind == "payg" else 256 * 1024 * 1024,
                "db_max_entry_size": 100 * 1024 * 1024,
                "db_memory_threshold": GIB if kind == "payg" else 256 * 1024 * 1024,
                "db_max_commands_per_second": 10000,
                "db_request_limit": 0 if kind == "payg" else 500000,
                "db_resource_size": "S",
                "db_type": "pebble",
                "db_acl_enabled": "false",
                "db_acl_default_user_status": "true",
                "daily_backup_enabled": kind == "payg",
                "prometheus_enabled": "false",
                "prod_pack_enabled": False,
                "replicas": 1,
                "customer_id": EMAIL,
                "securityAddons": {
                    "ipWhitelisting": False,
                    "vpcPeering": False,
                    "privateLink": False,
                    "tlsMutualAuth": False,
                    "encryptionAtRest": False,
                },
            }
        return data

    def find(self, db_id: str) -> dict[str, Any]:
        try:
            return self.databases[db_id]
        except KeyError:
            raise StandinError(404, "database not found") from None


def _x(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S.000 +0000 UTC")


def _series(now: datetime, points: int, step: timedelta, value: Any) -> list[dict[str, Any]]:
    return [{"x": _x(now - step * (points - 1 - k)), "y": value(k)} for k in range(points)]


class UpstashStandin:
    def __init__(self, data: UpstashData) -> None:
        self.data = data

    def list_databases(self, request: StandinRequest) -> Any:
        return list(self.data.databases.values())

    def database(self, request: StandinRequest) -> Any:
        db = dict(self.data.find(request.path_params["id"]))
        if request.arg("credentials") == "hide":
            db.pop("password", None)
        return db

    def stats(self, request: StandinRequest) -> Any:
        db = self.data.find(request.path_params["id"])
        prod = db["database_id"] == PRODUCTION_ID
        scale = 1.0 if prod else 0.04
        now, hour, day = self.data.now, timedelta(hours=1), timedelta(days=1)
        storage = (412 if prod else 9) * 1024 * 1024
        daily = _series(now, 7, day, lambda k: round((1_480_000 + 37_000 * k) * scale))
        return {
            "connection_count": _series(now, 24, hour, lambda k: round((38 + (k * 7) % 19) * scale) + 1),
            "keyspace": _series(now, 24, hour, lambda k: round((18_400 + 55 * k) * scale)),
            "throughput": _series(now, 24, hour, lambda k: round((17.2 + (k % 6)) * scale, 2)),
            "diskusage": _series(now, 24, hour, lambda k: storage - (23 - k) * 40_000),
            "latencymean": _series(now, 24, hour, lambda k: 0.61 + (k % 5) * 0.04),
            "latency_99": _series(now, 24, hour, lambda k: 2.8 + (k % 4) * 0.3),
            "read_latency_mean": _series(now, 24, hour, lambda k: 0.55),
            "read_latency_99": _series(now, 24, hour, lambda k: 2.4),
            "write_latency_mean": _series(now, 24, hour, lambda k: 0.73),
            "write_latency_99": _series(now, 24, hour, lambda k: 3.1),
            "hits": _series(now, 24, hour, lambda k: round(48_000 * scale)),
            "misses": _series(now, 24, hour, lambda k: round(6_100 * scale)),
            "read": _series(now, 24, hour, lambda k: round(51_000 * scale)),
            "write": _series(now, 24, hour, lambda k: round(11_300 * scale)),
            "dailyrequests": daily,
            "days": [p["x"][:10] for p in daily],
            "dailybilling": _series(now, 7, day, lambda k: round(2.96 * scale, 2)),
            "dailybandwidth": round(2_100_000_000 * scale),
            "bandwidths": _series(now, 7, day, lambda k: round(2_050_000_000 * scale)),
            "daily_net_commands": round(1_702_000 * scale),
            "daily_read_requests": round(1_224_000 * scale),
            "daily_write_requests": round(271_000 * scale),
            "total_monthly_bandwidth": round(54_600_000_000 * scale),
            "total_monthly_requests": round(38_900_000 * scale),
            "total_monthly_read_requests": round(31_100_000 * scale),
            "total_monthly_write_requests": round(7_800_000 * scale),
            "total_monthly_script_requests": 0,
            "queue_optimized": False,
            "total_monthly_storage": storage,
            "current_storage": storage,
            "total_monthly_billing": round(77.8 * scale, 2),
            "command_counts": [
                {
                    "metric_identifier": "GET",
                    "data_points": _series(now, 24, hour, lambda k: round(40_000 * scale)),
                },
                {
                    "metric_identifier": "SET",
                    "data_points": _series(now, 24, hour, lambda k: round(9_000 * scale)),
                },
            ],
        }


def _error_body(status: int, message: str, code: str) -> Any:
    if status == 401:
        message = "Unauthorized: the email or the API key is wrong"
    elif status == 403 and code == "forbidden":
        message = "This API key is read-only or belongs to another team"
    return {"error": message}


def create(*, tokens: TokenPolicy | None = None, now: datetime | None = None, port: int = 0) -> StandinServer:
    """An Upstash stand-in (not started), served under /v2 like the real API."""
    data = UpstashData.build(now)
    api = UpstashStandin(data)
    return StandinServer(
        "upstash",
        routes(
            ("GET", "/redis/databases", api.list_databases),
            ("GET", "/redis/database/{id}", api.database),
            ("GET", "/redis/stats/{id}", api.stats),
        ),
        tokens=tokens or TokenPolicy("basic", {CREDENTIAL}, {REVOKED_CREDENTIAL}, {LIMITED_CREDENTIAL}),
        base_path="/v2",
        error_body=_error_body,
        port=port,
        data=data,
    )

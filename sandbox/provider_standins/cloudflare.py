"""Cloudflare API v4 stand-in: the ``realtor-platform.com`` zone, cache purge, the R2 buckets of the
platform (files, images, documents, backups; production and staging) and R2 storage metrics.
Every answer is Cloudflare's envelope ``{success, errors, messages, result}``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import StandinError, StandinRequest, TokenPolicy, routes
from sandbox.provider_standins.server import StandinServer

TOKEN = "fakeSandbox-cloudflare-api-token-0000000000000"
REVOKED_TOKEN = "fakeRevoked-cloudflare-api-token-000000000000"
LIMITED_TOKEN = "fakeLimited-cloudflare-api-token-000000000000"
ACCOUNT_ID = "7c5dae5552338874e5053f2534d2767a"
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"
STAGING_ZONE_ID = "9a7806061c88ada191ed06f989cc3dac"
ZONE_NAME = "realtor-platform.com"
BUCKETS = (
    ("realtor-backups", "InfrequentAccess", 420),
    ("realtor-documents", "Standard", 400),
    ("realtor-files", "Standard", 400),
    ("realtor-images", "Standard", 400),
    ("realtor-staging-backups", "InfrequentAccess", 300),
    ("realtor-staging-documents", "Standard", 300),
    ("realtor-staging-files", "Standard", 300),
    ("realtor-staging-images", "Standard", 300),
)

_DEFAULT_ERRORS = {
    401: (10000, "Authentication error"),
    403: (9109, "Unauthorized to access requested resource"),
    404: (7003, "Could not route to this path, perhaps your object identifier is invalid?"),
    429: (1015, "You are being rate limited"),
}


@dataclass
class CloudflareData:
    now: datetime
    purges: list[dict[str, Any]] = field(default_factory=list)  # every purge request body received
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, now: datetime | None = None) -> CloudflareData:
        return cls(now=now or datetime.now(UTC))


def _ok(result: Any, **extra: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


def _zone(zone_id: str, name: str, now: datetime, age_days: int) -> dict[str, Any]:
    return {
        "id": zone_id,
        "name": name,
        "status": "active",
        "paused": False,
        "type": "full",
        "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.com", "rick.ns.cloudflare.com"],
        "original_name_servers": ["ns1.registrar-servers.com", "ns2.registrar-servers.com"],
        "original_registrar": "namecheap, inc.",
        "original_dnshost": None,
        "created_on": (now - timedelta(days=age_days)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "modified_on": (now - timedelta(days=12)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "activated_on": (now - timedelta(days=age_days - 1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": False},
        "owner": {"id": ACCOUNT_ID, "type": "organization", "name": "Realtor Brokerage"},
        "account": {"id": ACCOUNT_ID, "name": "Realtor Brokerage"},
        "permissions": ["#zone:read", "#cache_purge:edit"],
        "plan": {
            "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            "name": "Pro Website",
            "price": 20,
            "currency": "USD",
        },
    }


class CloudflareStandin:
    def __init__(self, data: CloudflareData) -> None:
        self.data = data

    def zones(self, request: StandinRequest) -> Any:
        zones = [
            _zone(ZONE_ID, ZONE_NAME, self.data.now, 700),
            _zone(STAGING_ZONE_ID, "staging.realtor-platform.com", self.data.now, 300),
        ]
        name = request.arg("name")
        if name:
            op, _, value = name.partition(":") if ":" in name else ("equal", "", name)
            tests = {
                "equal": lambda z: z["name"] == value,
                "not_equal": lambda z: z["name"] != value,
                "starts_with": lambda z: z["name"].startswith(value),
                "ends_with": lambda z: z["name"].endswith(value),
                "contains": lambda z: value in z["name"],
            }
            if op not in tests:
                raise StandinError(400, f"Invalid filter operator '{op}'", code="1001")
            zones = [z for z in zones if tests[op](z)]
        account = request.arg("account.id")
        if account:
            zones = [z for z in zones if z["account"]["id"] == account]
        per_page = request.int_arg("per_page", 20)
        page = request.int_arg("page", 1)
        if not 5 <= per_page <= 50 or page < 1:
            raise StandinError(400, "per_page must be between 5 and 50", code="1001")
        chunk = zones[(page - 1) * per_page : page * per_page]
        info = {
            "page": page,
            "per_page": per_page,
            "count": len(chunk),
            "total_count": len(zones),
            "total_pages": max(1, -(-len(zones) // per_page)),
        }
        return _ok(chunk, result_info=info)

    def purge(self, request: StandinRequest) -> Any:
        zone = request.path_params["zone_id"]
        if zone not in (ZONE_ID, STAGING_ZONE_ID):
            raise StandinError(
                404,
                f"Could not route to /zones/{zone}/purge_cache, perhaps your object identifier is invalid?",
                code="7003",
            )
        body = request.json()
        if not isinstance(body, dict) or not body:
            raise StandinError(400, "Request body is invalid.", code="1012")
        # The Pro plan's limits: 100 URLs, and 100 tags/hosts/prefixes, per request.
        for key in ("files", "tags", "hosts", "prefixes"):
            if len(body.get(key, ())) > 100:
                raise StandinError(400, f"Only 100 {key} can be purged per request", code="1012")
        with self.data.lock:
            self.data.purges.append({"zone": zone, **body})
        return _ok({"id": zone})

    def _account(self, request: StandinRequest) -> None:
        if request.path_params["account_id"] != ACCOUNT_ID:
            raise StandinError(403, "Unauthorized to access requested resource", code="9109")

    def buckets(self, request: StandinRequest) -> Any:
        self._account(request)
        items = [
            {
                "name": name,
                "creation_date": h.iso(self.data.now - timedelta(days=age)),
                "location": "enam",
                "storage_class": cls,
            }
            for name, cls, age in BUCKETS
        ]
        contains = request.arg("name_contains")
        if contains:
            items = [b for b in items if contains in b["name"]]
        start = request.arg("cursor") or request.arg("start_after") or ""
        items = [b for b in items if b["name"] > start]
        per_page = request.int_arg("per_page", 20)
        if not 1 <= per_page <= 1000:
            raise StandinError(400, "per_page must be between 1 and 1000", code="10040")
        chunk = items[:per_page]
        info: dict[str, Any] = {"per_page": per_page}
        if len(items) > per_page:
            info["cursor"] = chunk[-1]["name"]
        return _ok({"buckets": chunk}, result_info=info)

    def bucket(self, request: StandinRequest) -> Any:
        self._account(request)
        name = request.path_params["bucket_name"]
        for bucket, cls, age in BUCKETS:
            if bucket == name:
                return _ok(
                    {
                        "name": name,
                        "creation_date": h.iso(self.data.now - timedelta(days=age)),
                        "location": "enam",
                        "storage_class": cls,
                    }
                )
        raise StandinError(404, "The specified bucket does not exist.", code="10006")

    def metrics(self, request: StandinRequest) -> Any:
        self._account(request)
        gib = 1024**3
        return _ok(
            {
                "standard": {
                    "published": {
                        "objects": 184_213,
                        "payloadSize": 96 * gib + 318_000_000,
                        "metadataSize": 41_800_000,
                    },
                    "uploaded": {
                        "objects": 184_245,
                        "payloadSize": 96 * gib + 340_000_000,
                        "metadataSize": 41_806_000,
                    },
                },
                "infrequentAccess": {
                    "published": {"objects": 1_241, "payloadSize": 212 * gib, "metadataSize": 310_000},
                    "uploaded": {"objects": 1_241, "payloadSize": 212 * gib, "metadataSize": 310_000},
                },
            }
        )


def _error_body(status: int, message: str, code: str) -> Any:
    if code.isdigit():
        number = int(code)
    else:
        number, message = _DEFAULT_ERRORS.get(status, (10000 + status, message))
    return {
        "success": False,
        "errors": [{"code": number, "message": message}],
        "messages": [],
        "result": None,
    }


def create(*, tokens: TokenPolicy | None = None, now: datetime | None = None, port: int = 0) -> StandinServer:
    """A Cloudflare stand-in (not started), served under /client/v4 like the real API."""
    data = CloudflareData.build(now)
    api = CloudflareStandin(data)
    return StandinServer(
        "cloudflare",
        routes(
            ("GET", "/zones", api.zones),
            ("POST", "/zones/{zone_id}/purge_cache", api.purge),
            ("GET", "/accounts/{account_id}/r2/buckets", api.buckets),
            ("GET", "/accounts/{account_id}/r2/buckets/{bucket_name}", api.bucket),
            ("GET", "/accounts/{account_id}/r2/metrics", api.metrics),
        ),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        base_path="/client/v4",
        error_body=_error_body,
        port=port,
        data=data,
    )

"""Usage and billing endpoints for the stand-ins: a month of believable usage (weekdays busy, a quiet
weekend, one spike six days ago), so the Costs screen, its forecast and its recommendations have
something real to show on a fresh laptop.

Added to a provider's stand-in with :func:`add_usage` (the sandbox's catalog does it for every one it
starts); the routes answer in the shapes of the providers' OpenAPI files:

* Vercel ``GET /v1/billing/charges`` (FOCUS v1.3 JSON lines; a token lacking the scope gets 403);
* Supabase ``GET /v1/organizations/{slug}``, ``/v1/projects/{ref}/billing/addons``,
  ``/config/disk``, ``/config/disk/util``;
* Cloudflare ``POST /graphql`` (``r2StorageAdaptiveGroups``, ``r2OperationsAdaptiveGroups``; 31 days kept);
* Upstash ``GET /redis/stats/{id}`` with a month of ``dailyrequests`` and ``dailybilling``;
* GitHub ``GET /organizations/{org}/settings/billing/usage`` (Actions minutes, net of the included 3,000).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.provider_standins.protocol import Route, StandinError, StandinRequest, StandinResponse
from sandbox.provider_standins.server import StandinServer

SPIKE_DAYS_AGO = 6
R2_RETENTION_DAYS = 31


def _wiggle(*parts: object) -> float:
    """A stable pseudo-random number in [-1, 1) from its parts (no random state: same answer each run)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**31 - 1.0


def day_factor(day: date, today: date, what: str = "") -> float:
    """Weekdays about 1, weekends about 0.45, the spike day 3.5, each with +-8% of noise."""
    base = 0.45 if day.weekday() >= 5 else 1.0
    if day == today - timedelta(days=SPIKE_DAYS_AGO):
        base = 3.5
    return base * (1 + 0.08 * _wiggle(what, day.isoformat()))


def _today(server: StandinServer) -> date:
    now = getattr(server.data, "now", None)
    return (now if isinstance(now, datetime) else datetime.now(UTC)).date()


def _parse_day(value: str | None, name: str) -> date:
    if not value:
        raise StandinError(400, f"'{name}' is required")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise StandinError(400, f"'{name}' is not an ISO 8601 date-time") from None


# --- Vercel ---------------------------------------------------------------------------------------
VERCEL_USAGE = (  # service, unit, quantity per busy day, price per unit
    ("Fast Data Transfer", "GB", 12.0, 0.15),
    ("Edge Requests", "MIUs", 0.6, 2.00),
    ("Fluid Active CPU", "Hours", 4.0, 0.128),
    ("Function Invocations", "MIUs", 0.35, 0.60),
)


def vercel_charges(server: StandinServer) -> Callable[[StandinRequest], StandinResponse]:
    def handler(request: StandinRequest) -> StandinResponse:
        start = _parse_day(request.arg("from"), "from")
        end = _parse_day(request.arg("to"), "to")
        if end <= start or (end - start).days > 366:
            raise StandinError(400, "The date range must be positive and at most one year")
        today = _today(server)
        lines = []
        day = start
        while day < min(end, today + timedelta(days=1)):
            period = {"ChargePeriodStart": f"{day.isoformat()}T00:00:00.000Z",
                      "ChargePeriodEnd": f"{(day + timedelta(days=1)).isoformat()}T00:00:00.000Z"}
            if day.day == 1:
                for service, amount in (("Pro Plan", 20.0), ("Seats", 40.0)):
                    lines.append(_focus(period, service, "Purchase", 1, "Month", amount))
            for service, unit, busy, price in VERCEL_USAGE:
                qty = round(busy * day_factor(day, today, service), 4)
                lines.append(_focus(period, service, "Usage", qty, unit, round(qty * price, 6)))
            day += timedelta(days=1)
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode()
        return StandinResponse(200, body, content_type="application/jsonl")

    return handler


def _focus(period: dict[str, str], service: str, category: str, qty: float, unit: str, cost: float) -> dict[str, Any]:
    return {**period, "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD", "PricingCurrency": "USD",
            "ChargeCategory": category, "PricingCategory": "Standard", "ConsumedQuantity": qty,
            "ConsumedUnit": unit, "PricingQuantity": qty, "PricingUnit": unit, "ServiceName": service,
            "ServiceProviderName": "Vercel", "ServiceCategory": "Compute", "RegionId": "iad1",
            "RegionName": "Washington, D.C., USA", "Tags": {"ProjectName": "realtor-platform"}}


# --- Supabase -------------------------------------------------------------------------------------
COMPUTE = (  # id, name, hourly price
    ("ci_micro", "Micro", 0.01344), ("ci_small", "Small", 0.0206), ("ci_medium", "Medium", 0.0822),
    ("ci_large", "Large", 0.1517), ("ci_xlarge", "XL", 0.2877), ("ci_2xlarge", "2XL", 0.562))


def _variant(vid: str, name: str, hourly: float) -> dict[str, Any]:
    return {"id": vid, "name": name,
            "price": {"description": f"${hourly}/hour", "type": "usage", "interval": "hourly", "amount": hourly}}


def supabase_routes(server: StandinServer) -> list[Route]:
    data = server.data
    selected = {ref: ("ci_medium" if i == 0 else "ci_micro") for i, ref in enumerate(data.projects)}
    disk = {ref: (18 if i == 0 else 8) for i, ref in enumerate(data.projects)}

    def organization(request: StandinRequest) -> Any:
        slug = request.path_params["slug"]
        if not any(p["organization_id"] == slug for p in data.projects.values()):
            raise StandinError(404, f"Organization {slug} not found")
        return {"id": slug, "name": "Realtor Brokerage", "plan": "pro", "opt_in_tags": [],
                "allowed_release_channels": ["ga"]}

    def addons(request: StandinRequest) -> Any:
        ref = request.path_params["ref"]
        data.project(ref)
        current = next(c for c in COMPUTE if c[0] == selected[ref])
        return {"selected_addons": [{"type": "compute_instance", "variant": _variant(*current)}],
                "available_addons": [{"type": "compute_instance", "name": "Compute size",
                                      "variants": [_variant(*c) for c in COMPUTE]}]}

    def config_disk(request: StandinRequest) -> Any:
        ref = request.path_params["ref"]
        data.project(ref)
        return {"attributes": {"iops": 3000, "size_gb": disk[ref], "throughput_mibps": 125, "type": "gp3"},
                "last_modified_at": (data.now - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}

    def disk_util(request: StandinRequest) -> Any:
        ref = request.path_params["ref"]
        data.project(ref)
        size = disk[ref] * 1024**3
        used = int(size * 0.58)
        return {"timestamp": data.now.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "metrics": {"fs_size_bytes": size, "fs_avail_bytes": size - used, "fs_used_bytes": used}}

    return [Route("GET", "/v1/organizations/{slug}", organization),
            Route("GET", "/v1/projects/{ref}/billing/addons", addons),
            Route("GET", "/v1/projects/{ref}/config/disk", config_disk),
            Route("GET", "/v1/projects/{ref}/config/disk/util", disk_util)]


# --- Cloudflare R2 --------------------------------------------------------------------------------
R2_BUCKETS = {  # bucket: (GB on the first day of the window, GB added per busy day)
    "realtor-files": (38.0, 0.22), "realtor-images": (22.0, 0.15), "realtor-documents": (9.0, 0.05),
    "realtor-backups": (30.0, 0.35), "realtor-staging-files": (2.0, 0.01), "realtor-staging-images": (1.5, 0.01),
    "realtor-staging-documents": (0.6, 0.0), "realtor-staging-backups": (4.0, 0.05)}
R2_OPS = (("GetObject", 520_000), ("HeadObject", 90_000), ("PutObject", 14_000), ("ListObjects", 1_500),
          ("DeleteObject", 300), ("CreateMultipartUpload", 40), ("UploadPart", 600))


def cloudflare_graphql(server: StandinServer, account_id: str) -> Callable[[StandinRequest], Any]:
    def handler(request: StandinRequest) -> Any:
        try:
            payload = request.json()
            variables = payload.get("variables") or {}
            query = str(payload["query"])
        except (ValueError, AttributeError, KeyError, TypeError):
            return {"data": None, "errors": [{"message": "failed to parse the request body", "path": []}]}
        if variables.get("accountTag") != account_id:
            return {"data": None, "errors": [{"message": "not authorized for that account", "path": ["viewer"]}]}
        today = _today(server)
        first_kept = today - timedelta(days=R2_RETENTION_DAYS - 1)
        try:
            start = max(date.fromisoformat(str(variables["start"])), first_kept)
            end = min(date.fromisoformat(str(variables["end"])), today)
        except (KeyError, ValueError):
            return {"data": None, "errors": [{"message": "start and end must be dates", "path": []}]}
        storage, ops = [], []
        day = start
        while day <= end:
            age = (day - first_kept).days
            for bucket, (gb, growth) in R2_BUCKETS.items():
                size = int((gb + growth * age * (0.7 if day.weekday() >= 5 else 1.0)) * 1e9)
                storage.append({"dimensions": {"date": day.isoformat(), "bucketName": bucket},
                                "max": {"payloadSize": size, "metadataSize": size // 2000,
                                        "objectCount": size // 1_800_000}})
                scale = 0.05 if "staging" in bucket else 1.0 if "files" in bucket or "images" in bucket else 0.3
                if "backups" in bucket:
                    continue
                for action, busy in R2_OPS:
                    n = int(busy * scale * day_factor(day, today, bucket + action))
                    if n:
                        ops.append({"dimensions": {"date": day.isoformat(), "bucketName": bucket,
                                                   "actionType": action}, "sum": {"requests": n}})
            day += timedelta(days=1)
        account: dict[str, Any] = {}
        if "r2StorageAdaptiveGroups" in query:
            account["r2StorageAdaptiveGroups"] = storage
        if "r2OperationsAdaptiveGroups" in query:
            account["r2OperationsAdaptiveGroups"] = ops
        return {"data": {"viewer": {"accounts": [account]}}, "errors": None}

    return handler


# --- GitHub ---------------------------------------------------------------------------------------
ACTIONS_INCLUDED_MINUTES = 3000


def github_billing_usage(server: StandinServer, org: str) -> Callable[[StandinRequest], Any]:
    def handler(request: StandinRequest) -> Any:
        if request.path_params["org"].lower() != org.lower():
            raise StandinError(404, "Not Found")
        today = _today(server)
        year = request.int_arg("year", today.year)
        month = request.int_arg("month", today.month)
        items = []
        used = 0
        day = date(year, month, 1)
        while day.month == month and day <= today:
            minutes = int(140 * day_factor(day, today, "actions"))
            gross = round(minutes * 0.008, 4)
            free = max(0, min(minutes, ACTIONS_INCLUDED_MINUTES - used))
            used += minutes
            discount = round(free * 0.008, 4)
            items.append({"date": f"{day.isoformat()}T00:00:00Z", "product": "actions", "sku": "Linux",
                          "quantity": minutes, "unitType": "minutes", "pricePerUnit": 0.008, "grossAmount": gross,
                          "discountAmount": discount, "netAmount": round(gross - discount, 4),
                          "organizationName": org, "repositoryName": "realtor-platform"})
            day += timedelta(days=1)
        return {"usageItems": items}

    return handler


# --- Upstash --------------------------------------------------------------------------------------
def upstash_stats(server: StandinServer, previous: Callable[[StandinRequest], Any]) -> Callable[[StandinRequest], Any]:
    def handler(request: StandinRequest) -> Any:
        body = previous(request)
        if isinstance(body, StandinResponse):
            return body
        db = server.data.find(request.path_params["id"])
        if db.get("type") == "free":
            return body
        today = _today(server)
        days = [today - timedelta(days=k) for k in range(29, -1, -1)]
        requests = [int(1_500_000 * day_factor(d, today, "upstash")) for d in days]
        body = dict(body)
        body["dailyrequests"] = [{"x": f"{d.isoformat()} 00:00:00.000 +0000 UTC", "y": r}
                                 for d, r in zip(days, requests, strict=True)]
        body["days"] = [d.isoformat() for d in days]
        body["dailybilling"] = [{"x": f"{d.isoformat()} 00:00:00.000 +0000 UTC", "y": round(r / 100_000 * 0.2, 2)}
                                for d, r in zip(days, requests, strict=True)]
        return body

    return handler


def add_usage(server: StandinServer) -> StandinServer:
    """Give a provider's stand-in its usage and billing endpoints (placed before its own routes)."""
    name = server.provider
    extra: list[Route] = []
    if name == "vercel":
        extra = [Route("GET", "/v1/billing/charges", vercel_charges(server))]
    elif name == "supabase":
        extra = supabase_routes(server)
    elif name == "cloudflare":
        from sandbox.provider_standins.cloudflare import ACCOUNT_ID

        extra = [Route("POST", "/graphql", cloudflare_graphql(server, ACCOUNT_ID))]
    elif name == "github":
        from sandbox.provider_standins.github_runs import OWNER

        extra = [Route("GET", "/organizations/{org}/settings/billing/usage", github_billing_usage(server, OWNER))]
    elif name == "upstash":
        stats = next(r for r in server.routes if r.pattern == "/redis/stats/{id}")
        extra = [Route("GET", "/redis/stats/{id}", upstash_stats(server, stats.handler), stats.needs_scope)]
    server.routes[:0] = extra
    return server


def with_usage(factory: Callable[..., StandinServer]) -> Callable[..., StandinServer]:
    """A stand-in factory whose servers have the usage endpoints."""

    def create(**kwargs: Any) -> StandinServer:
        return add_usage(factory(**kwargs))

    create.__doc__ = factory.__doc__
    return create

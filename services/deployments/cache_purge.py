"""Cloudflare cache purge for an environment's zone: by URL, tag, prefix or hostname, or everything;
the plan's limits checked before anything is sent, values checked against the zone, one audit line.

Limits (developers.cloudflare.com/cache/how-to/purge-cache, 2026-07): URLs per request 100 (500 on
Enterprise); at most 100 tags/hosts/prefixes per request; a token bucket of 25 requests (50 Business,
500 Enterprise) for tag/host/prefix/everything purges. More values than one request takes are sent in
several requests, never more than the bucket holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from services.core.errors import ConfigError
from services.core.guard import Authorization
from services.deployments import common
from services.providers.cloudflare_client import CloudflareClient

if TYPE_CHECKING:
    from services.core.app_context import AppContext

KINDS = ("url", "tag", "prefix", "host", "everything")
# The seed's cache policy (deployment config: cdn.cache), shown beside the purge form.
SEED_TTL_POLICY = (("static assets", "1 year"), ("API responses", "5 minutes"), ("images", "30 days"))


@dataclass(frozen=True)
class PlanLimits:
    plan: str
    urls_per_request: int
    values_per_request: int
    bucket: int  # requests that may go at once


def limits_for(plan_name: str) -> PlanLimits:
    low = plan_name.lower()
    if "enterprise" in low:
        return PlanLimits(plan_name, 500, 100, 500)
    if "business" in low:
        return PlanLimits(plan_name, 100, 100, 50)
    return PlanLimits(plan_name or "Free", 100, 100, 25)


@dataclass(frozen=True)
class PurgeRequest:
    environment: str
    kind: str  # url, tag, prefix, host, everything
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class PurgeResult:
    zone: str
    kind: str
    count: int
    requests: int
    plan: str

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "kind": self.kind, "count": self.count, "requests": self.requests,
                "plan": self.plan}


def _check_values(kind: str, values: tuple[str, ...], zone_name: str) -> tuple[str, ...]:
    if kind not in KINDS:
        raise ConfigError(f"'{kind}' is not a purge kind", hint="Use one of: " + ", ".join(KINDS))
    if kind == "everything":
        if values:
            raise ConfigError("Purge everything takes no values")
        return ()
    cleaned = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not cleaned:
        raise ConfigError(f"Give at least one {kind} to purge")
    zone = zone_name.lower().rstrip(".")

    def in_zone(host: str) -> bool:
        host = host.lower().rstrip(".")
        return not zone or host == zone or host.endswith("." + zone)

    for i, value in enumerate(cleaned, 1):
        if any(c.isspace() for c in value) or len(value) > 1024:
            raise ConfigError(f"{kind} #{i} is not valid (it has spaces or is longer than 1024 characters)")
        if kind == "url":
            split = urlsplit(value)
            if split.scheme not in ("http", "https") or not split.hostname:
                raise ConfigError(f"URL #{i} '{value[:80]}' is not an absolute http(s) URL")
            if not in_zone(split.hostname):
                raise ConfigError(f"URL #{i} is on {split.hostname}, which is not in zone {zone_name}")
        elif kind in ("prefix", "host"):
            if "://" in value:
                raise ConfigError(f"{kind} #{i} must not have a scheme (write www.example.com/path)")
            host = value.split("/", 1)[0]
            if not in_zone(host):
                raise ConfigError(f"{kind} #{i} is on {host}, which is not in zone {zone_name}")
            if kind == "host" and "/" in value:
                raise ConfigError(f"host #{i} must be a host name only")
    return cleaned


async def zone_plan(client: CloudflareClient, zone_id: str) -> tuple[str, str]:
    """(zone name, plan name) of the zone, from the zones list."""
    for page in range(1, 21):
        result, info = await client._call("GET", "/zones", params={"per_page": 50, "page": page}, resource="zones")
        for zone in result or []:
            if isinstance(zone, dict) and zone.get("id") == zone_id:
                plan = zone.get("plan") or {}
                return str(zone.get("name", "")), str(plan.get("name") or "")
        if not info or page >= int(info.get("total_pages") or 1):
            break
    raise ConfigError(f"Cloudflare's token cannot see zone {zone_id}",
                      hint="Check the zone id in the environment's settings")


def batches(kind: str, values: tuple[str, ...], limits: PlanLimits) -> list[tuple[str, ...]]:
    if kind == "everything":
        return [()]
    size = limits.urls_per_request if kind == "url" else limits.values_per_request
    chunks = [values[i:i + size] for i in range(0, len(values), size)]
    if kind != "url" and len(chunks) > limits.bucket:
        raise ConfigError(f"{len(values)} {kind}s need {len(chunks)} purge requests; the {limits.plan} plan allows "
                          f"{limits.bucket} at once", hint="Purge fewer at a time, or purge by prefix or host")
    if kind == "url" and len(values) > 30 * size:
        raise ConfigError(f"{len(values)} URLs is more than the console sends in one go ({30 * size})",
                          hint="Purge by prefix or tag instead")
    return chunks


async def purge(ctx: AppContext, request: PurgeRequest, auth: Authorization) -> PurgeResult:
    env = ctx.workspace.environment(request.environment)
    action = "cache purge everything" if request.kind == "everything" else "cache purge"
    common.check_authorization(ctx, auth, env, action)
    zone_id = env.providers.cloudflare_zone_id
    if request.kind not in KINDS:
        raise ConfigError(f"'{request.kind}' is not a purge kind", hint="Use one of: " + ", ".join(KINDS))
    async with await common.cloudflare(ctx, env) as client:
        zone_name, plan = await zone_plan(client, zone_id)
        values = _check_values(request.kind, request.values, zone_name)
        limits = limits_for(plan)
        chunks = batches(request.kind, values, limits)

        async def change() -> PurgeResult:
            for chunk in chunks:
                if request.kind == "everything":
                    await client.purge_cache(zone_id, everything=True)
                else:
                    kind = request.kind
                    await client.purge_cache(
                        zone_id, files=chunk if kind == "url" else (), tags=chunk if kind == "tag" else (),
                        hosts=chunk if kind == "host" else (), prefixes=chunk if kind == "prefix" else ())
            return PurgeResult(zone_name, request.kind, len(values), len(chunks), limits.plan)

        return await common.audited(ctx, auth, target=zone_name or zone_id, change=change,
                                    details={"kind": request.kind, "count": len(values), "requests": len(chunks)})

"""Cloudflare API v4: zones (token check), cache purge, R2 buckets and R2 storage metrics.

Cloudflare wraps every answer in ``{success, errors, messages, result}``; ``success: false`` (even
with HTTP 200) becomes a typed failure carrying Cloudflare's own error message and code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.core.errors import ConnectionFailure, FailureKind
from services.providers.answer_fields import ItemList, as_id, as_int, as_object, parse_time
from services.providers.http_client import ActionAccepted, ProviderClient, QueryParams, TokenCheck

# check_token(zone_id) reads every page of zones up to this many (50 a page: 10,000 zones).
ZONE_SCAN_PAGES = 200

# Cloudflare error codes whose meaning is clearer than the HTTP status they come with.
_CODE_KINDS = {
    10000: FailureKind.AUTH,  # Authentication error
    10001: FailureKind.AUTH,  # Unable to authenticate request
    6003: FailureKind.AUTH,  # Invalid request headers
    6111: FailureKind.AUTH,  # Invalid format for Authorization header
    9109: FailureKind.PERMISSION,  # Unauthorized to access requested resource
    7003: FailureKind.NOT_FOUND,  # Could not route to ..., perhaps your object identifier is invalid?
    10006: FailureKind.NOT_FOUND,  # The specified bucket does not exist
    971: FailureKind.RATE_LIMITED,  # Please wait and consider throttling your request speed
    1015: FailureKind.RATE_LIMITED,  # You are being rate limited
}


@dataclass(frozen=True)
class CloudflareZone:
    id: str
    name: str
    status: str
    paused: bool
    account_id: str
    account_name: str


@dataclass(frozen=True)
class R2Bucket:
    name: str
    created_at: datetime | None
    location: str | None
    storage_class: str | None


@dataclass(frozen=True)
class R2ClassUsage:
    objects: int
    payload_bytes: int
    metadata_bytes: int


@dataclass(frozen=True)
class R2Metrics:
    """Account-wide R2 storage now. ``uploaded`` includes multipart uploads not yet completed."""

    standard: R2ClassUsage
    standard_uploaded: R2ClassUsage
    infrequent_access: R2ClassUsage
    infrequent_access_uploaded: R2ClassUsage

    @property
    def total_bytes(self) -> int:
        return sum(c.payload_bytes + c.metadata_bytes for c in (self.standard, self.infrequent_access))


class CloudflareClient(ProviderClient):
    provider = "cloudflare"
    display_name = "Cloudflare"
    default_base_url = "https://api.cloudflare.com/client/v4"

    async def check_token(self, *, zone_id: str | None = None, zone_name: str | None = None) -> TokenCheck:
        """Finds the configured zone among those the token sees (by name when given, else by id
        through every page of zones); never concludes "cannot see" before looking everywhere."""
        if zone_name:
            zones = await self.list_zones(name=zone_name, max_pages=1)
        elif zone_id:
            zones = await self.list_zones(max_pages=ZONE_SCAN_PAGES, stop_at=zone_id)
        else:
            zones = await self.list_zones(max_pages=1)
        wanted = [
            z for z in zones if (not zone_id or z.id == zone_id) and (not zone_name or z.name == zone_name)
        ]
        if (zone_id or zone_name) and not wanted:
            what = f"zone '{zone_name or zone_id}'"
            if zones.skipped:
                raise ConnectionFailure(
                    f"Cloudflare listed zones the console could not read; {what} was not among the others",
                    kind=FailureKind.PROTOCOL,
                    target=self.host,
                    detail="; ".join(zones.skipped[:5]),
                )
            if zones.more:
                raise ConnectionFailure(
                    f"Cloudflare's token sees more than {len(zones)} zones; {what} was not among them",
                    kind=FailureKind.PROTOCOL,
                    target=self.host,
                    hint="Set the zone's name in the environment's settings to look it up directly",
                )
            raise ConnectionFailure(
                f"Cloudflare's token cannot see {what}",
                kind=FailureKind.PERMISSION,
                target=self.host,
                hint="Check the zone in the environment's settings, or give the token Zone Read on it",
            )
        if wanted and (zone_id or zone_name):
            return TokenCheck("Cloudflare", f"zone '{wanted[0].name}'", note=wanted[0].status)
        count = f"{len(zones)}{'+' if zones.more else ''}"
        return TokenCheck("Cloudflare", "zones", note=f"{count} zone(s) visible")

    async def list_zones(
        self, *, name: str | None = None, per_page: int = 50, max_pages: int = 5, stop_at: str | None = None
    ) -> ItemList[CloudflareZone]:
        """Zones, page by page up to ``max_pages`` (``more`` when pages were left), or until the
        zone with id ``stop_at`` is found."""
        zones: list[CloudflareZone] = []
        skipped: list[str] = []
        page = 1
        more = False
        while True:
            result, info = await self._call(
                "GET", "/zones", params={"name": name, "per_page": per_page, "page": page}, resource="zones"
            )
            items, odd = self.parse_items("the zone list", result, _zone, name="zone")
            zones += items
            skipped += odd
            total_pages = _count(info, "total_pages")
            count = _count(info, "total_count")
            if stop_at and any(z.id == stop_at for z in items):
                break
            if not result:
                break
            if total_pages is not None and page >= total_pages:
                break
            if count is not None and len(zones) + len(skipped) >= count:
                break
            if total_pages is None and count is None and len(result) < per_page:
                break
            if page >= max_pages:
                more = True
                break
            page += 1
        return ItemList(zones, skipped=skipped, more=more)

    async def purge_cache(
        self,
        zone_id: str,
        *,
        everything: bool = False,
        files: Sequence[str] = (),
        tags: Sequence[str] = (),
        hosts: Sequence[str] = (),
        prefixes: Sequence[str] = (),
    ) -> ActionAccepted:
        """Purge the zone's cache: everything, or by files (URLs), tags, hosts or prefixes (one kind)."""
        kinds = {"files": list(files), "tags": list(tags), "hosts": list(hosts), "prefixes": list(prefixes)}
        chosen = {k: v for k, v in kinds.items() if v}
        if everything == bool(chosen) or len(chosen) > 1:
            raise ValueError("purge_cache needs exactly one of: everything, files, tags, hosts, prefixes")
        payload: dict[str, Any] = {"purge_everything": True} if everything else chosen
        result, _ = await self._call(
            "POST",
            f"/zones/{quote(zone_id, safe='')}/purge_cache",
            json_body=payload,
            resource=f"zone '{zone_id}'",
            action=f"purge the cache of zone '{zone_id}'",
        )
        # The spec allows ``result: null``: the purge was accepted, without a reference.
        reference = self.parse("the purge answer", _purge_reference, result)
        return ActionAccepted("Cloudflare", "purge cache", zone_id, 200, reference)

    async def list_r2_buckets(
        self, account_id: str, *, per_page: int = 100, max_pages: int = 20
    ) -> ItemList[R2Bucket]:
        buckets: list[R2Bucket] = []
        skipped: list[str] = []
        cursor: str | None = None
        more = False
        for page in range(max_pages):
            result, info = await self._call(
                "GET",
                f"/accounts/{quote(account_id, safe='')}/r2/buckets",
                params={"per_page": per_page, "cursor": cursor},
                resource=f"R2 buckets of account '{account_id}'",
            )
            raw = self.parse("the bucket list", lambda r: (r or {}).get("buckets") or [], result)
            items, odd = self.parse_items("the bucket list", raw, _bucket, name="bucket")
            buckets += items
            skipped += odd
            nxt = (info or {}).get("cursor")
            cursor = nxt if isinstance(nxt, str) and nxt and nxt != cursor else None
            if not cursor:
                break
            more = page == max_pages - 1
        return ItemList(buckets, skipped=skipped, more=more)

    async def r2_metrics(self, account_id: str) -> R2Metrics:
        result, _ = await self._call(
            "GET",
            f"/accounts/{quote(account_id, safe='')}/r2/metrics",
            resource=f"R2 metrics of account '{account_id}'",
        )
        return self.parse("the R2 metrics", _metrics, result)

    # -- the envelope ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json_body: Any = None,
        resource: str = "",
        action: str = "",
    ) -> tuple[Any, dict[str, Any] | None]:
        response = await self.request(
            method, path, params=params, json_body=json_body, resource=resource, action=action
        )
        body = self.json_of(response)
        if not isinstance(body, dict) or "success" not in body:
            raise self.protocol_failure("the answer had no success/result envelope")
        if body.get("success") is not True:
            raise self._envelope_failure(response, body, resource=resource, action=action)
        info = body.get("result_info")
        return body.get("result"), info if isinstance(info, dict) else None

    def _envelope_failure(
        self, response: httpx.Response, body: dict[str, Any], *, resource: str = "", action: str = ""
    ) -> ConnectionFailure:
        errors = _errors(body.get("errors"))
        codes = [e.get("code") for e in errors if isinstance(e.get("code"), int)]
        said = (
            "; ".join(self.scrub(str(e.get("message", ""))) for e in errors if e.get("message"))
            or "no reason given"
        )
        code_text = f" (code {', '.join(map(str, codes))})" if codes else ""
        kind = next((_CODE_KINDS[c] for c in codes if c in _CODE_KINDS), FailureKind.PROTOCOL)
        if action:
            refused = f"Cloudflare refused to {action}"
        else:
            refused = f"Cloudflare refused the request for {resource or 'this'}"
        return ConnectionFailure(
            f"{refused}: {said}{code_text}",
            kind=kind,
            target=self.host,
            status=response.status_code,
            detail=f"{response.request.method} {response.request.url.path} -> {response.status_code}: {said}",
        )

    def failure_for(
        self, response: httpx.Response, *, resource: str = "", action: str = "", attempts: int = 1
    ) -> ConnectionFailure:
        failure = super().failure_for(response, resource=resource, action=action, attempts=attempts)
        if failure.kind == FailureKind.PROTOCOL:  # a 400/409/...: Cloudflare's code may say more
            try:
                body = response.json()
            except (ValueError, RecursionError):
                return failure
            if isinstance(body, dict) and body.get("errors"):
                envelope = self._envelope_failure(response, body, resource=resource, action=action)
                if envelope.kind != FailureKind.PROTOCOL:
                    return envelope
        return failure


def _errors(value: Any) -> list[dict[str, Any]]:
    """``errors`` as a list of objects, whatever shape it came in (a list, one object, a sentence)."""
    if isinstance(value, dict):
        value = [value]
    elif isinstance(value, str):
        value = [{"message": value}]
    elif not isinstance(value, list):
        return []
    return [e if isinstance(e, dict) else {"message": str(e)} for e in value if e is not None]


def _count(info: dict[str, Any] | None, key: str) -> int | None:
    try:
        return as_int((info or {}).get(key))
    except (TypeError, ValueError):
        return None


def _purge_reference(result: Any) -> str:
    if isinstance(result, dict) and isinstance(result.get("id"), (str, int)):
        return str(result["id"])
    return ""


def _zone(z: dict[str, Any]) -> CloudflareZone:
    account = as_object(z.get("account"))
    return CloudflareZone(
        id=as_id(z["id"]),
        name=as_id(z["name"], "name"),
        status=str(z.get("status", "")),
        paused=bool(z.get("paused", False)),
        account_id=str(account.get("id") or ""),
        account_name=str(account.get("name") or ""),
    )


def _bucket(b: dict[str, Any]) -> R2Bucket:
    location, storage = b.get("location"), b.get("storage_class")
    try:
        created = parse_time(b.get("creation_date"))
    except (TypeError, ValueError):
        created = None  # optional: unknown rather than losing the bucket
    return R2Bucket(
        as_id(b["name"], "name"),
        created,
        location if isinstance(location, str) else None,
        storage if isinstance(storage, str) else None,
    )


def _usage(part: Any) -> R2ClassUsage:
    part = part if isinstance(part, dict) else {}
    return R2ClassUsage(
        as_int(part.get("objects")) or 0,
        as_int(part.get("payloadSize")) or 0,
        as_int(part.get("metadataSize")) or 0,
    )


def _metrics(r: Any) -> R2Metrics:
    r = as_object(r)
    standard, infrequent = as_object(r.get("standard")), as_object(r.get("infrequentAccess"))
    return R2Metrics(
        _usage(standard.get("published")),
        _usage(standard.get("uploaded")),
        _usage(infrequent.get("published")),
        _usage(infrequent.get("uploaded")),
    )

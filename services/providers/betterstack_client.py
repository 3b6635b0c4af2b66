"""Better Stack Uptime API: monitors, their availability (SLA) and incidents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from services.providers.answer_fields import ItemList, as_float, as_id, as_int, as_object, parse_time
from services.providers.http_client import ProviderClient, QueryParams, TokenCheck

# check_token counts every monitor, up to this many pages of 250 (Better Stack's largest page).
COUNT_PAGES = 40

T = TypeVar("T")


@dataclass(frozen=True)
class BetterStackMonitor:
    id: str
    name: str
    url: str
    monitor_type: str
    status: str  # up, down, paused, pending, maintenance, validating
    last_checked_at: datetime | None
    check_frequency_s: int | None

    @property
    def paused(self) -> bool:
        return self.status == "paused"


@dataclass(frozen=True)
class MonitorSla:
    monitor_id: str
    availability: float  # percent over the period
    total_downtime_s: int
    incidents: int
    longest_incident_s: int
    average_incident_s: int


@dataclass(frozen=True)
class BetterStackIncident:
    id: str
    name: str
    url: str | None
    cause: str
    status: str
    started_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    monitor_id: str | None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


class BetterStackClient(ProviderClient):
    provider = "betterstack"
    display_name = "Better Stack"
    default_base_url = "https://uptime.betterstack.com"

    async def check_token(self) -> TokenCheck:
        monitors = await self.list_monitors(per_page=250, max_pages=COUNT_PAGES)
        count = len(monitors) + len(monitors.skipped)
        more = "more than " if monitors.more else ""
        return TokenCheck("Better Stack", "uptime monitors", note=f"{more}{count} monitor(s) visible")

    async def list_monitors(
        self, *, per_page: int = 50, max_pages: int = 20
    ) -> ItemList[BetterStackMonitor]:
        return await self._paged("/api/v2/monitors", {"per_page": per_page}, max_pages, _monitor, "monitors")

    async def monitor_sla(
        self, monitor_id: str, *, from_date: date | None = None, to_date: date | None = None
    ) -> MonitorSla:
        body = await self.get_json(
            f"/api/v2/monitors/{quote(str(monitor_id), safe='')}/sla",
            params={
                "from": from_date.isoformat() if from_date else None,
                "to": to_date.isoformat() if to_date else None,
            },
            resource=f"monitor {monitor_id}",
        )
        return self.parse("the availability summary", _sla, body)

    async def list_incidents(
        self,
        *,
        open_only: bool = False,
        monitor_id: str | None = None,
        per_page: int = 50,
        max_pages: int = 10,
    ) -> ItemList[BetterStackIncident]:
        """Incidents, newest first; ``more`` says pages were left unread at ``max_pages``."""
        params: QueryParams = {
            "per_page": per_page,
            "resolved": False if open_only else None,
            "monitor_id": monitor_id,
        }
        return await self._paged("/api/v3/incidents", params, max_pages, _incident, "incidents")

    async def _paged(
        self, path: str, params: QueryParams, max_pages: int, item: Callable[[dict[str, Any]], T], what: str
    ) -> ItemList[T]:
        """Follow ``pagination.next`` (a full URL on the same host) up to ``max_pages`` pages."""
        out: list[T] = []
        skipped: list[str] = []
        url: str | None = path
        query: QueryParams | None = params
        pages = 0
        while url is not None and pages < max_pages:
            body = await self.get_json(url, params=query, resource=what)
            pages += 1
            raw = self.parse(f"the {what} list", lambda b: b["data"], body)
            items, odd = self.parse_items(f"the {what} list", raw, item, name=what.rstrip("s"))
            out += items
            skipped += odd
            nxt = as_object(self.parse(f"the {what} list", lambda b: b.get("pagination"), body)).get("next")
            # A next link that is not a URL (a number, an object) ends the paging; a repeat too.
            url = nxt if isinstance(nxt, str) and nxt.strip() and nxt != url else None
            query = None
        return ItemList(out, skipped=skipped, more=url is not None)


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _optional_int(value: Any) -> int | None:
    try:
        return as_int(value)
    except (TypeError, ValueError):
        return None


def _monitor(m: dict[str, Any]) -> BetterStackMonitor:
    a = as_object(m["attributes"])
    return BetterStackMonitor(
        id=as_id(m["id"]),
        name=_text(a.get("pronounceable_name")) or _text(a.get("url")) or str(m["id"]),
        url=_text(a.get("url")),
        monitor_type=_text(a.get("monitor_type")),
        status=_text(a.get("status")),
        last_checked_at=parse_time(a.get("last_checked_at")),
        check_frequency_s=_optional_int(a.get("check_frequency")),
    )


def _required(value: float | None, name: str) -> float:
    if value is None:
        raise ValueError(f"{name} is not a usable number")
    return value


def _sla(body: dict[str, Any]) -> MonitorSla:
    d = body["data"]
    a = d["attributes"]
    return MonitorSla(
        monitor_id=str(d["id"]),
        availability=_required(as_float(a["availability"]), "availability"),
        total_downtime_s=_optional_int(a.get("total_downtime")) or 0,
        incidents=_optional_int(a.get("number_of_incidents")) or 0,
        longest_incident_s=_optional_int(a.get("longest_incident")) or 0,
        average_incident_s=_optional_int(a.get("average_incident")) or 0,
    )


def _incident(i: dict[str, Any]) -> BetterStackIncident:
    a = as_object(i["attributes"])
    monitor = as_object(as_object(as_object(i.get("relationships")).get("monitor")).get("data"))
    return BetterStackIncident(
        id=as_id(i["id"]),
        name=_text(a.get("name")),
        url=a.get("url") if isinstance(a.get("url"), str) else None,
        cause=_text(a.get("cause")),
        status=_text(a.get("status")),
        started_at=parse_time(a.get("started_at")),
        acknowledged_at=parse_time(a.get("acknowledged_at")),
        resolved_at=parse_time(a.get("resolved_at")),
        monitor_id=str(monitor["id"]) if monitor.get("id") else None,
    )

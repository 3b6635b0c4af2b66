"""Better Stack Uptime API: monitors, their availability (SLA) and incidents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from services.providers.http_client import ProviderClient, QueryParams, TokenCheck, parse_time

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
        monitors = await self.list_monitors(max_pages=2)
        return TokenCheck("Better Stack", "uptime monitors", note=f"{len(monitors)} monitor(s) visible")

    async def list_monitors(
        self, *, per_page: int = 50, max_pages: int = 20
    ) -> tuple[BetterStackMonitor, ...]:
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
    ) -> tuple[BetterStackIncident, ...]:
        params: QueryParams = {
            "per_page": per_page,
            "resolved": False if open_only else None,
            "monitor_id": monitor_id,
        }
        return await self._paged("/api/v3/incidents", params, max_pages, _incident, "incidents")

    async def _paged(
        self, path: str, params: QueryParams, max_pages: int, item: Callable[[dict[str, Any]], T], what: str
    ) -> tuple[T, ...]:
        """Follow ``pagination.next`` (a full URL on the same host) up to ``max_pages`` pages."""
        out: list[T] = []
        url: str | None = path
        query: QueryParams | None = params
        for _ in range(max_pages):
            if url is None:
                break
            body = await self.get_json(url, params=query, resource=what)
            out += self.parse(f"the {what} list", lambda b: [item(x) for x in b["data"]], body)
            url = self.parse(f"the {what} list", lambda b: b["pagination"]["next"], body)
            query = None
        return tuple(out)


def _monitor(m: dict[str, Any]) -> BetterStackMonitor:
    a = m["attributes"]
    return BetterStackMonitor(
        id=str(m["id"]),
        name=str(a.get("pronounceable_name") or a.get("url") or m["id"]),
        url=str(a.get("url", "")),
        monitor_type=str(a.get("monitor_type", "")),
        status=str(a.get("status", "")),
        last_checked_at=parse_time(a.get("last_checked_at")),
        check_frequency_s=a.get("check_frequency"),
    )


def _sla(body: dict[str, Any]) -> MonitorSla:
    d = body["data"]
    a = d["attributes"]
    return MonitorSla(
        monitor_id=str(d["id"]),
        availability=float(a["availability"]),
        total_downtime_s=int(a["total_downtime"]),
        incidents=int(a["number_of_incidents"]),
        longest_incident_s=int(a["longest_incident"]),
        average_incident_s=int(a["average_incident"]),
    )


def _incident(i: dict[str, Any]) -> BetterStackIncident:
    a = i["attributes"]
    monitor = ((i.get("relationships") or {}).get("monitor") or {}).get("data") or {}
    return BetterStackIncident(
        id=str(i["id"]),
        name=str(a.get("name", "")),
        url=a.get("url"),
        cause=str(a.get("cause", "")),
        status=str(a.get("status", "")),
        started_at=parse_time(a.get("started_at")),
        acknowledged_at=parse_time(a.get("acknowledged_at")),
        resolved_at=parse_time(a.get("resolved_at")),
        monitor_id=str(monitor["id"]) if monitor.get("id") else None,
    )

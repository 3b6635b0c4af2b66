"""Better Stack Uptime API stand-in: monitors of the three environment URLs (plus homepage and MLS
sync checks), their availability (SLA) and incidents, paged with ``pagination.next`` URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import StandinError, StandinRequest, TokenPolicy, routes
from sandbox.provider_standins.server import StandinServer

TOKEN = "fakeSandboxBetterStackUptimeToken0000"
REVOKED_TOKEN = "fakeRevokedBetterStackUptimeToken0000"
LIMITED_TOKEN = "fakeLimitedBetterStackUptimeToken0000"
TEAM = "Realtor Brokerage"

# id, name, url, type, status, keyword
_MONITORS = (
    ("2202101", "Realtor platform – production", h.PRODUCTION_URL + "/api/health", "status", "up", None),
    ("2202102", "Realtor platform – staging", h.STAGING_URL + "/api/health", "status", "down", None),
    (
        "2202103",
        "Realtor platform – development",
        h.DEVELOPMENT_URL + "/api/health",
        "status",
        "paused",
        None,
    ),
    ("2202104", "Homepage", h.PRODUCTION_URL, "keyword", "up", "Find your next home"),
    ("2202105", "MLS sync", h.PRODUCTION_URL + "/api/mls/health", "expected_status_code", "up", None),
)


@dataclass
class BetterStackData:
    now: datetime
    monitors: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def build(cls, now: datetime | None = None) -> BetterStackData:
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        data = cls(now=now)
        for mid, name, url, kind, status, keyword in _MONITORS:
            data.monitors.append(_monitor(mid, name, url, kind, status, keyword, now))
        data.incidents = [
            _incident(
                "510001",
                _MONITORS[0],
                "Timeout (no response)",
                now - timedelta(days=3, hours=4),
                now - timedelta(days=3, hours=3, minutes=48),
            ),
            _incident("510002", _MONITORS[1], "Status 503", now - timedelta(minutes=42), None),
        ]
        return data


def _monitor(
    mid: str, name: str, url: str, kind: str, status: str, keyword: str | None, now: datetime
) -> dict[str, Any]:
    paused = status == "paused"
    return {
        "id": mid,
        "type": "monitor",
        "attributes": {
            "url": url,
            "pronounceable_name": name,
            "monitor_type": kind,
            "monitor_group_id": None,
            "last_checked_at": None if paused else h.iso(now - timedelta(seconds=41)),
            "status": status,
            "policy_id": None,
            "team_name": TEAM,
            "required_keyword": keyword,
            "verify_ssl": True,
            "check_frequency": 60 if "production" in name.lower() or kind != "status" else 180,
            "call": "production" in name.lower(),
            "sms": "production" in name.lower(),
            "email": True,
            "push": True,
            "team_wait": 180,
            "http_method": "get",
            "request_timeout": 30,
            "recovery_period": 180,
            "request_headers": [],
            "request_body": "",
            "paused_at": h.iso(now - timedelta(days=20)) if paused else None,
            "created_at": h.iso(now - timedelta(days=380)),
            "updated_at": h.iso(now - timedelta(days=20)),
            "ssl_expiration": 14,
            "domain_expiration": 30,
            "regions": ["us", "eu"],
            "maintenance_from": None,
            "maintenance_to": None,
            "maintenance_timezone": "UTC",
            "maintenance_days": None,
            "port": None,
            "confirmation_period": 0,
            "expected_status_codes": [200] if kind == "expected_status_code" else [],
        },
        "relationships": {"policy": {"data": None}},
    }


def _incident(
    iid: str, monitor: tuple[Any, ...], cause: str, started: datetime, resolved: datetime | None
) -> dict[str, Any]:
    mid, name, url = monitor[0], monitor[1], monitor[2]
    return {
        "id": iid,
        "type": "incident",
        "attributes": {
            "name": name,
            "url": url,
            "http_method": "get",
            "cause": cause,
            "incident_group_id": None,
            "started_at": h.iso(started),
            "acknowledged_at": h.iso(started + timedelta(minutes=4)) if resolved else None,
            "acknowledged_by": "maria.chen@realtor-platform.com" if resolved else None,
            "resolved_at": h.iso(resolved) if resolved else None,
            "resolved_by": "Better Stack" if resolved else None,
            "status": "Resolved" if resolved else "Started",
            "team_name": TEAM,
            "response_content": None,
            "response_options": None,
            "regions": ["us", "eu"],
            "response_url": None,
            "screenshot_url": None,
            "origin_url": None,
            "escalation_policy_id": None,
            "call": False,
            "sms": False,
            "email": True,
            "push": True,
            "metadata": {},
        },
        "relationships": {"monitor": {"data": {"id": mid, "type": "monitor"}}, "heartbeat": {"data": None}},
    }


def _page(
    request: StandinRequest, items: list[Any], default_per_page: int, max_per_page: int
) -> dict[str, Any]:
    per_page = max(1, min(max_per_page, request.int_arg("per_page", default_per_page)))
    page = max(1, request.int_arg("page", 1))
    last = max(1, -(-len(items) // per_page))
    other = [(k, v) for k, v in request.query if k != "page"]

    def url(p: int) -> str:
        return f"{request.base_url}{request.path}?{urlencode([*other, ('page', str(p))])}"

    return {
        "data": items[(page - 1) * per_page : page * per_page],
        "pagination": {
            "first": url(1),
            "last": url(last),
            "prev": url(page - 1) if page > 1 else None,
            "next": url(page + 1) if page < last else None,
        },
    }


class BetterStackStandin:
    def __init__(self, data: BetterStackData) -> None:
        self.data = data

    def monitors(self, request: StandinRequest) -> Any:
        items = self.data.monitors
        url = request.arg("url")
        if url:
            items = [m for m in items if m["attributes"]["url"] == url]
        return _page(request, items, 50, 250)

    def monitor(self, request: StandinRequest) -> Any:
        return {"data": self._find(request.path_params["monitor_id"])}

    def _find(self, monitor_id: str) -> dict[str, Any]:
        for monitor in self.data.monitors:
            if monitor["id"] == monitor_id:
                return monitor
        raise StandinError(404, "Resource type Monitor with id = " + monitor_id + " was not found")

    def sla(self, request: StandinRequest) -> Any:
        monitor = self._find(request.path_params["monitor_id"])
        try:
            start = date.fromisoformat(
                request.arg("from") or (self.data.now.date() - timedelta(days=30)).isoformat()
            )
            end = date.fromisoformat(request.arg("to") or self.data.now.date().isoformat())
        except ValueError:
            raise StandinError(400, "Invalid date format, use YYYY-MM-DD") from None
        if end < start:
            raise StandinError(400, "'from' must be before 'to'")
        downtimes = []
        for incident in self.data.incidents:
            if incident["relationships"]["monitor"]["data"]["id"] != monitor["id"]:
                continue
            attrs = incident["attributes"]
            began = datetime.fromisoformat(attrs["started_at"].replace("Z", "+00:00"))
            if not start <= began.date() <= end:
                continue
            ended = (
                datetime.fromisoformat(attrs["resolved_at"].replace("Z", "+00:00"))
                if attrs["resolved_at"]
                else self.data.now
            )
            downtimes.append(int((ended - began).total_seconds()))
        period = ((end - start).days + 1) * 86400
        total = sum(downtimes)
        return {
            "data": {
                "id": monitor["id"],
                "type": "monitor_sla",
                "attributes": {
                    "availability": round(100 * (1 - total / period), 3),
                    "total_downtime": total,
                    "number_of_incidents": len(downtimes),
                    "longest_incident": max(downtimes, default=0),
                    "average_incident": total // len(downtimes) if downtimes else 0,
                },
            }
        }

    def incidents(self, request: StandinRequest) -> Any:
        items = self.data.incidents
        resolved = request.arg("resolved")
        if resolved in ("true", "false"):
            items = [i for i in items if (i["attributes"]["resolved_at"] is not None) == (resolved == "true")]
        monitor = request.arg("monitor_id")
        if monitor:
            items = [i for i in items if i["relationships"]["monitor"]["data"]["id"] == monitor]
        return _page(request, items, 10, 50)


def _error_body(status: int, message: str, code: str) -> Any:
    if status == 401:
        message = "Invalid Team API token. How to find your Team API token: https://betterstack.com/docs/uptime/api/getting-started-with-uptime-api#obtaining-an-uptime-api-token"
    elif status == 403 and code == "forbidden":
        message = "This token is read-only or lacks access to this resource"
    return {"errors": message}


def create(*, tokens: TokenPolicy | None = None, now: datetime | None = None, port: int = 0) -> StandinServer:
    """A Better Stack Uptime stand-in (not started). Its ``data`` attribute holds monitors and incidents."""
    data = BetterStackData.build(now)
    api = BetterStackStandin(data)
    return StandinServer(
        "betterstack",
        routes(
            ("GET", "/api/v2/monitors", api.monitors),
            ("GET", "/api/v2/monitors/{monitor_id}", api.monitor),
            ("GET", "/api/v2/monitors/{monitor_id}/sla", api.sla),
            ("GET", "/api/v3/incidents", api.incidents),
        ),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        error_body=_error_body,
        port=port,
        data=data,
    )

"""Sentry Web API: unresolved issues of a project (organization issues endpoint, cursor paging)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.providers.http_client import ProviderClient, TokenCheck, parse_time


@dataclass(frozen=True)
class SentryIssue:
    id: str
    short_id: str
    title: str
    culprit: str | None
    level: str  # fatal, error, warning, info, debug
    status: str
    substatus: str | None
    priority: str | None
    events: int
    users: int
    first_seen: datetime | None
    last_seen: datetime | None
    permalink: str
    project: str
    is_unhandled: bool


@dataclass(frozen=True)
class SentryIssueList:
    issues: tuple[SentryIssue, ...]
    truncated: bool  # more pages existed than were read


class SentryClient(ProviderClient):
    provider = "sentry"
    display_name = "Sentry"
    default_base_url = "https://sentry.io"

    async def check_token(self, org: str, project: str | None = None) -> TokenCheck:
        """Reads one issue of the organization (and project), which needs ``event:read``."""
        params: dict[str, Any] = {"limit": 1, "query": "is:unresolved"}
        subject = f"organization '{org}'"
        if project:
            params["project"] = [project]
            subject += f", project '{project}'"
        await self.request("GET", _issues_path(org), params=params, resource=subject)
        return TokenCheck("Sentry", subject)

    async def unresolved_issues(
        self,
        org: str,
        project: str,
        *,
        environment: str | None = None,
        per_page: int = 100,
        max_pages: int = 5,
    ) -> SentryIssueList:
        """Unresolved issues, newest activity first; follows ``Link: rel="next"`` while it says
        ``results="true"``, at most ``max_pages`` pages. ``project`` is the id (or slug)."""
        params: dict[str, Any] = {
            "project": [project],
            "query": "is:unresolved",
            "sort": "date",
            "limit": per_page,
            "environment": [environment] if environment else None,
        }
        pages = await self.link_pages(
            _issues_path(org),
            params=params,
            max_pages=max_pages,
            require_results=True,
            resource=f"organization '{org}'",
        )
        issues: list[SentryIssue] = []
        for body in pages.bodies:
            issues += self.parse("the issue list", lambda b: [_issue(i) for i in b], body)
        return SentryIssueList(tuple(issues), pages.more)


def _issues_path(org: str) -> str:
    return f"/api/0/organizations/{quote(org, safe='')}/issues/"


def _issue(i: dict[str, Any]) -> SentryIssue:
    project = i.get("project") or {}
    return SentryIssue(
        id=str(i["id"]),
        short_id=str(i.get("shortId", "")),
        title=str(i["title"]),
        culprit=i.get("culprit"),
        level=str(i.get("level", "error")),
        status=str(i["status"]),
        substatus=i.get("substatus"),
        priority=i.get("priority"),
        events=int(i.get("count") or 0),
        users=int(i.get("userCount") or 0),
        first_seen=parse_time(i.get("firstSeen")),
        last_seen=parse_time(i.get("lastSeen")),
        permalink=str(i.get("permalink", "")),
        project=str(project.get("slug") or project.get("id") or ""),
        is_unhandled=bool(i.get("isUnhandled", False)),
    )

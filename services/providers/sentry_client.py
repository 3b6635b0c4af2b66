"""Sentry Web API: unresolved issues of a project (organization issues endpoint, cursor paging).

Sentry keeps each organization's data in one region: ``us`` (https://us.sentry.io) or ``de``
(https://de.sentry.io), the servers of its API spec; the workspace's ``sentry_region`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.core.errors import ConfigError
from services.providers.answer_fields import as_id, as_int, as_object, parse_time
from services.providers.http_client import ProviderClient, TokenCheck
from services.providers.http_headers import reset_wait

REGIONS = ("us", "de")
DEFAULT_REGION = "us"


def region_url(region: str) -> str:
    """The API base URL of a Sentry data region (``us`` or ``de``)."""
    name = (region or DEFAULT_REGION).strip().lower()
    if name not in REGIONS:
        raise ConfigError(
            f"'{region[:40]}' is not a Sentry region",
            hint=f"Set sentry_region to one of: {', '.join(REGIONS)}",
        )
    return f"https://{name}.sentry.io"


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
    skipped: tuple[str, ...] = ()  # issues left out because they did not fit (named, with why)


class SentryClient(ProviderClient):
    provider = "sentry"
    display_name = "Sentry"
    default_base_url = region_url(DEFAULT_REGION)

    def __init__(self, token: str, *, region: str = DEFAULT_REGION, **kwargs: Any) -> None:
        if not kwargs.get("base_url"):
            kwargs["base_url"] = region_url(region)
        super().__init__(token, **kwargs)
        self.region = region

    async def check_token(self, org: str, project: str | None = None) -> TokenCheck:
        """Reads one issue of the organization (and project), which needs ``event:read``. The
        answer must be the issue list: a 200 login page, an empty or cut-off body is no proof."""
        params: dict[str, Any] = {"limit": 1, "query": "is:unresolved"}
        subject = f"organization '{org}'"
        if project:
            params["project"] = [project]
            subject += f", project '{project}'"
        body = await self.get_json(_issues_path(org), params=params, resource=subject)
        if not isinstance(body, list):
            raise self.protocol_failure("the issue list was not a list")
        return TokenCheck("Sentry", subject)

    # Sentry's 429 says when its window resets in X-Sentry-Rate-Limit-Reset (a Unix time, UTC).
    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        wait = super().rate_limit_wait(response)
        if wait is None:
            wait = reset_wait(response.headers.get("x-sentry-rate-limit-reset"))
        return wait

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
        skipped: list[str] = []
        for body in pages.bodies:
            items, odd = self.parse_items("the issue list", body, _issue, name="issue")
            issues += items
            skipped += odd
        return SentryIssueList(tuple(issues), pages.more, tuple(skipped))


def _issues_path(org: str) -> str:
    return f"/api/0/organizations/{quote(org, safe='')}/issues/"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int:
    """Sentry sends counts as strings ("1234"); an absent or out-of-range one is 0."""
    try:
        return max(0, as_int(value) or 0)
    except (TypeError, ValueError):
        return 0


def _issue(i: dict[str, Any]) -> SentryIssue:
    project = as_object(i.get("project"))
    return SentryIssue(
        id=as_id(i["id"]),
        short_id=_text(i.get("shortId")) or "",
        title=str(i["title"]),
        culprit=_text(i.get("culprit")),
        level=_text(i.get("level")) or "error",
        status=str(i["status"]),
        substatus=_text(i.get("substatus")),
        priority=_text(i.get("priority")),
        events=_count(i.get("count")),
        users=_count(i.get("userCount")),
        first_seen=parse_time(i.get("firstSeen")),
        last_seen=parse_time(i.get("lastSeen")),
        permalink=_text(i.get("permalink")) or "",
        project=str(project.get("slug") or project.get("id") or ""),
        is_unhandled=i.get("isUnhandled") is True,
    )

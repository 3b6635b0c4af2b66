"""Sentry Web API stand-in: the organization's issues (production and staging environments) with
cursor paging in the ``Link`` header, as Sentry does it. Answers in the Sentry OpenAPI shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import (
    StandinError,
    StandinRequest,
    StandinResponse,
    TokenPolicy,
    routes,
)
from sandbox.provider_standins.server import StandinServer

TOKEN = "sntrys_fakeSandboxRealtorOps000000000000000000000000"
REVOKED_TOKEN = "sntrys_fakeRevokedRealtorOps000000000000000000000000"
LIMITED_TOKEN = "sntrys_fakeLimitedRealtorOps000000000000000000000000"
ORG = "realtor-brokerage"
PROJECT = {
    "id": "4506789",
    "slug": "realtor-platform",
    "name": "realtor-platform",
    "platform": "javascript-nextjs",
}

# title, culprit, level, environments, events, users, first seen (hours ago), last seen (hours ago), status
_ISSUES = (
    (
        "TypeError: Cannot read properties of undefined (reading 'price')",
        "app/listings/[id]/page.tsx in PropertyPage",
        "error",
        ("production",),
        1843,
        212,
        90,
        0.2,
        "unresolved",
    ),
    (
        "PrismaClientKnownRequestError: Unique constraint failed on the fields: (`mlsId`)",
        "lib/mls/sync.ts in upsertListing",
        "error",
        ("production", "staging"),
        644,
        0,
        400,
        1.5,
        "unresolved",
    ),
    (
        "Error: MLS feed timed out after 30000 ms",
        "lib/mls/client.ts in fetchFeed",
        "warning",
        ("production",),
        311,
        0,
        200,
        3,
        "unresolved",
    ),
    (
        "RestException [Error]: The 'To' number +1555010 is not a valid phone number.",
        "lib/sms/twilio.ts in sendReminder",
        "error",
        ("production",),
        97,
        41,
        140,
        5,
        "unresolved",
    ),
    (
        "Error: JWT_SESSION_ERROR decryption operation failed",
        "app/api/auth/[...nextauth]/route.ts in GET",
        "error",
        ("staging",),
        58,
        9,
        30,
        2,
        "unresolved",
    ),
    (
        "ChunkLoadError: Loading chunk 3517 failed.",
        "app/map/page.tsx in MapSearch",
        "error",
        ("production",),
        1210,
        388,
        300,
        0.5,
        "unresolved",
    ),
    (
        "Error: Resend API returned 422: Invalid `to` field",
        "lib/email/resend.ts in sendListingAlert",
        "error",
        ("production", "staging"),
        73,
        12,
        500,
        20,
        "unresolved",
    ),
    (
        "Error: R2 upload failed: SignatureDoesNotMatch",
        "lib/storage/r2.ts in putListingPhoto",
        "fatal",
        ("staging",),
        14,
        3,
        12,
        6,
        "unresolved",
    ),
    (
        'Warning: Each child in a list should have a unique "key" prop.',
        "components/AgentReviews.tsx",
        "warning",
        ("staging",),
        2210,
        15,
        600,
        1,
        "unresolved",
    ),
    (
        "Error: connect ETIMEDOUT 10.0.3.14:5432",
        "lib/db.ts in prisma.$connect",
        "error",
        ("production",),
        26,
        19,
        72,
        48,
        "unresolved",
    ),
    (
        "TypeError: Failed to fetch",
        "components/LeadForm.tsx in submitLead",
        "error",
        ("production",),
        402,
        260,
        800,
        4,
        "unresolved",
    ),
    (
        "Error: 3CX click-to-call rejected: extension busy",
        "lib/phone/threecx.ts in dial",
        "info",
        ("production",),
        35,
        11,
        100,
        30,
        "resolved",
    ),
    (
        "RangeError: Invalid time value",
        "components/ShowingCalendar.tsx in formatSlot",
        "error",
        ("production", "staging"),
        188,
        77,
        250,
        8,
        "unresolved",
    ),
)


@dataclass
class SentryData:
    now: datetime
    issues: list[tuple[dict[str, Any], tuple[str, ...]]] = field(
        default_factory=list
    )  # (issue, environments)

    @classmethod
    def build(cls, now: datetime | None = None) -> SentryData:
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        data = cls(now=now)
        for i, (title, culprit, level, envs, events, users, first, last, status) in enumerate(_ISSUES):
            data.issues.append(
                (_issue(i, title, culprit, level, envs, events, users, now, first, last, status), envs)
            )
        data.issues.sort(key=lambda pair: pair[0]["lastSeen"], reverse=True)  # sort=date
        return data


def _issue(
    i: int,
    title: str,
    culprit: str,
    level: str,
    envs: tuple[str, ...],
    events: int,
    users: int,
    now: datetime,
    first: float,
    last: float,
    status: str,
) -> dict[str, Any]:
    issue_id = str(5_900_000_000 + i * 7919)
    kind = title.split(":")[0].split(" [")[0]
    last_seen = now - timedelta(hours=last)
    hourly = [[int((now - timedelta(hours=24 - k)).timestamp()), (events * (k + 1)) % 17] for k in range(24)]
    return {
        "id": issue_id,
        "shareId": None,
        "shortId": f"REALTOR-PLATFORM-{i + 10:X}",
        "title": title,
        "culprit": culprit,
        "permalink": f"https://{ORG}.sentry.io/issues/{issue_id}/",
        "logger": None,
        "level": level,
        "status": status,
        "statusDetails": {},
        "substatus": "ongoing" if status == "unresolved" else None,
        "isPublic": False,
        "platform": "javascript",
        "priority": {"fatal": "high", "error": "high", "warning": "medium"}.get(level, "low"),
        "priorityLockedAt": None,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "project": PROJECT,
        "type": "error",
        "issueType": "error",
        "issueCategory": "error",
        "metadata": {
            "type": kind,
            "value": title[len(kind) + 2 :] or title,
            "filename": culprit.split(" in ")[0],
        },
        "numComments": i % 3,
        "assignedTo": None,
        "isBookmarked": False,
        "isSubscribed": False,
        "subscriptionDetails": None,
        "hasSeen": i % 2 == 0,
        "annotations": [],
        "isUnhandled": level in ("error", "fatal"),
        "count": str(events),
        "userCount": users,
        "firstSeen": h.iso(now - timedelta(hours=first)),
        "lastSeen": h.iso(last_seen),
        "derivedData": {
            "blocker": "",
            "hasOpenFixPr": False,
            "hasRootCause": False,
            "isAssigned": False,
            "lastCompletedAutofixStep": "",
            "lastProgressedAt": None,
            "progress": "",
            "status": "",
            "viewCount": i,
        },
        "stats": {"24h": hourly},
        "lifetime": {"count": str(events), "userCount": users},
        "filtered": None,
        "sessionCount": 0,
        "inbox": {"date_added": h.iso(now - timedelta(hours=first)), "reason": 0, "reason_details": None},
        "owners": {
            "date_added": h.iso(now - timedelta(hours=first)),
            "owner": "team:4501234",
            "type": "codeowners",
        },
        "integrationIssues": [],
        "sentryAppIssues": [],
        "latestEventHasAttachments": False,
        "matchingEventId": h.stable_id("", "event", issue_id, length=32).lower(),
        "matchingEventEnvironment": envs[0],
    }


class SentryStandin:
    def __init__(self, data: SentryData) -> None:
        self.data = data

    def org_issues(self, request: StandinRequest) -> StandinResponse:
        org = request.path_params["organization_id_or_slug"]
        if org != ORG:
            raise StandinError(404, "The requested resource does not exist")
        projects = set(request.args("project"))
        if projects - {"-1", PROJECT["id"], PROJECT["slug"]}:
            raise StandinError(403, "You do not have permission to perform this action.")
        envs = set(request.args("environment"))
        query = request.arg("query", "is:unresolved") or ""
        wanted_status = None
        for term in query.split():
            if term.startswith("is:"):
                wanted_status = term[3:]
        items = [
            issue
            for issue, issue_envs in self.data.issues
            if (not envs or envs & set(issue_envs))
            and (wanted_status is None or issue["status"] == wanted_status)
        ]
        limit = max(1, min(100, request.int_arg("limit", 100)))
        offset = _offset(request.arg("cursor"))
        page = items[offset : offset + limit]
        if envs:
            page = [{**issue, "matchingEventEnvironment": sorted(envs)[0]} for issue in page]
        headers = {"Link": _link(request, offset, limit, len(items))}
        return StandinResponse(200, page, headers)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        _, offset, _ = cursor.split(":")
        return max(0, int(offset))
    except ValueError:
        raise StandinError(400, "Invalid cursor parameter.") from None


def _link(request: StandinRequest, offset: int, limit: int, total: int) -> str:
    """Sentry's Link header: always a previous and a next link, each saying whether it has results."""
    other = [(k, v) for k, v in request.query if k != "cursor"]
    url = f"{request.base_url}{request.path}"

    def entry(rel: str, cursor: str, results: bool) -> str:
        query = urlencode([*other, ("cursor", cursor)])
        return f'<{url}?{query}>; rel="{rel}"; results="{"true" if results else "false"}"; cursor="{cursor}"'

    prev_cursor = f"0:{max(0, offset - limit)}:1"
    next_cursor = f"0:{offset + limit}:0"
    return ", ".join(
        [entry("previous", prev_cursor, offset > 0), entry("next", next_cursor, offset + limit < total)]
    )


def _error_body(status: int, message: str, code: str) -> Any:
    if status == 401:
        message = "Invalid token"
    elif status == 403 and code == "forbidden":
        message = "You do not have permission to perform this action."
    return {"detail": message}


def create(*, tokens: TokenPolicy | None = None, now: datetime | None = None, port: int = 0) -> StandinServer:
    """A Sentry stand-in (not started). Its ``data`` attribute holds the issues."""
    data = SentryData.build(now)
    api = SentryStandin(data)
    return StandinServer(
        "sentry",
        routes(("GET", "/api/0/organizations/{organization_id_or_slug}/issues/", api.org_issues)),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        error_body=_error_body,
        port=port,
        data=data,
    )

"""The realtor platform's recent history, shared by the stand-ins so that they tell one story:
the same commits appear as Vercel deployments and as GitHub Actions runs of "Deploy Realtor
Platform"; the same failures show in both. Deterministic for a given ``now``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

REPOSITORY = "realtor-brokerage/realtor-platform"
PROJECT_NAME = "realtor-platform"
PROJECT_ID = "prj_Rq7Lm2VtXc9PbK4sHn8Jw3Ydz1Ga"
TEAM_ID = "team_Bk5Xr9Pq2Wm7Lt4Nv8Hc3Jd6"
TEAM_SLUG = "realtor-brokerage"
PRODUCTION_URL = "https://realtor-platform.com"
STAGING_URL = "https://staging-realtor-app.vercel.app"
DEVELOPMENT_URL = "https://dev-realtor-app.vercel.app"
WORKFLOW_NAME = "Deploy Realtor Platform"
WORKFLOW_FILE = ".github/workflows/deploy.yml"
JOB_NAMES = ("test", "security-scan", "build-and-deploy", "database-migration", "notify")

AUTHORS = (
    ("Maria Chen", "mchen", "maria.chen@realtor-platform.com"),
    ("David Okafor", "dokafor", "david.okafor@realtor-platform.com"),
    ("Sarah Patel", "spatel", "sarah.patel@realtor-platform.com"),
    ("James Rivera", "jrivera", "james.rivera@realtor-platform.com"),
)

# (hours ago, branch, author index, message, outcome) — newest first.
# outcome: "ok", "build-error" (Vercel ERROR, GitHub build-and-deploy fails), "test-failure"
# (GitHub test fails, nothing deployed), "canceled" (superseded by a newer push), "building"
# (still running).
_COMMITS = (
    (0, "develop", 2, "feat(showings): RSVP form for open houses", "building"),
    (3, "feature/open-house-rsvp", 2, "feat(showings): RSVP form for open houses", "build-error"),
    (7, "develop", 1, "fix(mls): retry MLS sync when the feed answers 429", "ok"),
    (20, "main", 0, "feat(listings): virtual tour embed on the property page", "ok"),
    (27, "develop", 0, "feat(listings): virtual tour embed on the property page", "ok"),
    (49, "feature/lead-scoring", 3, "feat(crm): score buyer inquiries by engagement", "ok"),
    (70, "main", 1, "chore(deps): bump next from 14.2.3 to 14.2.5", "ok"),
    (74, "develop", 1, "chore(deps): bump next from 14.2.3 to 14.2.5", "canceled"),
    (75, "develop", 1, "chore(deps): bump next and @prisma/client", "ok"),
    (98, "main", 2, "fix(auth): refresh the NextAuth session before it expires", "ok"),
    (122, "develop", 3, "perf(search): index listings by geohash", "test-failure"),
    (146, "main", 3, "feat(showings): Twilio SMS reminders the day before a showing", "ok"),
    (170, "develop", 0, "fix(upload): resize listing photos before the R2 upload", "ok"),
    (218, "main", 0, "fix(upload): resize listing photos before the R2 upload", "build-error"),
    (242, "feature/map-draw-search", 2, "feat(map): draw an area on the map to search in it", "ok"),
    (290, "main", 1, "feat(agents): agent profile pages with client reviews", "ok"),
    (314, "develop", 1, "fix(email): verify Resend bounce webhook signatures", "ok"),
    (362, "main", 2, "chore(db): index properties.status and properties.city", "ok"),
    (410, "develop", 3, "feat(crm): pipeline board for agents", "ok"),
    (458, "main", 3, "fix(mls): map MLS 'Coming Soon' status to draft listings", "ok"),
    (506, "develop", 0, "feat(documents): e-sign purchase agreements", "ok"),
    (554, "main", 0, "feat(documents): e-sign purchase agreements", "ok"),
    (602, "develop", 2, "fix(phone): 3CX click-to-call from the lead page", "ok"),
    (650, "main", 1, "perf(images): serve listing photos as AVIF through R2", "ok"),
    (698, "develop", 1, "feat(listings): price history chart", "ok"),
    (746, "main", 2, "fix(search): keep filters when paging through results", "ok"),
    (794, "develop", 3, "chore(ci): cache Prisma engines between jobs", "ok"),
)


@dataclass(frozen=True)
class Commit:
    index: int  # 0 = newest
    sha: str
    branch: str
    author_name: str
    author_login: str
    author_email: str
    message: str
    outcome: str
    pushed_at: datetime

    @property
    def target(self) -> str | None:
        return {"main": "production", "develop": "staging"}.get(self.branch)


def commits(now: datetime | None = None) -> tuple[Commit, ...]:
    """The commits of the last five weeks, newest first."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    out = []
    for i, (hours, branch, who, message, outcome) in enumerate(_COMMITS):
        name, login, email = AUTHORS[who]
        sha = hashlib.sha1(f"{i}:{branch}:{message}".encode(), usedforsecurity=False).hexdigest()
        out.append(
            Commit(
                i, sha, branch, name, login, email, message, outcome, now - timedelta(hours=hours, minutes=7)
            )
        )
    return tuple(out)


def stable_id(prefix: str, *parts: object, length: int = 24) -> str:
    """A stable, realistic-looking identifier (base62-ish) derived from ``parts``."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(alphabet[rem])
    return prefix + "".join(chars)


def stable_int(*parts: object, digits: int = 10) -> int:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return 10 ** (digits - 1) + int.from_bytes(digest[:8], "big") % (9 * 10 ** (digits - 1))


def iso(when: datetime) -> str:
    """RFC 3339 with a Z, as the providers write it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)

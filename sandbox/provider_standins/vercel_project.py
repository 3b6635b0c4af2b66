"""The Vercel stand-in's project ``realtor-platform``: its deployments (with the build log each one
streams), the promote/rollback alias job, and its environment variables. The API that serves them is
``vercel``; the answer shapes are ``vercel_shapes``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import StandinError

ACCOUNT_ID = h.TEAM_ID
USER_ID = "usr_Mc4Ten8Ws2Qp6Lx9Hr3Kd7Vb"

ENV_VARS = (
    # key, type, targets, plaintext
    (
        "DATABASE_URL",
        "encrypted",
        ("production",),
        "postgresql://postgres.prod:sandbox@db.realtor.internal:6543/postgres",
    ),
    (
        "DATABASE_URL",
        "encrypted",
        ("preview", "development"),
        "postgresql://postgres.stg:sandbox@db.stg.internal:6543/postgres",
    ),
    (
        "DIRECT_URL",
        "encrypted",
        ("production",),
        "postgresql://postgres.prod:sandbox@db.realtor.internal:5432/postgres",
    ),
    (
        "REDIS_URL",
        "encrypted",
        ("production", "preview"),
        "rediss://default:sandbox@realtor-cache.upstash.io:6379",
    ),
    ("NEXTAUTH_URL", "plain", ("production",), h.PRODUCTION_URL),
    ("NEXTAUTH_URL", "plain", ("preview",), h.STAGING_URL),
    ("NEXTAUTH_SECRET", "sensitive", ("production", "preview"), "sandbox-nextauth-secret"),
    ("MLS_API_KEY", "sensitive", ("production",), "sandbox-mls-key"),
    ("RESEND_API_KEY", "encrypted", ("production", "preview"), "re_sandbox_resend"),
    (
        "SENTRY_DSN",
        "plain",
        ("production", "preview", "development"),
        "https://abc123@o450000.ingest.sentry.io/4506789",
    ),
    ("CLOUDFLARE_R2_BUCKET", "plain", ("production",), "realtor-files"),
    ("VERCEL_ANALYTICS_ID", "plain", ("production",), "va_realtor_sandbox"),
)

BUILD_LOG = (
    "Running build in Washington, D.C., USA (East) – iad1",
    "Cloning github.com/{repo} (Branch: {branch}, Commit: {short})",
    "Cloning completed: 1.204s",
    'Running "vercel build"',
    "Installing dependencies...",
    "added 1243 packages in 38s",
    "> prisma generate && next build",
    "✔ Generated Prisma Client (v5.14.0) to ./node_modules/@prisma/client",
    "   ▲ Next.js 14.2.5",
    "   Creating an optimized production build ...",
)
BUILD_OK = (
    " ✓ Compiled successfully",
    "Build Completed in /vercel/output [2m]",
    "Deploying outputs...",
    "Deployment completed",
)
BUILD_FAIL = (
    "Failed to compile.",
    "Type error: Property 'rsvp' does not exist on type 'OpenHouse'.",
    'Error: Command "npm run build" exited with 1',
)


@dataclass
class VercelDeploymentRecord:
    commit: h.Commit
    uid: str
    url: str
    state: str
    target: str | None
    created: int
    building_at: int
    ready: int | None
    promoted: bool = False
    finish_as: str = "READY"  # what a building deployment becomes when its log has streamed out
    shown_lines: int = 0  # build log lines streamed so far (a building deployment reveals more per poll)


@dataclass
class AliasJob:
    type: str  # promote, rollback
    from_id: str
    to_id: str
    requested_at: int
    status: str = "pending"
    polls: int = 0
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> status


@dataclass
class VercelData:
    now: datetime
    deployments: list[VercelDeploymentRecord] = field(default_factory=list)
    production_id: str = ""
    rollback_description: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    alias_job: AliasJob | None = None  # the project's lastAliasRequest
    auto_assign: bool = True  # off after a rollback until a promote
    fail_aliases: set[str] = field(default_factory=set)  # aliases the next promote/rollback fails to move
    job_steps: int = 2  # polls of the project a promote/rollback takes (pending, in-progress, done)
    lines_per_poll: int = 3  # build log lines a building deployment adds per events request

    @classmethod
    def build(cls, now: datetime | None = None, *, extra: int = 0) -> VercelData:
        now = now or datetime.now(UTC)
        data = cls(now=now)
        for commit in h.commits(now):
            if commit.outcome == "test-failure":
                continue  # the workflow stopped before build-and-deploy
            state = {"ok": "READY", "build-error": "ERROR", "canceled": "CANCELED", "building": "BUILDING"}[
                commit.outcome
            ]
            created = commit.pushed_at + timedelta(minutes=4)
            uid = h.stable_id("dpl_", "vercel", commit.sha, length=28)
            slug = h.stable_id("", "url", commit.sha, length=9).lower()
            record = VercelDeploymentRecord(
                commit=commit,
                uid=uid,
                url=f"{h.PROJECT_NAME}-{slug}-{h.TEAM_SLUG}.vercel.app",
                state=state,
                target=commit.target,
                created=h.millis(created),
                building_at=h.millis(created + timedelta(seconds=6)),
                ready=h.millis(created + timedelta(seconds=142))
                if state in ("READY", "ERROR", "CANCELED")
                else None,
                promoted=state == "READY" and commit.target == "production",
            )
            data.deployments.append(record)
        data.production_id = next(d.uid for d in data.deployments if d.promoted)
        data.deployments.extend(_older_deployments(data.deployments[-1].created, extra))
        return data

    def progress_alias_job(self) -> None:
        """One poll of the project moves the job one step: pending → in-progress → succeeded/failed."""
        job = self.alias_job
        if job is None or job.status in ("succeeded", "failed", "skipped"):
            return
        job.polls += 1
        if job.polls < self.job_steps:
            job.status = "in-progress"
            return
        failed = [a for a in job.aliases if a in self.fail_aliases]
        for alias in job.aliases:
            job.aliases[alias] = "failed" if alias in failed else "completed"
        if failed:
            job.status = "failed"
            self.fail_aliases.clear()
            return
        job.status = "succeeded"
        self.production_id = job.to_id
        self.find(job.to_id).promoted = True
        if job.type == "rollback":
            self.auto_assign = False
        else:
            self.auto_assign = True
            self.rollback_description = None

    def advance_build(self, record: VercelDeploymentRecord) -> None:
        """A building deployment streams a few more log lines per events request, then finishes."""
        if record.state not in ("BUILDING", "QUEUED", "INITIALIZING"):
            return
        record.state = "BUILDING"
        record.shown_lines += self.lines_per_poll
        total = len(BUILD_LOG) + len(BUILD_FAIL if record.finish_as == "ERROR" else BUILD_OK)
        if record.shown_lines >= total:
            record.shown_lines = total
            record.state = record.finish_as
            record.ready = h.millis(datetime.now(UTC))
            if record.state == "READY" and record.target == "production" and self.auto_assign:
                record.promoted = True
                self.production_id = record.uid

    def find(self, id_or_url: str) -> VercelDeploymentRecord:
        for record in self.deployments:
            if id_or_url in (record.uid, record.url):
                return record
        raise StandinError(404, "The deployment was not found", code="not_found")


def _older_deployments(before_ms: int, count: int) -> list[VercelDeploymentRecord]:
    """``count`` older deployments (for long histories: benchmarks, paging), one every 40 minutes."""
    out = []
    authors = h.AUTHORS
    for i in range(count):
        name, login, email = authors[i % len(authors)]
        branch = ("main", "develop", "feature/listing-import")[i % 3]
        created = before_ms - (i + 1) * 40 * 60_000
        sha = h.stable_id("", "older", i, length=40).lower()
        commit = h.Commit(1000 + i, sha, branch, name, login, email, f"chore: maintenance change #{count - i}",
                          "ok", datetime.fromtimestamp(created / 1000, UTC))
        state = "ERROR" if i % 17 == 5 else "READY"
        out.append(VercelDeploymentRecord(
            commit=commit, uid=h.stable_id("dpl_", "older", i, length=28),
            url=f"{h.PROJECT_NAME}-{h.stable_id('', 'ourl', i, length=9).lower()}-{h.TEAM_SLUG}.vercel.app",
            state=state, target=commit.target, created=created, building_at=created + 6000,
            ready=created + 131_000, promoted=state == "READY" and commit.target == "production"))
    return out


PRODUCTION_ALIASES = ("realtor-platform.com", "www.realtor-platform.com")

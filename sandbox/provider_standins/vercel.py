"""Vercel REST API stand-in: project ``realtor-platform``, its deployments, build events, env vars,
promote / rollback / cancel. Answers in the shapes of the Vercel OpenAPI file."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import (
    StandinError,
    StandinRequest,
    StandinResponse,
    TokenPolicy,
    routes,
)
from sandbox.provider_standins.server import StandinServer

TOKEN = "fakeSandbox-vercel-token"
REVOKED_TOKEN = "fakeRevoked-vercel-token"
LIMITED_TOKEN = "fakeLimited-vercel-token"
ACCOUNT_ID = h.TEAM_ID
USER_ID = "usr_Mc4Ten8Ws2Qp6Lx9Hr3Kd7Vb"

_ENV_VARS = (
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

_BUILD_LOG = (
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
_BUILD_OK = (
    " ✓ Compiled successfully",
    "Build Completed in /vercel/output [2m]",
    "Deploying outputs...",
    "Deployment completed",
)
_BUILD_FAIL = (
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
        total = len(_BUILD_LOG) + len(_BUILD_FAIL if record.finish_as == "ERROR" else _BUILD_OK)
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


def _creator(record: VercelDeploymentRecord) -> dict[str, Any]:
    return {
        "uid": h.stable_id("usr_", record.commit.author_login),
        "username": record.commit.author_login,
        "email": record.commit.author_email,
        "githubLogin": record.commit.author_login,
    }


def _meta(record: VercelDeploymentRecord) -> dict[str, str]:
    owner, repo = h.REPOSITORY.split("/")
    return {
        "githubCommitSha": record.commit.sha,
        "githubCommitRef": record.commit.branch,
        "githubCommitMessage": record.commit.message,
        "githubCommitAuthorName": record.commit.author_name,
        "githubCommitAuthorLogin": record.commit.author_login,
        "githubCommitOrg": owner,
        "githubCommitRepo": repo,
        "githubDeployment": "1",
    }


def _list_item(record: VercelDeploymentRecord, data: VercelData) -> dict[str, Any]:
    item: dict[str, Any] = {
        "uid": record.uid,
        "name": h.PROJECT_NAME,
        "projectId": h.PROJECT_ID,
        "url": record.url,
        "created": record.created,
        "createdAt": record.created,
        "buildingAt": record.building_at,
        "source": "git",
        "state": record.state,
        "readyState": record.state,
        "type": "LAMBDAS",
        "creator": _creator(record),
        "meta": _meta(record),
        "target": record.target,  # null for a preview
        "aliasError": None,
        "inspectorUrl": f"https://vercel.com/{h.TEAM_SLUG}/{h.PROJECT_NAME}/{record.uid[4:]}",
        "isRollbackCandidate": record.promoted and record.uid != data.production_id,
    }
    if record.ready is not None:
        item["ready"] = record.ready
    if record.state == "READY":
        item["readySubstate"] = "PROMOTED" if record.promoted else "STAGED"
    if record.state == "ERROR":
        item["errorCode"] = "BUILD_FAILED"
        item["errorMessage"] = 'Command "npm run build" exited with 1'
    return item


def _public_deployment(record: VercelDeploymentRecord, data: VercelData) -> dict[str, Any]:
    """GET /v13/deployments/{id}: the public-information variant of the spec's oneOf."""
    body: dict[str, Any] = {
        "id": record.uid,
        "name": h.PROJECT_NAME,
        "url": record.url,
        "projectId": h.PROJECT_ID,
        "project": {"id": h.PROJECT_ID, "name": h.PROJECT_NAME, "framework": "nextjs"},
        "team": {"id": h.TEAM_ID, "name": "Realtor Brokerage", "slug": h.TEAM_SLUG},
        "createdAt": record.created,
        "buildingAt": record.building_at,
        "bootedAt": record.created + 2000,
        "buildSkipped": False,
        "aliasAssigned": record.state == "READY" and record.target is not None,
        "aliasError": None,
        "alias": _aliases(record),
        "creator": {"uid": _creator(record)["uid"], "username": record.commit.author_login},
        "public": False,
        "status": record.state,
        "readyState": record.state,
        "type": "LAMBDAS",
        "meta": _meta(record),
        "regions": ["iad1"],
        "version": 2,
        "target": record.target,
        "source": "git",
        "inspectorUrl": _list_item(record, data)["inspectorUrl"],
    }
    if record.ready is not None:
        body["ready"] = record.ready
    if record.state == "READY":
        body["readySubstate"] = "PROMOTED" if record.promoted else "STAGED"
    if record.state == "ERROR":
        body["errorCode"] = "BUILD_FAILED"
        body["errorMessage"] = 'Command "npm run build" exited with 1'
        body["errorStep"] = "build"
    return body


def _full_deployment(record: VercelDeploymentRecord, data: VercelData) -> dict[str, Any]:
    """The private variant (PATCH .../cancel answers with it)."""
    body = _public_deployment(record, data)
    body.update(
        {
            "build": {"env": []},
            "env": [],
            "isInConcurrentBuildsQueue": False,
            "isInSystemBuildsQueue": False,
            "projectSettings": {"framework": "nextjs", "nodeVersion": "20.x"},
            "plan": "pro",
            "createdIn": "iad1",
            "ownerId": h.TEAM_ID,
            "routes": None,
        }
    )
    return body


_PRODUCTION_ALIASES = ("realtor-platform.com", "www.realtor-platform.com")


def _aliases(record: VercelDeploymentRecord) -> list[str]:
    if record.target == "production" and record.state == "READY":
        return ["realtor-platform.com", "www.realtor-platform.com"]
    if record.target == "staging" and record.state == "READY":
        return ["staging-realtor-app.vercel.app"]
    return []


def _project(data: VercelData) -> dict[str, Any]:
    prod = data.find(data.production_id)
    body: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "id": h.PROJECT_ID,
        "name": h.PROJECT_NAME,
        "framework": "nextjs",
        "nodeVersion": "20.x",
        "directoryListing": False,
        "createdAt": h.millis(data.now - timedelta(days=400)),
        "updatedAt": prod.created,
        "live": True,
        "resourceConfig": {"functionDefaultRegions": ["iad1"], "fluid": True},
        "defaultResourceConfig": {"functionDefaultRegions": ["iad1"]},
        "targets": {
            "production": {
                "id": prod.uid,
                "createdAt": prod.created,
                "createdIn": "iad1",
                "creator": {k: v for k, v in _creator(prod).items() if k in ("uid", "username", "email")},
                "deploymentHostname": prod.url.removesuffix(".vercel.app"),
                "name": h.PROJECT_NAME,
                "plan": "pro",
                "private": True,
                "readyState": prod.state,
                "readySubstate": "PROMOTED",
                "type": "LAMBDAS",
                "url": prod.url,
                "userId": USER_ID,
                "meta": _meta(prod),
            }
        },
    }
    job = data.alias_job
    if job is not None:
        body["lastAliasRequest"] = {
            "fromDeploymentId": job.from_id,
            "toDeploymentId": job.to_id,
            "jobStatus": job.status,
            "requestedAt": job.requested_at,
            "type": job.type,
        }
    if data.rollback_description is not None:
        body["rollbackDescription"] = {
            "userId": USER_ID,
            "username": "mchen",
            "description": data.rollback_description,
            "createdAt": h.millis(datetime.now(UTC)),
        }
    return body


class VercelStandin:
    def __init__(self, data: VercelData) -> None:
        self.data = data

    def _scope(self, request: StandinRequest) -> None:
        team = request.arg("teamId")
        if team is not None and team != h.TEAM_ID:
            raise StandinError(403, "You don't have permission to access this team", code="forbidden")

    def _project_ref(self, ref: str) -> None:
        if ref not in (h.PROJECT_ID, h.PROJECT_NAME):
            raise StandinError(404, "Project not found", code="not_found")

    def get_project(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["idOrName"])
        with self.data.lock:
            self.data.progress_alias_job()
            return _project(self.data)

    def list_projects(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            project = _project(self.data)
        return {"projects": [project], "pagination": {"count": 1, "next": None}}

    def list_deployments(self, request: StandinRequest) -> Any:
        self._scope(request)
        project = request.arg("projectId")
        if project is not None and project not in (h.PROJECT_ID, h.PROJECT_NAME):
            return {"pagination": {"count": 0, "next": None, "prev": None}, "deployments": []}
        limit = max(1, min(100, request.int_arg("limit", 20)))
        until = request.int_arg("until", 1 << 62)
        target = request.arg("target")
        state = request.arg("state")
        states = {x.strip().upper() for x in state.split(",")} if state else None
        branch = request.arg("branch")
        wanted_target = None if target == "preview" else target
        with self.data.lock:
            rows = [
                d
                for d in self.data.deployments
                if d.created < until
                and (target is None or d.target == wanted_target)
                and (states is None or d.state in states)
                and (branch is None or d.commit.branch == branch)
            ]
            page = rows[:limit]
            items = [_list_item(d, self.data) for d in page]
        more = len(rows) > limit
        return {
            "pagination": {
                "count": len(items),
                "next": page[-1].created if more and page else None,
                "prev": page[0].created if page else None,
            },
            "deployments": items,
        }

    def get_deployment(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            return _public_deployment(self.data.find(request.path_params["idOrUrl"]), self.data)

    def events(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["idOrUrl"])
            self.data.advance_build(record)
            lines = [(line, "stdout") for line in _BUILD_LOG]
            if record.state == "ERROR" or (record.finish_as == "ERROR" and record.state == "BUILDING"):
                lines += [(line, "stderr") for line in _BUILD_FAIL]
            else:
                lines += [(line, "stdout") for line in _BUILD_OK]
            if record.state in ("BUILDING", "QUEUED", "INITIALIZING"):
                lines = lines[: record.shown_lines]
            elif record.state == "CANCELED":
                lines = [*lines[:max(record.shown_lines, 6)], ("The deployment was canceled", "stderr")]
        events: list[dict[str, Any]] = []
        for i, (text, kind) in enumerate(lines):
            text = text.format(repo=h.REPOSITORY, branch=record.commit.branch, short=record.commit.sha[:7])
            at = record.building_at + i * 9000
            payload = {
                "deploymentId": record.uid,
                "id": f"{record.uid[4:12]}{i:04d}",
                "date": at,
                "serial": f"{at}-{i}",
                "text": text,
                "created": at,
            }
            events.append({"type": kind, "created": at, "payload": payload})
        since = request.int_arg("since", -1)
        events = [e for e in events if int(e["created"]) > since]
        limit = request.int_arg("limit", 100)
        if request.arg("direction") == "backward":
            events.reverse()
        return events if limit < 0 else events[:limit]

    def promote(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["projectId"])
        with self.data.lock:
            record = self.data.find(request.path_params["deploymentId"])
            if record.state != "READY":
                raise StandinError(400, "Only a deployment that is ready can be promoted", code="not_ready")
            if record.target != "production":
                raise StandinError(
                    400, "Only a production deployment can be promoted; redeploy a preview", code="not_production"
                )
            if record.uid == self.data.production_id:
                raise StandinError(
                    409,
                    "This deployment is already the current production deployment",
                    code="already_promoted",
                )
            self._busy()
            self._start_job("promote", record)
        return StandinResponse(202, None)

    def _busy(self) -> None:
        job = self.data.alias_job
        if job is not None and job.status in ("pending", "in-progress"):
            raise StandinError(409, "Another promote or rollback is in progress", code="alias_job_in_progress")

    def _start_job(self, kind: str, record: VercelDeploymentRecord) -> None:
        aliases = {a: "pending" for a in _PRODUCTION_ALIASES}
        self.data.alias_job = AliasJob(
            kind, self.data.production_id, record.uid, h.millis(datetime.now(UTC)), aliases=aliases
        )

    def rollback(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["projectId"])
        with self.data.lock:
            record = self.data.find(request.path_params["deploymentId"])
            if record.state != "READY" or not record.promoted:
                raise StandinError(
                    422,
                    "Only a deployment that has served production can be the rollback target",
                    code="invalid_rollback_target",
                )
            if record.uid == self.data.production_id:
                raise StandinError(
                    409,
                    "This deployment is already the current production deployment",
                    code="already_current",
                )
            self._busy()
            self._start_job("rollback", record)
            self.data.rollback_description = (request.arg("description") or "Instant rollback")[:250]
        return StandinResponse(201, None)

    def alias_status(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["projectId"])
        failed_only = request.arg("failedOnly") == "true"
        with self.data.lock:
            job = self.data.alias_job
            items = [] if job is None else [
                {"alias": a, "status": st, "id": h.stable_id("alias_", a, job.requested_at, length=16)}
                for a, st in job.aliases.items()
                if not failed_only or st == "failed"
            ]
        return {"aliases": items, "pagination": {"count": len(items), "next": None, "prev": None}}

    def deployment_aliases(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["id"])
            names = list(_PRODUCTION_ALIASES) if record.uid == self.data.production_id else []
            if record.target == "staging" and record.state == "READY":
                names = ["staging-realtor-app.vercel.app"]
            names.append(record.url.replace(f"-{h.TEAM_SLUG}.vercel.app", f"-git-{h.TEAM_SLUG}.vercel.app"))
        created = datetime.fromtimestamp(record.created / 1000, UTC).isoformat().replace("+00:00", "Z")
        return {
            "aliases": [
                {"uid": h.stable_id("", "alias", record.uid, n, length=24), "alias": n, "created": created,
                 "redirect": None}
                for n in names
            ]
        }

    def checks(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["deploymentId"])
        done = record.state in ("READY", "ERROR", "CANCELED")
        conclusion = "succeeded" if record.state == "READY" else "failed" if record.state == "ERROR" else "canceled"
        items = []
        for i, name in enumerate(("Vercel Speed Insights", "E2E smoke (Playwright)")):
            check: dict[str, Any] = {
                "id": h.stable_id("check_", record.uid, name, length=16),
                "name": name,
                "integrationId": h.stable_id("oac_", name, length=20),
                "status": "completed" if done else "running",
                "blocking": i == 1,
                "rerequestable": True,
                "createdAt": record.created + 1000,
                "updatedAt": record.ready or record.created + 2000,
                "path": "/",
            }
            if done:
                check["conclusion"] = conclusion if i == 1 else "neutral"
                check["completedAt"] = record.ready or record.created
            items.append(check)
        return {"checks": items}

    def create_deployment(self, request: StandinRequest) -> Any:
        """POST /v13/deployments with ``deploymentId``: a redeploy (or the rebuild that promotes a preview)."""
        self._scope(request)
        body = request.json() or {}
        source_id = body.get("deploymentId")
        if not isinstance(source_id, str) or not body.get("name"):
            raise StandinError(400, "Only redeploys (name + deploymentId) are supported by the sandbox",
                               code="bad_request")
        now = datetime.now(UTC)
        with self.data.lock:
            source = self.data.find(source_id)
            n = len(self.data.deployments)
            target = body.get("target", source.target)
            record = VercelDeploymentRecord(
                commit=source.commit,
                uid=h.stable_id("dpl_", "redeploy", source.uid, n, length=28),
                url=f"{h.PROJECT_NAME}-{h.stable_id('', 'rurl', source.uid, n, length=9).lower()}-{h.TEAM_SLUG}.vercel.app",
                state="QUEUED",
                target=target if target in ("production", "staging") else None,
                created=h.millis(now),
                building_at=h.millis(now) + 1000,
                ready=None,
            )
            self.data.deployments.insert(0, record)
            return _full_deployment(record, self.data)

    def cancel(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["id"])
            if record.state not in ("BUILDING", "QUEUED", "INITIALIZING"):
                raise StandinError(
                    400,
                    "Only a deployment that is still building can be canceled",
                    code="deployment_not_cancelable",
                )
            record.state = "CANCELED"
            record.ready = h.millis(datetime.now(UTC))
            return _full_deployment(record, self.data)

    def env(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["idOrName"])
        decrypt = request.arg("decrypt") == "true"
        created = h.millis(self.data.now - timedelta(days=120))
        envs = []
        for i, (key, kind, targets, plain) in enumerate(_ENV_VARS):
            show = kind == "plain" or (decrypt and kind == "encrypted")
            item: dict[str, Any] = {
                "id": h.stable_id("", "env", key, i, length=16),
                "key": key,
                "type": kind,
                "target": list(targets),
                "value": plain
                if show
                else ("" if kind == "sensitive" else h.stable_id("", "cipher", i, length=44)),
                "decrypted": show and kind != "plain",
                "configurationId": None,
                "createdAt": created + i * 60_000,
                "updatedAt": created + i * 60_000,
                "createdBy": USER_ID,
                "updatedBy": None,
            }
            envs.append(item)
        return {"envs": envs}


def _error_body(status: int, message: str, code: str) -> Any:
    return {
        "error": {
            "code": code or {401: "forbidden", 403: "forbidden"}.get(status, "error"),
            "message": message,
        }
    }


def create(
    *,
    tokens: TokenPolicy | None = None,
    now: datetime | None = None,
    port: int = 0,
    extra_deployments: int = 0,
) -> StandinServer:
    """A Vercel stand-in (not started). Its ``data`` attribute holds the state; ``extra_deployments``
    older ones make a long history."""
    data = VercelData.build(now, extra=extra_deployments)
    api = VercelStandin(data)
    return StandinServer(
        "vercel",
        routes(
            ("GET", "/v9/projects/{idOrName}", api.get_project),
            ("GET", "/v10/projects", api.list_projects),
            ("GET", "/v7/deployments", api.list_deployments),
            ("GET", "/v6/deployments", api.list_deployments),
            ("GET", "/v13/deployments/{idOrUrl}", api.get_deployment),
            ("GET", "/v3/deployments/{idOrUrl}/events", api.events),
            ("POST", "/v10/projects/{projectId}/promote/{deploymentId}", api.promote),
            ("POST", "/v1/projects/{projectId}/rollback/{deploymentId}", api.rollback),
            ("PATCH", "/v12/deployments/{id}/cancel", api.cancel),
            ("GET", "/v1/projects/{projectId}/promote/aliases", api.alias_status),
            ("GET", "/v2/deployments/{id}/aliases", api.deployment_aliases),
            ("GET", "/v1/deployments/{deploymentId}/checks", api.checks),
            ("POST", "/v13/deployments", api.create_deployment),
            ("GET", "/v10/projects/{idOrName}/env", api.env),
        ),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        error_body=_error_body,
        port=port,
        data=data,
    )

"""GitHub REST API (Actions) stand-in: runs of the "Deploy Realtor Platform" workflow with their jobs
(test, security-scan, build-and-deploy, database-migration, notify), dispatch, re-run, cancel and
``/rate_limit``. Answers in the shapes of GitHub's OpenAPI description."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox.provider_standins import history as h
from sandbox.provider_standins.blobs import BlobServer
from sandbox.provider_standins.protocol import (
    StandinError,
    StandinRequest,
    StandinResponse,
    TokenPolicy,
    routes,
)
from sandbox.provider_standins.server import StandinServer

TOKEN = "ghp_fakeSandboxRealtorOps0000000000000000"
REVOKED_TOKEN = "ghp_fakeRevokedRealtorOps000000000000000"
LIMITED_TOKEN = "github_pat_fakeLimitedRealtorOps0000000000"
SCOPES = "repo, workflow"
API_VERSIONS = ("2022-11-28", "2026-03-10")
WORKFLOW_ID = 98765432
REPO_ID = 712345678
OWNER, REPO = h.REPOSITORY.split("/")
BRANCHES = ("main", "develop")

# Each job: (name, seconds it takes). Runs go test → security-scan → build-and-deploy →
# database-migration → notify.
_JOBS = (
    ("test", 212),
    ("security-scan", 95),
    ("build-and-deploy", 188),
    ("database-migration", 41),
    ("notify", 6),
)


@dataclass
class Job:
    id: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None


@dataclass
class Run:
    id: int
    run_number: int
    commit: h.Commit
    event: str
    status: str
    conclusion: str | None
    created_at: datetime
    updated_at: datetime
    run_attempt: int = 1
    jobs: list[Job] = field(default_factory=list)


def _jobs_for(run_id: int, outcome: str, branch: str, start: datetime) -> list[Job]:
    # outcome per job: "success", "failure", "skipped", "cancelled", "running", "queued"
    plan = {
        "ok": ["success", "success", "success", "success", "success"],
        "build-error": ["success", "success", "failure", "skipped", "success"],
        "test-failure": ["failure", "success", "skipped", "skipped", "success"],
        "canceled": ["success", "success", "cancelled", "skipped", "skipped"],
        "building": ["success", "success", "running", "queued", "queued"],
    }[outcome]
    if branch not in BRANCHES and plan[3] == "success":
        plan[3] = "skipped"  # previews do not migrate a database
    jobs, at = [], start + timedelta(seconds=9)
    for i, ((name, seconds), result) in enumerate(zip(_JOBS, plan, strict=True)):
        job_id = run_id * 10 + i + 1
        if result == "running":
            jobs.append(Job(job_id, name, "in_progress", None, at, None))
        elif result == "queued":
            jobs.append(Job(job_id, name, "queued", None, at, None))
        elif result == "skipped":
            jobs.append(Job(job_id, name, "completed", "skipped", at, at))
        else:
            end = at + timedelta(seconds=seconds if result == "success" else seconds // 2)
            jobs.append(Job(job_id, name, "completed", result, at, end))
            at = end + timedelta(seconds=3)
    return jobs


@dataclass
class GitHubData:
    now: datetime
    runs: list[Run] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_number: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # repository path -> contents (main branch)
    blobs: BlobServer = field(default_factory=BlobServer)
    cancel_hangs: bool = False  # cancel is accepted but the run keeps going (force-cancel stops it)

    @classmethod
    def build(cls, now: datetime | None = None) -> GitHubData:
        now = now or datetime.now(UTC)
        data = cls(now=now)
        commits = h.commits(now)
        for n, commit in enumerate(commits):
            number = 400 + len(commits) - n
            run_id = 9_100_000_000 + number * 37
            created = commit.pushed_at + timedelta(seconds=20)
            jobs = _jobs_for(run_id, commit.outcome, commit.branch, created)
            running = commit.outcome == "building"
            conclusion = {"ok": "success", "canceled": "cancelled", "building": None}.get(
                commit.outcome, "failure"
            )
            finished = max((j.completed_at for j in jobs if j.completed_at), default=created)
            data.runs.append(
                Run(
                    id=run_id,
                    run_number=number,
                    commit=commit,
                    event="push" if commit.branch in BRANCHES else "pull_request",
                    status="in_progress" if running else "completed",
                    conclusion=conclusion,
                    created_at=created,
                    updated_at=now if running else finished,
                    jobs=jobs,
                )
            )
        data.next_number = 401 + len(commits)
        data.files = _repository_files()
        return data

    def find_job(self, job_id: str) -> tuple[Run, Job]:
        for run in self.runs:
            for job in run.jobs:
                if str(job.id) == job_id:
                    return run, job
        raise StandinError(404, "Not Found")

    def find(self, run_id: str) -> Run:
        for run in self.runs:
            if str(run.id) == run_id:
                return run
        raise StandinError(404, "Not Found")


WORKFLOW_YAML = """name: Deploy Realtor Platform

on:
  push:
    branches: [main, develop]
  pull_request:
    branches: [main]

env:
  NODE_VERSION: '18'

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npm test

  security-scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm audit --audit-level high

  build-and-deploy:
    needs: [test, security-scan]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npx vercel deploy --prebuilt --prod --token=${{ secrets.VERCEL_TOKEN }}

  database-migration:
    needs: build-and-deploy
    runs-on: ubuntu-latest
    if: github.ref == 'refs/heads/main'
    steps:
      - uses: actions/checkout@v4
      - run: npx prisma migrate deploy
        env:
          DATABASE_URL: ${{ secrets.DATABASE_URL }}

  notify:
    needs: [build-and-deploy, database-migration]
    runs-on: ubuntu-latest
    if: always()
    steps:
      - run: echo "Deployment finished"
"""


def _repository_files() -> dict[str, bytes]:
    from sandbox.migration_story import repository_migrations

    files = {h.WORKFLOW_FILE: WORKFLOW_YAML.encode()}
    for name, sql in repository_migrations():
        files[f"prisma/migrations/{name}/migration.sql"] = sql.encode()
    files["prisma/migrations/migration_lock.toml"] = b'provider = "postgresql"\n'
    return files


def _job_log(run: Run, job: Job) -> str:
    c = run.commit
    lines = [
        "Requested labels: ubuntu-latest",
        f"Job defined at: {h.REPOSITORY}/{h.WORKFLOW_FILE}@refs/heads/{c.branch}",
        "Current runner version: '2.321.0'",
        f"##[group]Run actions/checkout@v4 ({c.sha[:7]})",
        "##[endgroup]",
    ]
    if job.name == "test":
        lines += ["> realtor-platform@1.4.2 test", "> jest --ci"]
        if job.conclusion == "failure":
            lines += ["FAIL src/search/geohash.test.ts", "  ● geohash index › finds listings near a point",
                      "    expect(received).toHaveLength(expected)", "Tests: 1 failed, 212 passed, 213 total",
                      "##[error]Process completed with exit code 1."]
        else:
            lines += ["Tests: 213 passed, 213 total"]
    elif job.name == "build-and-deploy":
        lines += ["Vercel CLI 37.4.2", "Building..."]
        if job.conclusion == "failure":
            lines += ["Failed to compile.", "Type error: Property 'rsvp' does not exist on type 'OpenHouse'.",
                      'Error: Command "npm run build" exited with 1', "##[error]Process completed with exit code 1."]
        else:
            lines += ["Production: https://realtor-platform.com [2m]"]
    elif job.name == "database-migration":
        lines += ["Prisma schema loaded from prisma/schema.prisma", "7 migrations found in prisma/migrations",
                  "No pending migrations to apply."]
    else:
        lines += [f"{job.name}: done"]
    status = job.conclusion or job.status
    lines.append(f"Cleaning up orphan processes (job {status})")
    return "\n".join(lines) + "\n"


def _api(request: StandinRequest, path: str) -> str:
    return f"{request.base_url}{path}"


def _user(request: StandinRequest, login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    url = _api(request, f"/users/{login}")
    return {
        "login": login,
        "id": user_id,
        "node_id": h.stable_id("MDQ6VXNlcj", login, length=8),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "site_admin": False,
    }


def _repo(request: StandinRequest) -> dict[str, Any]:
    url = _api(request, f"/repos/{h.REPOSITORY}")
    templated = {
        "archive_url": "/{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors",
        "deployments_url": "/deployments",
        "downloads_url": "/downloads",
        "events_url": "/events",
        "forks_url": "/forks",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "hooks_url": "/hooks",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "languages_url": "/languages",
        "merges_url": "/merges",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers",
        "subscription_url": "/subscription",
        "tags_url": "/tags",
        "teams_url": "/teams",
        "trees_url": "/git/trees{/sha}",
    }
    body: dict[str, Any] = {key: url + suffix for key, suffix in templated.items()}
    body.update(
        {
            "id": REPO_ID,
            "node_id": "R_kgDOKmRltA",
            "name": REPO,
            "full_name": h.REPOSITORY,
            "owner": _user(request, OWNER, 151234567, "Organization"),
            "private": True,
            "html_url": f"https://github.com/{h.REPOSITORY}",
            "description": "Real-estate brokerage platform: listings, CRM, showings, documents",
            "fork": False,
            "url": url,
        }
    )
    return body


def _author_id(commit: h.Commit) -> int:
    return h.stable_int("gh-user", commit.author_login, digits=8)


def _run_json(request: StandinRequest, run: Run) -> dict[str, Any]:
    c = run.commit
    base = _api(request, f"/repos/{h.REPOSITORY}/actions/runs/{run.id}")
    actor = _user(request, c.author_login, _author_id(c))
    repo = _repo(request)
    return {
        "id": run.id,
        "name": h.WORKFLOW_NAME,
        "node_id": h.stable_id("WFR_kwLO", run.id, length=12),
        "check_suite_id": run.id + 7,
        "check_suite_node_id": h.stable_id("CS_kwDO", run.id, length=12),
        "head_branch": c.branch,
        "head_sha": c.sha,
        "path": h.WORKFLOW_FILE,
        "display_title": c.message,
        "run_number": run.run_number,
        "run_attempt": run.run_attempt,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": WORKFLOW_ID,
        "url": base,
        "html_url": f"https://github.com/{h.REPOSITORY}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": h.iso(run.created_at),
        "updated_at": h.iso(run.updated_at),
        "run_started_at": h.iso(run.created_at),
        "actor": actor,
        "triggering_actor": actor,
        "jobs_url": f"{base}/jobs",
        "logs_url": f"{base}/logs",
        "check_suite_url": _api(request, f"/repos/{h.REPOSITORY}/check-suites/{run.id + 7}"),
        "artifacts_url": f"{base}/artifacts",
        "cancel_url": f"{base}/cancel",
        "rerun_url": f"{base}/rerun",
        "previous_attempt_url": f"{base}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None,
        "workflow_url": _api(request, f"/repos/{h.REPOSITORY}/actions/workflows/{WORKFLOW_ID}"),
        "head_commit": {
            "id": c.sha,
            "tree_id": h.stable_id("", "tree", c.sha, length=40).lower(),
            "message": c.message,
            "timestamp": h.iso(c.pushed_at),
            "author": {"name": c.author_name, "email": c.author_email},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repo,
        "head_repository": repo,
        "head_repository_id": REPO_ID,
    }


def _job_json(request: StandinRequest, run: Run, job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "run_id": run.id,
        "run_url": _api(request, f"/repos/{h.REPOSITORY}/actions/runs/{run.id}"),
        "run_attempt": run.run_attempt,
        "node_id": h.stable_id("CR_kwDO", job.id, length=12),
        "head_sha": run.commit.sha,
        "head_branch": run.commit.branch,
        "workflow_name": h.WORKFLOW_NAME,
        "url": _api(request, f"/repos/{h.REPOSITORY}/actions/jobs/{job.id}"),
        "html_url": f"https://github.com/{h.REPOSITORY}/actions/runs/{run.id}/job/{job.id}",
        "status": job.status,
        "conclusion": job.conclusion,
        "created_at": h.iso(run.created_at),
        "started_at": h.iso(job.started_at),
        "completed_at": h.iso(job.completed_at) if job.completed_at else None,
        "name": job.name,
        "steps": [],
        "check_run_url": _api(request, f"/repos/{h.REPOSITORY}/check-runs/{job.id}"),
        "labels": ["ubuntu-latest"],
        "runner_id": 40 + job.id % 7 if job.status != "queued" else None,
        "runner_name": f"GitHub Actions {40 + job.id % 7}" if job.status != "queued" else None,
        "runner_group_id": 2 if job.status != "queued" else None,
        "runner_group_name": "GitHub Actions" if job.status != "queued" else None,
    }


def _paged(request: StandinRequest, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """Slice by ``per_page``/``page`` and build GitHub's Link header."""
    per_page = max(1, min(100, request.int_arg("per_page", 30)))
    page = max(1, request.int_arg("page", 1))
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    other = [(k, v) for k, v in request.query if k not in ("page", "per_page")]

    def link(p: int, rel: str) -> str:
        query = urlencode([*other, ("per_page", str(per_page)), ("page", str(p))])
        return f'<{request.base_url}{request.path}?{query}>; rel="{rel}"'

    links = []
    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    return chunk, ({"Link": ", ".join(links)} if links else {})


class GitHubStandin:
    def __init__(self, data: GitHubData) -> None:
        self.data = data

    def _check(self, request: StandinRequest) -> None:
        version = request.headers.get("x-github-api-version")
        if version is not None and version not in API_VERSIONS:
            raise StandinError(400, f"API version {version} is not supported.")
        if request.path_params.get("owner", OWNER) != OWNER or request.path_params.get("repo", REPO) != REPO:
            raise StandinError(404, "Not Found")
        workflow = request.path_params.get("workflow_id")
        if workflow is not None and workflow not in (str(WORKFLOW_ID), "deploy.yml"):
            raise StandinError(404, "Not Found")

    def rate_limit(self, request: StandinRequest) -> StandinResponse:
        reset = int(time.time()) + 3600
        core = {"limit": 5000, "used": 37, "remaining": 4963, "reset": reset}
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": int(time.time()) + 60}
        body = {"resources": {"core": core, "search": search}, "rate": core}
        headers = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4963",
            "X-RateLimit-Reset": str(reset),
        }
        if request.credential == TOKEN:
            headers["X-OAuth-Scopes"] = SCOPES
        return StandinResponse(200, body, headers)

    def list_workflows(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        created = h.iso(self.data.now - timedelta(days=400))
        workflow = {
            "id": WORKFLOW_ID,
            "node_id": "W_kwDOKmRltM4F4xTw",
            "name": h.WORKFLOW_NAME,
            "path": h.WORKFLOW_FILE,
            "state": "active",
            "created_at": created,
            "updated_at": h.iso(self.data.now - timedelta(days=12)),
            "url": _api(request, f"/repos/{h.REPOSITORY}/actions/workflows/{WORKFLOW_ID}"),
            "html_url": f"https://github.com/{h.REPOSITORY}/blob/main/{h.WORKFLOW_FILE}",
            "badge_url": f"https://github.com/{h.REPOSITORY}/actions/workflows/deploy.yml/badge.svg",
        }
        chunk, headers = _paged(request, [workflow])
        return StandinResponse(200, {"total_count": 1, "workflows": chunk}, headers)

    def list_runs(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        branch, status, event = request.arg("branch"), request.arg("status"), request.arg("event")
        with self.data.lock:
            runs = [
                r
                for r in self.data.runs
                if (branch is None or r.commit.branch == branch)
                and (event is None or r.event == event)
                and (status is None or status in (r.status, r.conclusion))
            ]
            chunk, headers = _paged(request, runs)
            body = {"total_count": len(runs), "workflow_runs": [_run_json(request, r) for r in chunk]}
        return StandinResponse(200, body, headers)

    def get_run(self, request: StandinRequest) -> Any:
        self._check(request)
        with self.data.lock:
            return _run_json(request, self.data.find(request.path_params["run_id"]))

    def list_jobs(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        with self.data.lock:
            run = self.data.find(request.path_params["run_id"])
            chunk, headers = _paged(request, run.jobs)
            body = {"total_count": len(run.jobs), "jobs": [_job_json(request, run, j) for j in chunk]}
        return StandinResponse(200, body, headers)

    def dispatch(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        payload = request.json() or {}
        ref = str(payload.get("ref", "")).removeprefix("refs/heads/")
        with self.data.lock:
            template = next((r.commit for r in self.data.runs if r.commit.branch == ref), None)
            if template is None:
                raise StandinError(422, f"No ref found for: {payload.get('ref')}")
            now = datetime.now(UTC).replace(microsecond=0)
            number = self.data.next_number
            self.data.next_number += 1
            run = Run(
                id=9_100_000_000 + number * 37,
                run_number=number,
                commit=template,
                event="workflow_dispatch",
                status="queued",
                conclusion=None,
                created_at=now,
                updated_at=now,
            )
            run.jobs = [
                Job(run.id * 10 + i + 1, name, "queued", None, now, None) for i, (name, _) in enumerate(_JOBS)
            ]
            self.data.runs.insert(0, run)
        if payload.get("return_run_details"):
            body = {
                "workflow_run_id": run.id,
                "run_url": _api(request, f"/repos/{h.REPOSITORY}/actions/runs/{run.id}"),
                "html_url": f"https://github.com/{h.REPOSITORY}/actions/runs/{run.id}",
            }
            return StandinResponse(200, body)
        return StandinResponse(204, None)

    def rerun(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        with self.data.lock:
            run = self.data.find(request.path_params["run_id"])
            if run.status != "completed":
                raise StandinError(409, "This workflow run is not completed yet and cannot be re-run.")
            failed_only = request.path.endswith("rerun-failed-jobs")
            run.run_attempt += 1
            run.status, run.conclusion = "queued", None
            run.updated_at = datetime.now(UTC).replace(microsecond=0)
            for job in run.jobs:
                if not failed_only or job.conclusion in ("failure", "cancelled", "skipped"):
                    job.status, job.conclusion, job.completed_at = "queued", None, None
        return StandinResponse(201, {})

    def cancel(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        with self.data.lock:
            run = self.data.find(request.path_params["run_id"])
            if run.status == "completed":
                raise StandinError(409, "Cannot cancel a workflow run that is completed.")
            if self.data.cancel_hangs:
                return StandinResponse(202, {})  # accepted; an always() step keeps the run going
            run.status, run.conclusion = "completed", "cancelled"
            now = datetime.now(UTC).replace(microsecond=0)
            run.updated_at = now
            for job in run.jobs:
                if job.status != "completed":
                    job.status, job.conclusion, job.completed_at = "completed", "cancelled", now
        return StandinResponse(202, {})


def _extra_handlers(api: GitHubStandin) -> None:
    data = api.data

    def get_job(request: StandinRequest) -> StandinResponse:
        api._check(request)
        with data.lock:
            run, job = data.find_job(request.path_params["job_id"])
            return StandinResponse(200, _job_json(request, run, job))

    def job_logs(request: StandinRequest) -> StandinResponse:
        api._check(request)
        with data.lock:
            run, job = data.find_job(request.path_params["job_id"])
            text = _job_log(run, job)
        url = data.blobs.publish(text.encode(), name=f"joblogs-{job.id}")
        return StandinResponse(302, None, {"Location": url})

    def force_cancel(request: StandinRequest) -> StandinResponse:
        api._check(request)
        with data.lock:
            run = data.find(request.path_params["run_id"])
            if run.status == "completed":
                raise StandinError(409, "Cannot force cancel a workflow run that is completed.")
            now = datetime.now(UTC).replace(microsecond=0)
            run.status, run.conclusion, run.updated_at = "completed", "cancelled", now
            for job in run.jobs:
                if job.status != "completed":
                    job.status, job.conclusion, job.completed_at = "completed", "cancelled", now
        return StandinResponse(202, {})

    def rerun_job(request: StandinRequest) -> StandinResponse:
        api._check(request)
        with data.lock:
            run, job = data.find_job(request.path_params["job_id"])
            if run.status != "completed":
                raise StandinError(403, "This job's workflow run is still running and cannot be re-run.")
            run.run_attempt += 1
            run.status, run.conclusion = "queued", None
            job.status, job.conclusion, job.completed_at = "queued", None, None
        return StandinResponse(201, {})

    def contents(request: StandinRequest) -> StandinResponse:
        api._check(request)
        parts = [request.path_params[k] for k in ("p1", "p2", "p3", "p4") if k in request.path_params]
        path = "/".join(parts).strip("/")
        repo_url = _api(request, f"/repos/{h.REPOSITORY}/contents")

        def item(p: str, kind: str, blob: bytes | None) -> dict[str, Any]:
            sha = hashlib.sha1(blob or p.encode(), usedforsecurity=False).hexdigest()
            html = f"https://github.com/{h.REPOSITORY}/{'blob' if kind == 'file' else 'tree'}/main/{p}"
            git = _api(request, f"/repos/{h.REPOSITORY}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}")
            return {
                "type": kind, "size": len(blob or b""), "name": p.rsplit("/", 1)[-1], "path": p, "sha": sha,
                "url": f"{repo_url}/{p}?ref=main", "git_url": git, "html_url": html,
                "download_url": f"https://raw.githubusercontent.com/{h.REPOSITORY}/main/{p}" if kind == "file"
                else None,
                "_links": {"git": git, "html": html, "self": f"{repo_url}/{p}?ref=main"},
            }

        with data.lock:
            files = dict(data.files)
        if path in files:
            body = item(path, "file", files[path])
            body["encoding"] = "base64"
            raw = base64.b64encode(files[path]).decode()
            body["content"] = "\n".join(raw[i:i + 60] for i in range(0, len(raw), 60)) + "\n"
            return StandinResponse(200, body)
        prefix = path + "/"
        children: dict[str, str] = {}
        for name in files:
            if name.startswith(prefix):
                rest = name[len(prefix):]
                child = rest.split("/", 1)[0]
                children[child] = "dir" if "/" in rest else "file"
        if not children:
            raise StandinError(404, "Not Found")
        listing = [item(f"{path}/{c}", kind, files.get(f"{path}/{c}")) for c, kind in sorted(children.items())]
        return StandinResponse(200, listing)

    api.get_job = get_job  # type: ignore[attr-defined]
    api.job_logs = job_logs  # type: ignore[attr-defined]
    api.force_cancel = force_cancel  # type: ignore[attr-defined]
    api.rerun_job = rerun_job  # type: ignore[attr-defined]
    api.contents = contents  # type: ignore[attr-defined]


class GitHubStandinServer(StandinServer):
    """The GitHub stand-in plus its download host (logs are served from another origin, as GitHub's are)."""

    def stop(self) -> None:
        super().stop()
        self.data.blobs.stop()


def _error_body(status: int, message: str, code: str) -> Any:
    if status == 401:
        message = "Bad credentials"
    elif status == 403 and code == "forbidden":
        message = "Resource not accessible by personal access token"
    return {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}


def create(*, tokens: TokenPolicy | None = None, now: datetime | None = None, port: int = 0) -> StandinServer:
    """A GitHub stand-in (not started). Its ``data`` attribute holds the runs."""
    data = GitHubData.build(now)
    api = GitHubStandin(data)
    _extra_handlers(api)
    prefix = "/repos/{owner}/{repo}/actions"
    contents = "/repos/{owner}/{repo}/contents/"
    x: Any = api
    return GitHubStandinServer(
        "github",
        routes(
            ("GET", "/rate_limit", api.rate_limit, False),
            ("GET", prefix + "/workflows", api.list_workflows),
            ("GET", prefix + "/workflows/{workflow_id}/runs", api.list_runs),
            ("GET", prefix + "/runs", api.list_runs),
            ("GET", prefix + "/runs/{run_id}", api.get_run),
            ("GET", prefix + "/runs/{run_id}/jobs", api.list_jobs),
            ("POST", prefix + "/workflows/{workflow_id}/dispatches", api.dispatch),
            ("POST", prefix + "/runs/{run_id}/rerun", api.rerun),
            ("POST", prefix + "/runs/{run_id}/rerun-failed-jobs", api.rerun),
            ("POST", prefix + "/runs/{run_id}/cancel", api.cancel),
            ("POST", prefix + "/runs/{run_id}/force-cancel", x.force_cancel),
            ("GET", prefix + "/jobs/{job_id}", x.get_job),
            ("GET", prefix + "/jobs/{job_id}/logs", x.job_logs),
            ("POST", prefix + "/jobs/{job_id}/rerun", x.rerun_job),
            ("GET", contents + "{p1}", x.contents),
            ("GET", contents + "{p1}/{p2}", x.contents),
            ("GET", contents + "{p1}/{p2}/{p3}", x.contents),
            ("GET", contents + "{p1}/{p2}/{p3}/{p4}", x.contents),
        ),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        error_body=_error_body,
        port=port,
        extra_headers={"X-GitHub-Media-Type": "github.v3; format=json"},
        data=data,
    )

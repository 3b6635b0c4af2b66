"""GitHub REST API (Actions) stand-in: runs of the "Deploy Realtor Platform" workflow with their jobs
(test, security-scan, build-and-deploy, database-migration, notify), dispatch, re-run, cancel and
``/rate_limit``. Answers in the shapes of GitHub's OpenAPI description (``github_shapes``); the runs,
jobs and repository files it serves are ``github_runs``."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins import history as h
from sandbox.provider_standins.github_runs import (
    JOBS,
    OWNER,
    REPO,
    WORKFLOW_ID,
    GitHubData,
    Job,
    Run,
    job_log,
)
from sandbox.provider_standins.github_shapes import api_url, job_json, paged, run_json
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
            "url": api_url(request, f"/repos/{h.REPOSITORY}/actions/workflows/{WORKFLOW_ID}"),
            "html_url": f"https://github.com/{h.REPOSITORY}/blob/main/{h.WORKFLOW_FILE}",
            "badge_url": f"https://github.com/{h.REPOSITORY}/actions/workflows/deploy.yml/badge.svg",
        }
        chunk, headers = paged(request, [workflow])
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
            chunk, headers = paged(request, runs)
            body = {"total_count": len(runs), "workflow_runs": [run_json(request, r) for r in chunk]}
        return StandinResponse(200, body, headers)

    def get_run(self, request: StandinRequest) -> Any:
        self._check(request)
        with self.data.lock:
            return run_json(request, self.data.find(request.path_params["run_id"]))

    def list_jobs(self, request: StandinRequest) -> StandinResponse:
        self._check(request)
        with self.data.lock:
            run = self.data.find(request.path_params["run_id"])
            chunk, headers = paged(request, run.jobs)
            body = {"total_count": len(run.jobs), "jobs": [job_json(request, run, j) for j in chunk]}
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
                Job(run.id * 10 + i + 1, name, "queued", None, now, None) for i, (name, _) in enumerate(JOBS)
            ]
            self.data.runs.insert(0, run)
        if payload.get("return_run_details"):
            body = {
                "workflow_run_id": run.id,
                "run_url": api_url(request, f"/repos/{h.REPOSITORY}/actions/runs/{run.id}"),
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
            return StandinResponse(200, job_json(request, run, job))

    def job_logs(request: StandinRequest) -> StandinResponse:
        api._check(request)
        with data.lock:
            run, job = data.find_job(request.path_params["job_id"])
            text = job_log(run, job)
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
        repo_url = api_url(request, f"/repos/{h.REPOSITORY}/contents")

        def item(p: str, kind: str, blob: bytes | None) -> dict[str, Any]:
            sha = hashlib.sha1(blob or p.encode(), usedforsecurity=False).hexdigest()
            html = f"https://github.com/{h.REPOSITORY}/{'blob' if kind == 'file' else 'tree'}/main/{p}"
            git = api_url(request, f"/repos/{h.REPOSITORY}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}")
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

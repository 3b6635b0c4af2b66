"""GitHub REST API (Actions): runs of the deploy workflow and their jobs, dispatch, re-run, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.core.errors import ConfigError
from services.providers.answer_fields import ItemList, as_int, parse_time
from services.providers.http_client import ActionAccepted, ProviderClient, TokenCheck
from services.providers.http_headers import parse_retry_after, reset_wait

# GitHub asks to wait at least a minute after a secondary rate limit that names no time.
SECONDARY_LIMIT_WAIT = 60.0

API_VERSION = "2022-11-28"


@dataclass(frozen=True)
class GitHubRun:
    id: int
    run_number: int
    run_attempt: int
    workflow_name: str
    title: str  # the head commit's message, or the dispatch's title
    event: str  # push, pull_request, workflow_dispatch, schedule...
    status: str  # queued, in_progress, completed, ...
    conclusion: str | None  # success, failure, cancelled, skipped, ... None while running
    branch: str
    commit_sha: str
    actor: str
    created_at: datetime
    updated_at: datetime
    html_url: str

    @property
    def outcome(self) -> str:
        return self.conclusion or self.status


@dataclass(frozen=True)
class GitHubRunList:
    runs: tuple[GitHubRun, ...]
    total_count: int
    more: bool  # pages were left unread
    skipped: tuple[str, ...] = ()  # runs left out because they did not fit (named, with why)


@dataclass(frozen=True)
class GitHubJob:
    id: int
    run_id: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    html_url: str | None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return max(0.0, (self.completed_at - self.started_at).total_seconds())


@dataclass(frozen=True)
class GitHubDispatch:
    """A dispatched workflow run. ``run_id`` is None when GitHub did not return run details."""

    workflow: str
    ref: str
    run_id: int | None
    run_url: str | None
    html_url: str | None


def split_repository(repository: str) -> tuple[str, str]:
    owner, _, repo = repository.strip().partition("/")
    if not owner or not repo or "/" in repo:
        raise ConfigError(
            f"'{repository}' is not a GitHub repository name",
            hint="Write it as owner/name, e.g. acme/realtor-platform",
        )
    return quote(owner, safe=""), quote(repo, safe="")


class GitHubClient(ProviderClient):
    provider = "github"
    display_name = "GitHub"
    default_base_url = "https://api.github.com"
    extra_headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}

    async def check_token(self, repository: str | None = None) -> TokenCheck:
        """GET /rate_limit (any valid token), then the repository's workflows when one is given."""
        response = await self.request("GET", "/rate_limit", resource="rate limit")
        body = self.json_of(response)
        note = self.parse("the rate limit", _rate_note, body)
        scopes_header = response.headers.get("x-oauth-scopes")
        scopes = tuple(s.strip() for s in scopes_header.split(",") if s.strip()) if scopes_header else ()
        subject = "api.github.com"
        if repository:
            owner, repo = split_repository(repository)
            await self.get_json(
                f"/repos/{owner}/{repo}/actions/workflows",
                params={"per_page": 1},
                resource=f"repository '{repository}'",
            )
            subject = f"repository '{repository}'"
        return TokenCheck("GitHub", subject, scopes=scopes, note=note)

    async def list_workflow_runs(
        self,
        repository: str,
        workflow: str = "deploy.yml",
        *,
        branch: str | None = None,
        status: str | None = None,
        per_page: int = 30,
        max_pages: int = 1,
    ) -> GitHubRunList:
        """Runs of one workflow (file name or id), newest first, following ``Link: rel="next"``."""
        owner, repo = split_repository(repository)
        pages = await self.link_pages(
            f"/repos/{owner}/{repo}/actions/workflows/{quote(str(workflow), safe='')}/runs",
            params={"branch": branch, "status": status, "per_page": per_page},
            max_pages=max_pages,
            resource=f"workflow '{workflow}' of '{repository}'",
        )
        runs: list[GitHubRun] = []
        skipped: list[str] = []
        total = 0
        for body in pages.bodies:
            total = self.parse("the workflow runs", lambda b: as_int(b["total_count"]) or 0, body)
            raw = self.parse("the workflow runs", lambda b: b["workflow_runs"], body)
            items, odd = self.parse_items("the workflow runs", raw, _run, name="run")
            runs += items
            skipped += odd
        return GitHubRunList(tuple(runs), max(total, len(runs)), pages.more, tuple(skipped))

    async def get_run(self, repository: str, run_id: int) -> GitHubRun:
        owner, repo = split_repository(repository)
        body = await self.get_json(
            f"/repos/{owner}/{repo}/actions/runs/{int(run_id)}", resource=f"workflow run {run_id}"
        )
        return self.parse("the workflow run", _run, body)

    async def list_run_jobs(
        self, repository: str, run_id: int, *, per_page: int = 30, max_pages: int = 5
    ) -> ItemList[GitHubJob]:
        """The run's jobs; ``more`` says pages were left unread at ``max_pages``."""
        owner, repo = split_repository(repository)
        pages = await self.link_pages(
            f"/repos/{owner}/{repo}/actions/runs/{int(run_id)}/jobs",
            params={"per_page": per_page},
            max_pages=max_pages,
            resource=f"jobs of workflow run {run_id}",
        )
        jobs: list[GitHubJob] = []
        skipped: list[str] = []
        for body in pages.bodies:
            items, odd = self.parse_items("the jobs", self.parse("the jobs", lambda b: b["jobs"], body), _job, name="job")
            jobs += items
            skipped += odd
        return ItemList(jobs, skipped=skipped, more=pages.more)

    async def dispatch(
        self,
        repository: str,
        workflow: str,
        ref: str,
        *,
        inputs: dict[str, str] | None = None,
        return_run_details: bool = True,
    ) -> GitHubDispatch:
        """Trigger a ``workflow_dispatch``; asks GitHub for the new run's id."""
        owner, repo = split_repository(repository)
        payload: dict[str, Any] = {"ref": ref}
        if inputs:
            payload["inputs"] = inputs
        if return_run_details:
            payload["return_run_details"] = True
        response = await self.request(
            "POST",
            f"/repos/{owner}/{repo}/actions/workflows/{quote(str(workflow), safe='')}/dispatches",
            json_body=payload,
            resource=f"workflow '{workflow}' of '{repository}'",
            action=f"run workflow '{workflow}' on '{ref}'",
            ok=(200, 204),
        )
        if response.status_code == 204 or not response.content:
            return GitHubDispatch(str(workflow), ref, None, None, None)
        body = self.json_of(response)
        return self.parse(
            "the dispatch answer",
            lambda b: GitHubDispatch(
                str(workflow), ref, int(b["workflow_run_id"]), b.get("run_url"), b.get("html_url")
            ),
            body,
        )

    async def rerun(self, repository: str, run_id: int, *, failed_only: bool = False) -> ActionAccepted:
        owner, repo = split_repository(repository)
        suffix = "rerun-failed-jobs" if failed_only else "rerun"
        response = await self.request(
            "POST",
            f"/repos/{owner}/{repo}/actions/runs/{int(run_id)}/{suffix}",
            resource=f"workflow run {run_id}",
            action=f"re-run workflow run {run_id}",
            ok=(201,),
        )
        return ActionAccepted("GitHub", suffix, str(run_id), response.status_code)

    async def cancel_run(self, repository: str, run_id: int) -> ActionAccepted:
        owner, repo = split_repository(repository)
        response = await self.request(
            "POST",
            f"/repos/{owner}/{repo}/actions/runs/{int(run_id)}/cancel",
            resource=f"workflow run {run_id}",
            action=f"cancel workflow run {run_id}",
            ok=(202,),
        )
        return ActionAccepted("GitHub", "cancel", str(run_id), response.status_code)

    # GitHub answers 403 (or 429) for its rate limits: the primary one says X-RateLimit-Remaining: 0;
    # a secondary one keeps requests remaining but says so in its message, often with Retry-After.
    def is_rate_limited(self, response: httpx.Response) -> bool:
        if response.status_code not in (403, 429):
            return False
        headers = response.headers
        if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
            return True
        return _says_rate_limit(response)

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        headers = response.headers
        wait = parse_retry_after(headers.get("retry-after"))
        if wait is None and headers.get("x-ratelimit-remaining") == "0":
            wait = reset_wait(headers.get("x-ratelimit-reset"))
        if wait is None and _says_rate_limit(response):
            wait = SECONDARY_LIMIT_WAIT
        return wait


def _says_rate_limit(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return "rate limit" in response.text[:500].lower()
    message = body.get("message") if isinstance(body, dict) else None
    return isinstance(message, str) and "rate limit" in message.lower()


def _rate_note(body: dict[str, Any]) -> str:
    core = body["resources"]["core"]
    if not isinstance(core, dict):
        raise TypeError("resources.core is not an object")
    left, limit = (as_int(core.get(k)) if not isinstance(core.get(k), bool) else None for k in ("remaining", "limit"))
    return f"{'?' if left is None else left} of {'?' if limit is None else limit} requests left this hour"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _run(r: dict[str, Any]) -> GitHubRun:
    actor = _obj(r.get("triggering_actor")) or _obj(r.get("actor"))
    head = _obj(r.get("head_commit"))
    created = parse_time(r["created_at"])
    updated = parse_time(r["updated_at"])
    if created is None or updated is None:
        raise ValueError("a run without dates")
    return GitHubRun(
        id=int(r["id"]),
        run_number=int(r["run_number"]),
        run_attempt=as_int(r.get("run_attempt")) or 1,
        workflow_name=str(r.get("name") or ""),
        title=str(r.get("display_title") or head.get("message") or ""),
        event=str(r["event"]),
        status=str(r.get("status") or ""),
        conclusion=r.get("conclusion") if isinstance(r.get("conclusion"), str) else None,
        branch=str(r.get("head_branch") or ""),
        commit_sha=str(r["head_sha"]),
        actor=str(actor.get("login") or ""),
        created_at=created,
        updated_at=updated,
        html_url=str(r["html_url"]),
    )


def _job(j: dict[str, Any]) -> GitHubJob:
    return GitHubJob(
        id=int(j["id"]),
        run_id=int(j["run_id"]),
        name=str(j["name"]),
        status=str(j["status"]),
        conclusion=j.get("conclusion") if isinstance(j.get("conclusion"), str) else None,
        started_at=parse_time(j.get("started_at")),
        completed_at=parse_time(j.get("completed_at")),
        html_url=j.get("html_url") if isinstance(j.get("html_url"), str) else None,
    )

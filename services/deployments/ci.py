"""GitHub Actions runs of the environment's deploy workflow with their jobs; a job's log; re-run,
re-run failed jobs, cancel and force-cancel; dispatch only when the workflow declares
``workflow_dispatch``; and the seed's ordering risk (``database-migration`` after ``build-and-deploy``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.core.concurrency import settle
from services.core.errors import ConfigError, GuardRefusedError
from services.core.guard import Authorization
from services.core.in_flight import InFlight
from services.deployments import common
from services.providers import github_actions as ga
from services.providers.github_client import GitHubDispatch, GitHubJob, GitHubRun
from services.providers.http_client import ActionAccepted

if TYPE_CHECKING:
    from services.core.app_context import AppContext

ORDERING_RISK = ("database-migration runs after build-and-deploy: for a few minutes the new code runs on the "
                 "old schema (migrate first, or make each migration backward compatible)")
DISPATCH_LINE = "on:\n  workflow_dispatch:"


@dataclass(frozen=True)
class CiRun:
    run: GitHubRun
    jobs: tuple[GitHubJob, ...]
    ordering_risk: bool  # database-migration started after build-and-deploy finished

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.run.updated_at - self.run.created_at).total_seconds())

    def to_json(self) -> dict[str, Any]:
        r = self.run
        return {"id": r.id, "number": r.run_number, "attempt": r.run_attempt, "status": r.status,
                "conclusion": r.conclusion, "branch": r.branch, "sha": r.commit_sha, "title": r.title,
                "event": r.event, "actor": r.actor, "created_at": r.created_at.isoformat(),
                "duration_s": self.duration_s, "ordering_risk": self.ordering_risk, "url": r.html_url,
                "jobs": [{"id": j.id, "name": j.name, "status": j.status, "conclusion": j.conclusion,
                          "duration_s": j.duration_s} for j in self.jobs]}


@dataclass(frozen=True)
class WorkflowInfo:
    path: str
    dispatchable: bool
    reason: str  # why dispatch is disabled, with the line to add
    ordering_risk: bool  # from the workflow's needs:


def workflow_path(workflow: str) -> str:
    return workflow if "/" in workflow else f".github/workflows/{workflow}"


def analyse_workflow(text: str, path: str) -> WorkflowInfo:
    """``workflow_dispatch`` among the triggers, and whether database-migration needs build-and-deploy.

    A small reading of the YAML (no YAML library at run time): the ``on:`` block's keys or list, and
    the ``needs:`` line of the ``database-migration`` job.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    dispatch = False
    in_on = False
    for line in lines:
        stripped = line.split("#", 1)[0].rstrip()
        if re.match(r"^(on|\"on\"|'on'|true)\s*:", stripped):
            rest = stripped.split(":", 1)[1].strip()
            if rest:
                dispatch = "workflow_dispatch" in re.split(r"[\s,\[\]]+", rest)
                in_on = False
            else:
                in_on = True
            continue
        if in_on:
            if stripped and not stripped[0].isspace():
                in_on = False
            elif re.match(r"^\s+(-\s*)?workflow_dispatch\s*:?\s*$", stripped):
                dispatch = True
    risk = False
    job = re.search(r"^  database-migration:\s*$(.*?)(?=^  \S|\Z)", text.replace("\r\n", "\n"), re.M | re.S)
    if job and re.search(r"needs:.*build-and-deploy", job.group(1)):
        risk = True
    reason = "" if dispatch else (
        f"{path} has no workflow_dispatch trigger, so GitHub refuses to start it by hand; add to its 'on:' block:\n"
        "  workflow_dispatch:")
    return WorkflowInfo(path, dispatch, reason, risk)


def _ordering_risk(jobs: tuple[GitHubJob, ...]) -> bool:
    build = next((j for j in jobs if j.name == "build-and-deploy"), None)
    migrate = next((j for j in jobs if j.name == "database-migration"), None)
    if build is None or migrate is None or build.completed_at is None or migrate.started_at is None:
        return False
    return migrate.conclusion != "skipped" and migrate.started_at >= build.completed_at


_RUNS: InFlight[tuple[CiRun, ...]] = InFlight()


async def runs(ctx: AppContext, env_name: str, *, limit: int = 10, since: datetime | None = None,
               failed_jobs_only: bool = False,
               on_listed: Callable[[tuple[CiRun, ...]], None] | None = None) -> tuple[CiRun, ...]:
    """The deploy workflow's latest runs with their jobs. ``since`` drops older runs before their jobs
    are asked for; ``failed_jobs_only`` asks only failed runs for their jobs (the timeline names the
    failing ones), which keeps a cold read to a few requests. Environments that read the same workflow
    with the same token at the same time (the Overview's production and staging timelines) share one read.
    ``on_listed`` hears the runs (without their jobs) as soon as they are listed, while the jobs are read."""
    if not 1 <= limit <= 100:
        raise ConfigError(f"--limit must be between 1 and 100, not {limit}")
    env = ctx.workspace.environment(env_name)
    repo = env.providers.github_repository
    workflow = env.providers.github_workflow or "deploy.yml"
    # From the start of ``since``'s minute, so that callers whose windows start milliseconds apart ask the
    # same read; each caller keeps its own window below.
    start = since.replace(second=0, microsecond=0) if since is not None else None
    client = await common.github(ctx, env)
    used = False

    def begin(tell: Callable[[Any], None]) -> Awaitable[tuple[CiRun, ...]]:
        nonlocal used
        used = True  # the read owns the client from here on, and closes it
        return read(tell)

    async def read(tell: Callable[[Any], None]) -> tuple[CiRun, ...]:
        async with client:
            listing = await client.list_workflow_runs(repo, workflow, per_page=limit, max_pages=1)
            chosen = [r for r in listing.runs[:limit] if start is None or r.created_at >= start]
            tell(tuple(CiRun(r, (), False) for r in chosen))

            async def jobs_of(run: GitHubRun) -> tuple[GitHubJob, ...]:
                if failed_jobs_only and run.conclusion != "failure":
                    return ()
                return tuple(await client.list_run_jobs(repo, run.id))

            jobs = await settle(*(jobs_of(r) for r in chosen))
        return tuple(CiRun(r, j, _ordering_risk(j)) for r, j in zip(chosen, jobs, strict=True))

    try:
        found = await _RUNS.read_early((*client.answer_key(), repo, workflow, limit, failed_jobs_only, start), begin,
                                       None if on_listed is None else lambda listed: on_listed(tuple(
                                           c for c in listed if since is None or c.run.created_at >= since)))
    finally:
        if not used:  # another caller's read answered: this client sent nothing
            await client.aclose()
    return tuple(c for c in found if since is None or c.run.created_at >= since)


async def workflow_info(ctx: AppContext, env_name: str) -> WorkflowInfo:
    env = ctx.workspace.environment(env_name)
    path = workflow_path(env.providers.github_workflow or "deploy.yml")
    async with await common.github(ctx, env) as client:
        text = await ga.file_text(client, env.providers.github_repository, path)
    return analyse_workflow(text, path)


async def job_log(ctx: AppContext, env_name: str, job_id: int) -> ga.JobLog:
    env = ctx.workspace.environment(env_name)
    async with await common.github(ctx, env) as client:
        return await ga.job_log(client, env.providers.github_repository, job_id)


@dataclass(frozen=True)
class RunRequest:
    environment: str
    run_id: int
    failed_only: bool = False


async def rerun(ctx: AppContext, request: RunRequest, auth: Authorization) -> ActionAccepted:
    env = ctx.workspace.environment(request.environment)
    common.check_authorization(ctx, auth, env, "ci rerun")
    repo = env.providers.github_repository

    async def change() -> ActionAccepted:
        async with await common.github(ctx, env) as client:
            run = await client.get_run(repo, request.run_id)
            if run.status != "completed":
                raise GuardRefusedError(f"Run {run.id} is still {run.status.replace('_', ' ')}; it can be re-run "
                                        "once it has finished", hint="Cancel it first, or wait")
            if request.failed_only and run.conclusion == "success":
                raise GuardRefusedError(f"Run {run.id} succeeded: it has no failed jobs to re-run")
            try:
                return await client.rerun(repo, run.id, failed_only=request.failed_only)
            finally:
                _RUNS.forget_all()  # the next read of the runs sees the change, never a read from before it

    return await common.audited(ctx, auth, target=str(request.run_id), change=change,
                                details={"failed_only": request.failed_only})


async def cancel(ctx: AppContext, request: RunRequest, auth: Authorization, *, force: bool = False) -> ActionAccepted:
    env = ctx.workspace.environment(request.environment)
    common.check_authorization(ctx, auth, env, "ci force-cancel" if force else "ci cancel")
    repo = env.providers.github_repository

    async def change() -> ActionAccepted:
        async with await common.github(ctx, env) as client:
            try:
                if force:
                    return await ga.force_cancel(client, repo, request.run_id)
                return await client.cancel_run(repo, request.run_id)
            finally:
                _RUNS.forget_all()

    return await common.audited(ctx, auth, target=str(request.run_id), change=change, details={"force": force})


async def dispatch(ctx: AppContext, env_name: str, ref: str, auth: Authorization) -> GitHubDispatch:
    env = ctx.workspace.environment(env_name)
    common.check_authorization(ctx, auth, env, "ci dispatch")
    info = await workflow_info(ctx, env_name)
    if not info.dispatchable:
        raise GuardRefusedError(info.reason.split("\n")[0], hint="Add 'workflow_dispatch:' under 'on:'")
    if not ref.strip():
        raise ConfigError("No branch was given to run the workflow on")

    async def change() -> GitHubDispatch:
        async with await common.github(ctx, env) as client:
            try:
                return await client.dispatch(env.providers.github_repository,
                                             env.providers.github_workflow or "deploy.yml", ref.strip())
            finally:
                _RUNS.forget_all()

    return await common.audited(ctx, auth, target=ref, change=change, details={"workflow": info.path})

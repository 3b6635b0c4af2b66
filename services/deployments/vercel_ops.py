"""Vercel deployments of one environment: pages of the list (current production deployment and the
rolled-back state marked), inspect with build events (followed while building), and the changes —
promote, instant rollback, redeploy, cancel — each authorized, audited and followed to its end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.core.concurrency import settle
from services.core.errors import ConfigError, GuardRefusedError, OpsError
from services.core.guard import Authorization
from services.core.operation import Progress, operation
from services.core.workspace import Environment
from services.deployments import common
from services.deployments.caveats import Caveats, promote_caveats, rollback_caveats
from services.providers import vercel_deployments as vd
from services.providers.vercel_client import VercelDeployment

if TYPE_CHECKING:
    from services.core.app_context import AppContext

BUILDING_STATES = frozenset({"BUILDING", "QUEUED", "INITIALIZING"})
FINAL_STATES = frozenset({"READY", "ERROR", "CANCELED", "DELETED"})
STATES = ("BUILDING", "ERROR", "INITIALIZING", "QUEUED", "READY", "CANCELED")


@dataclass(frozen=True)
class DeploymentRow:
    """One line of the list, with what the project says about it."""

    deployment: VercelDeployment
    current: bool  # production's domains point at it now
    rolled_back_from: bool  # production was rolled back away from it

    @property
    def id(self) -> str:
        return self.deployment.id

    def to_json(self) -> dict[str, Any]:
        return self.deployment.to_json(current=self.current, rolled_back_from=self.rolled_back_from)


@dataclass(frozen=True)
class DeploymentPage:
    environment: str
    target: str
    rows: tuple[DeploymentRow, ...]
    next_until: int | None
    production: vd.ProductionState | None


@dataclass(frozen=True)
class ListRequest:
    environment: str
    limit: int = 50
    until: int | None = None
    state: str | None = None
    branch: str | None = None
    any_target: bool = False  # every target of the project, not only the environment's
    # The project's state from the first page: later pages reuse it instead of asking again.
    known_production: vd.ProductionState | None = None


async def list_page(ctx: AppContext, request: ListRequest, progress: Progress | None = None) -> DeploymentPage:
    """One page of the environment's deployments (a request per page: the view's ``fetchMore``)."""
    env = ctx.workspace.environment(request.environment)
    project = common.project_id(env)
    state = (request.state or "").upper() or None
    if state is not None and state not in STATES:
        raise ConfigError(f"'{request.state}' is not a deployment state", hint="Use one of: " + ", ".join(STATES))
    if not 1 <= request.limit <= 100:
        raise ConfigError(f"A page holds 1 to 100 deployments, not {request.limit}")
    target = common.vercel_target(env)
    async with await common.vercel(ctx, env) as client:
        listing = vd.deployments_page(client, project, target=None if request.any_target else target,
                                      limit=request.limit, until=request.until, state=state,
                                      branch=request.branch or None)
        if request.known_production is not None:
            page, production = await listing, request.known_production
        else:
            page, production = await settle(listing, vd.production_state(client, project))
    return DeploymentPage(env.name, target, tuple(_row(d, production) for d in page.deployments),
                          page.next_until, production)


def _row(d: VercelDeployment, production: vd.ProductionState | None) -> DeploymentRow:
    current = production is not None and production.current_deployment_id == d.id
    rolled = bool(production and production.rolled_back and production.last_alias_request
                  and production.last_alias_request.from_deployment_id == d.id)
    return DeploymentRow(replace(d, is_current_production=current), current, rolled)


async def list_deployments(ctx: AppContext, request: ListRequest) -> tuple[DeploymentRow, ...]:
    """Up to ``limit`` deployments (any number: pages of 100 followed with ``until``)."""
    if request.limit < 1:
        raise ConfigError(f"--limit must be at least 1, not {request.limit}")
    rows: list[DeploymentRow] = []
    until = request.until
    while len(rows) < request.limit:
        page = await list_page(ctx, replace(request, limit=min(100, request.limit - len(rows)), until=until))
        rows += page.rows
        until = page.next_until
        if until is None or not page.rows:
            break
    return tuple(rows)


async def production_status(ctx: AppContext, env_name: str) -> vd.ProductionState:
    env = ctx.workspace.environment(env_name)
    async with await common.vercel(ctx, env) as client:
        return await vd.production_state(client, common.project_id(env))


# -- inspect --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    deployment: VercelDeployment
    current: bool
    aliases: tuple[vd.DeploymentAlias, ...]
    checks: tuple[vd.DeploymentCheck, ...]
    events: tuple[vd.EventLine, ...]
    build_seconds: float | None  # from the deployment's own timestamps (buildingAt → ready)

    @property
    def building(self) -> bool:
        return self.deployment.state in BUILDING_STATES

    def to_json(self) -> dict[str, Any]:
        return {"deployment": self.deployment.to_json(current=self.current), "build_seconds": self.build_seconds,
                "aliases": [a.alias for a in self.aliases], "checks": [c.to_json() for c in self.checks],
                "events": [e.to_json() for e in self.events]}


async def inspect(ctx: AppContext, env_name: str, deployment_id: str, *, with_events: bool = True) -> Inspection:
    env = ctx.workspace.environment(env_name)
    project = common.project_id(env)
    async with await common.vercel(ctx, env) as client:
        deployment = await client.get_deployment(deployment_id)
        aliases, checks, production = await settle(
            vd.deployment_aliases(client, deployment.id),
            vd.deployment_checks(client, deployment.id),
            vd.production_state(client, project),
        )
        events = await vd.build_events(client, deployment.id) if with_events else ()
    return Inspection(deployment, production.current_deployment_id == deployment.id, aliases, checks, events,
                      deployment.duration_s)


@dataclass(frozen=True)
class FollowOutcome:
    deployment: VercelDeployment
    lines: int


async def follow_events(ctx: AppContext, env_name: str, deployment_id: str, on_lines: Callable[[tuple[vd.EventLine, ...]], None],
                        *, since_ms: int | None = None, poll_s: float = 1.0, timeout_s: float = 3600.0
                        ) -> FollowOutcome:
    """Deliver build events as they come (paged with ``since``) until the deployment is final.

    Vercel's ``follow=1`` streams; polling with ``since`` gives the same lines, survives a dropped
    connection and never holds one open for an hour. Duplicates at a page boundary are dropped by
    serial.
    """
    env = ctx.workspace.environment(env_name)
    seen: set[str] = set()
    total = 0
    deadline = time.monotonic() + timeout_s
    cursor = since_ms
    async with await common.vercel(ctx, env) as client:
        while True:
            deployment = await client.get_deployment(deployment_id)
            while True:
                batch = await vd.build_events(client, deployment_id, since_ms=cursor, limit=1000)
                fresh = tuple(e for e in batch if e.serial not in seen)
                seen.update(e.serial for e in fresh)
                if fresh:
                    total += len(fresh)
                    on_lines(fresh)
                    cursor = max(e.created_ms for e in fresh)
                if len(batch) < 1000:
                    break
            if deployment.state in FINAL_STATES:
                return FollowOutcome(deployment, total)
            if time.monotonic() > deadline:
                raise OpsError(f"Deployment {deployment_id} was still {deployment.state.lower()} after "
                               f"{timeout_s / 60:.0f} minutes; stopped following it")
            await asyncio.sleep(poll_s)


# -- changes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AliasJob:
    """A promote or rollback followed through ``lastAliasRequest``."""

    type: str
    from_deployment_id: str
    to_deployment_id: str
    status: str  # succeeded, failed, skipped, or "accepted" when not followed
    failed_aliases: tuple[str, ...]
    caveats: Caveats | None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "from": self.from_deployment_id, "to": self.to_deployment_id,
                "status": self.status, "caveats": list(self.caveats.lines) if self.caveats else [],
                "migrations_since": list(self.caveats.migrations_since) if self.caveats else []}


@dataclass(frozen=True)
class RollbackRequest:
    environment: str
    deployment_id: str | None = None  # None: the previous production deployment
    follow: bool = True
    poll_s: float = 0.25
    timeout_s: float = 180.0


@dataclass(frozen=True)
class PromoteRequest:
    environment: str
    deployment_id: str
    rebuild_preview: bool = False  # promoting a preview is a rebuild with production's environment
    follow: bool = True
    poll_s: float = 0.25
    timeout_s: float = 180.0


async def previous_production(ctx: AppContext, env_name: str) -> VercelDeployment:
    """The newest ready production deployment older than the current one (``vercel rollback`` with no id)."""
    env = ctx.workspace.environment(env_name)
    project = common.project_id(env)
    async with await common.vercel(ctx, env) as client:
        production = await vd.production_state(client, project)
        current_at: datetime | None = None
        if production.current_deployment_id:
            current_at = (await client.get_deployment(production.current_deployment_id)).created_at
        until: int | None = None
        for _ in range(50):
            page = await vd.deployments_page(client, project, target="production", limit=100, until=until,
                                             state="READY")
            for d in page.deployments:
                older = current_at is None or d.created_at < current_at
                if d.id != production.current_deployment_id and older:
                    return d
            until = page.next_until
            if until is None:
                break
    raise OpsError("There is no earlier production deployment to roll back to")


@operation
async def rollback(ctx: AppContext, request: RollbackRequest, auth: Authorization,
                   progress: Progress | None = None) -> AliasJob:
    env = ctx.workspace.environment(request.environment)
    common.check_authorization(ctx, auth, env, "deploy rollback")
    if not env.is_production and common.vercel_target(env) != "production":
        raise ConfigError(f"Instant rollback moves production's domains; {env.name} is not production",
                          hint="Use redeploy for other environments")
    project = common.project_id(env)
    target = await (_deployment(ctx, env, request.deployment_id) if request.deployment_id
                    else previous_production(ctx, env.name))
    if target.state != "READY":
        raise GuardRefusedError(f"Deployment {target.id} is {target.state.lower()}, not ready: it cannot serve "
                                "production")
    notes = await rollback_caveats(ctx, env, target)
    # The reason travels to Vercel: a secret pasted into it is masked first, as in the audit log.
    reason = ctx.masker(auth.reason) if auth.reason else auth.reason
    description = reason or "Instant rollback from the Realtor Ops Console"

    async def change() -> AliasJob:
        async with await common.vercel(ctx, env) as client:
            before = await vd.production_state(client, project)
            if progress:
                progress.note(f"rolling production back to {target.id}")
            started_ms = int(time.time() * 1000)
            await vd.rollback_to(client, project, target.id, description=description)
            if not request.follow:
                return AliasJob("rollback", before.current_deployment_id or "", target.id, "accepted", (), notes)
            return await _follow_alias_job(client, project, "rollback", target.id, before, started_ms,
                                           request.poll_s, request.timeout_s, notes, progress)

    return await common.audited(ctx, auth, target=target.id, change=change,
                                details={"to": target.id, "url": target.url},
                                outcome=lambda job: job.status)


@operation
async def promote(ctx: AppContext, request: PromoteRequest, auth: Authorization,
                  progress: Progress | None = None) -> AliasJob:
    env = ctx.workspace.environment(request.environment)
    common.check_authorization(ctx, auth, env, "deploy promote")
    project = common.project_id(env)
    candidate = await _deployment(ctx, env, request.deployment_id)
    if candidate.state != "READY":
        raise GuardRefusedError(f"Deployment {candidate.id} is {candidate.state.lower()}; only a ready deployment "
                                "can be promoted")
    is_preview = candidate.target != "production"
    if is_preview and not request.rebuild_preview:
        raise GuardRefusedError(
            f"Deployment {candidate.id} is a {candidate.target or 'preview'} deployment: promoting it builds a new "
            "deployment from its source with production's environment variables",
            hint="Confirm the rebuild (--rebuild-preview, or the dialog's checkbox)")
    notes = await promote_caveats(ctx, env, candidate)

    async def change() -> AliasJob:
        async with await common.vercel(ctx, env) as client:
            before = await vd.production_state(client, project)
            started_ms = int(time.time() * 1000)
            if is_preview:
                built = await vd.redeploy(client, candidate, target="production", action="promote")
                return AliasJob("promote", before.current_deployment_id or "", built.id, "rebuilding", (), notes)
            await client.promote(project, candidate.id)
            if not request.follow:
                return AliasJob("promote", before.current_deployment_id or "", candidate.id, "accepted", (), notes)
            return await _follow_alias_job(client, project, "promote", candidate.id, before, started_ms,
                                           request.poll_s, request.timeout_s, notes, progress)

    return await common.audited(ctx, auth, target=candidate.id, change=change,
                                details={"to": candidate.id, "preview_rebuild": is_preview},
                                outcome=lambda job: job.status)


async def _follow_alias_job(client: Any, project: str, kind: str, to_id: str, before: vd.ProductionState,
                            started_ms: int, poll_s: float, timeout_s: float, notes: Caveats | None,
                            progress: Progress | None) -> AliasJob:
    """Poll ``lastAliasRequest`` until the job for ``to_id`` succeeds or fails (as ``vercel rollback``:
    requests older than three minutes before ours are someone else's)."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while True:
        state = await vd.production_state(client, project)
        req = state.last_alias_request
        mine = (req is not None and req.to_deployment_id == to_id and req.type == kind
                and (req.requested_at is None or req.requested_at.timestamp() * 1000 >= started_ms - 180_000))
        if mine and req is not None:
            if progress and req.job_status != last:
                progress.note(f"{kind}: {req.job_status}")
                last = req.job_status
            if req.job_status == "failed":
                failed = await vd.alias_statuses(client, project, failed_only=True)
                names = tuple(a.alias for a in failed)
                raise OpsError(
                    f"The {kind} to {to_id} failed" + (f" for {', '.join(names)}" if names else ""),
                    hint="Production may now be split between deployments; check the domains and try again",
                    detail=f"from {before.current_deployment_id}")
            if req.finished:
                return AliasJob(kind, req.from_deployment_id, to_id, req.job_status, (), notes)
        if time.monotonic() > deadline:
            raise OpsError(f"The {kind} to {to_id} did not finish within {timeout_s:.0f} s",
                           hint="Vercel may still complete it; look at the project in a minute")
        await asyncio.sleep(poll_s)


async def deployment(ctx: AppContext, env_name: str, deployment_id: str) -> VercelDeployment:
    return await _deployment(ctx, ctx.workspace.environment(env_name), deployment_id)


async def _deployment(ctx: AppContext, env: Environment, deployment_id: str) -> VercelDeployment:
    if not deployment_id or not deployment_id.strip():
        raise ConfigError("No deployment id was given")
    async with await common.vercel(ctx, env) as client:
        return await client.get_deployment(deployment_id.strip())


@dataclass(frozen=True)
class RedeployRequest:
    environment: str
    deployment_id: str


async def redeploy(ctx: AppContext, request: RedeployRequest, auth: Authorization,
                   progress: Progress | None = None) -> VercelDeployment:
    """A new build of the same source and target (``vercel redeploy``)."""
    env = ctx.workspace.environment(request.environment)
    common.check_authorization(ctx, auth, env, "deploy redeploy")
    source = await _deployment(ctx, env, request.deployment_id)

    async def change() -> VercelDeployment:
        async with await common.vercel(ctx, env) as client:
            return await vd.redeploy(client, source, target=source.target)

    return await common.audited(ctx, auth, target=source.id, change=change, details={"source": source.id},
                                outcome=lambda d: f"done: new deployment {d.id}")


async def cancel(ctx: AppContext, request: RedeployRequest, auth: Authorization,
                 progress: Progress | None = None) -> VercelDeployment:
    env = ctx.workspace.environment(request.environment)
    common.check_authorization(ctx, auth, env, "deploy cancel")
    current = await _deployment(ctx, env, request.deployment_id)
    if current.state not in BUILDING_STATES:
        raise GuardRefusedError(f"Deployment {current.id} is {current.state.lower()}; only a building or queued "
                                "deployment can be canceled")

    async def change() -> VercelDeployment:
        async with await common.vercel(ctx, env) as client:
            return await client.cancel(current.id)

    return await common.audited(ctx, auth, target=current.id, change=change, details={},
                                outcome=lambda d: f"done: {d.state.lower()}")


def age_text(when: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"

"""Where the timeline's events come from. Each source reads one environment since a time and returns
plain events; a source that is not configured returns none; one that fails raises a typed error (the
service shows its last-known events and names the gap)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from datetime import datetime

from services.core.app_context import AppContext
from services.core.progress import human_bytes
from services.core.workspace import Environment
from services.timeline.model import Event, Kind

Source = Callable[[AppContext, Environment, datetime], Awaitable[list[Event]]]

# Audit actions the catalog already shows as its own events (a good backup, a verification): the
# audit log adds only their failures.
_CATALOG_ACTIONS = ("backup create", "backup verify")
_READS = ("reveal secret",)


def _audit_kind(action: str) -> Kind:
    a = action.lower()
    for word, kind in (("rollback", Kind.ROLLBACK), ("promote", Kind.PROMOTION), ("purge", Kind.CACHE_PURGE),
                       ("restore", Kind.RESTORE), ("verify", Kind.VERIFICATION), ("backup", Kind.BACKUP),
                       ("redeploy", Kind.DEPLOYMENT), ("deploy", Kind.DEPLOYMENT), ("rerun", Kind.CI_RUN),
                       ("dispatch", Kind.CI_RUN), ("ci ", Kind.CI_RUN), ("migrat", Kind.MIGRATION)):
        if word in a:
            return kind
    return Kind.ENV_EDIT


async def audit_events(ctx: AppContext, env: Environment, since: datetime) -> list[Event]:
    """Changes made from this console or CLI: restores, production changes with their reasons, edits,
    and the failed attempts that left nothing elsewhere (a backup that never reached the bucket)."""
    entries = await asyncio.to_thread(ctx.audit.entries, limit=5000, environment=env.name)
    events = []
    for e in entries:
        if e.at < since or e.action in _READS:
            continue
        failed = e.outcome.startswith("failed") or e.outcome.startswith("refused")
        if e.action in _CATALOG_ACTIONS and not failed:
            continue
        kind = _audit_kind(e.action)
        summary = f"{e.action}" + (f" {e.target}" if e.target else "") + f": {e.outcome}"
        if e.reason:
            summary += f" — reason: {e.reason}"
        events.append(Event(f"audit:{e.id}", e.at, kind, env.name, e.actor, summary,
                            attention=failed or kind in (Kind.ROLLBACK, Kind.RESTORE), ref=e.target,
                            change=not failed and e.outcome != "cancelled" and kind in (Kind.ROLLBACK, Kind.PROMOTION)))
    return events


async def incident_events(ctx: AppContext, env: Environment, since: datetime) -> list[Event]:
    """Health incidents (a check's confirmed state down or degraded) opened or still open since then."""
    from services.health.history import HealthHistory
    from services.health.names import CHECK_LABELS

    path = ctx.paths.data / "health.sqlite3"
    if not await asyncio.to_thread(path.exists):
        return []

    def read() -> list[Event]:
        history = HealthHistory(path)
        try:
            found = history.incidents(env.name, None, since=since, limit=1000)
        finally:
            history.close()
        out = []
        for i in found:
            label = CHECK_LABELS.get(i.check, i.check)
            tail = (f" — resolved after {_minutes(i.ended - i.started)}" if i.ended else " — still open")
            out.append(Event(f"incident:{i.id}", i.started, Kind.INCIDENT, env.name, "health check",
                             f"{label} {i.status.words}: {i.detail}{tail}", attention=True, ended=i.ended,
                             ref=i.check))
        return out

    return await asyncio.to_thread(read)


def _minutes(delta: object) -> str:
    seconds = max(0.0, getattr(delta, "total_seconds", lambda: 0.0)())
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


async def backup_events(ctx: AppContext, env: Environment, since: datetime,
                        early: Callable[[list[Event]], None] | None = None) -> list[Event]:
    """Backups and verifications from the environment's catalog (the bucket is the truth). ``early``
    hears the backups the listing shows, while the manifests and verifications not cached are read."""
    from services.backup.catalog import Catalog, list_backups
    from services.core.errors import ConnectionFailure, FailureKind

    if not env.backup.configured:
        return []

    def events(catalog: Catalog) -> list[Event]:
        found = []
        for entry in catalog.entries:
            if entry.created_at < since:
                continue
            who = entry.manifest.created_by if entry.manifest else ""
            if entry.good:
                summary = f"backup {entry.id} ({human_bytes(entry.bytes)}, {entry.trigger})"
            elif entry.state == "listed":
                summary = f"backup {entry.id} ({human_bytes(entry.bytes)}; its manifest is being read)"
            else:
                summary = f"backup {entry.id} is {entry.state}"
            found.append(Event(f"backup:{entry.id}", entry.created_at, Kind.BACKUP, env.name, who or entry.trigger,
                               summary, attention=entry.state not in ("good", "listed"), ref=entry.id))
            v = entry.verification_detail
            if v is not None and v.checked_at >= since:
                words = ("verified OK" + (" with a test restore" if v.restore_tested else "")) if v.ok \
                    else "verification FAILED: " + "; ".join(v.problems[:2])
                found.append(Event(f"verification:{entry.id}:{v.checked_at.isoformat()}", v.checked_at,
                                   Kind.VERIFICATION, env.name, v.checked_by, f"backup {entry.id} {words}",
                                   attention=not v.ok, ref=entry.id))
        return found

    catalog = await list_backups(ctx, env.name, offline_ok=True,
                                 on_listed=None if early is None else lambda c: early(events(c)))
    if catalog.from_cache:
        raise ConnectionFailure(f"the backup catalog is offline ({catalog.offline_reason})",
                                kind=FailureKind.UNREACHABLE)
    return events(catalog)


async def deployment_events(ctx: AppContext, env: Environment, since: datetime) -> list[Event]:
    """Vercel deployments of the environment's target: created, ready (went live) or failed."""
    from services.deployments import vercel_ops

    if not env.providers.vercel_project_id:
        return []
    rows = await vercel_ops.list_deployments(ctx, vercel_ops.ListRequest(env.name, limit=100))
    events = []
    for row in rows:
        d = row.deployment
        if d.created_at < since:
            continue
        when = d.ready_at or d.created_at
        commit = f"{d.commit_sha[:7]} “{d.commit_message.splitlines()[0][:70]}”" if d.commit_sha else d.url
        state = {"READY": "ready", "ERROR": "failed", "CANCELED": "cancelled", "BUILDING": "building",
                 "QUEUED": "queued", "INITIALIZING": "starting"}.get(d.state, d.state.lower())
        summary = f"deployment {state}: {commit}" + (f" ({d.branch})" if d.branch else "")
        if row.current:
            summary += " — live now"
        if row.rolled_back_from:
            summary += " — rolled back from"
        events.append(Event(f"deployment:{d.id}", when, Kind.DEPLOYMENT, env.name, d.creator, summary,
                            attention=d.state == "ERROR" or row.rolled_back_from, ref=d.id,
                            change=d.state == "READY"))
    return events


async def ci_events(ctx: AppContext, env: Environment, since: datetime,
                    early: Callable[[list[Event]], None] | None = None) -> list[Event]:
    """Runs of the deploy workflow and their failing jobs. ``early`` hears the runs as soon as they are
    listed, while the failed runs' jobs are read."""
    from services.deployments import ci

    if not env.providers.github_repository:
        return []

    def events(items: tuple[ci.CiRun, ...], jobs_read: bool) -> list[Event]:
        found = []
        for item in items:
            r = item.run
            if r.created_at < since:
                continue
            failing = [j.name for j in item.jobs if j.conclusion == "failure"]
            outcome = r.conclusion or r.status
            summary = (f"{r.workflow_name} #{r.run_number} {outcome}: "
                       f"{r.title.splitlines()[0][:70] if r.title else r.branch}")
            if failing:
                summary += " — failing: " + ", ".join(failing)
            elif not jobs_read and r.conclusion == "failure":
                summary += " — its jobs are being read"
            found.append(Event(f"ci:{r.id}", r.created_at, Kind.CI_RUN, env.name, r.actor, summary,
                               attention=r.conclusion == "failure", ref=str(r.id)))
        return found

    listed = None if early is None else (lambda items: early(events(items, False)))
    return events(await ci.runs(ctx, env.name, limit=30, since=since, failed_jobs_only=True, on_listed=listed),
                  True)


async def migration_events(ctx: AppContext, env: Environment, since: datetime) -> list[Event]:
    """Prisma migrations applied (or failed) in the environment's database."""
    if not env.database.configured:
        return []
    # psycopg takes 0.1-0.2 s to import: in a worker thread, so that the caller's loop (the console's Qt
    # thread) goes on with the other sources' reads meanwhile.
    await asyncio.to_thread(importlib.import_module, "services.deployments.migrations")
    import psycopg

    from services.deployments.migrations import conninfo
    from services.deployments.prisma_status import read_rows

    try:
        rows = await read_rows(await conninfo(ctx, env))
    except psycopg.Error as exc:
        from services.probes.postgres_failures import classify_database

        raise classify_database(exc, env.database) from None
    events = []
    for r in rows or ():
        when = r.finished_at or r.started_at
        if when < since:
            continue
        if r.failed:
            words, attention = "FAILED", True
        elif r.rolled_back_at is not None:
            words, attention = "rolled back", True
        else:
            words, attention = "applied", False
        events.append(Event(f"migration:{r.id}", when, Kind.MIGRATION, env.name, "prisma migrate",
                            f"migration {r.migration_name} {words}", attention=attention, ref=r.migration_name,
                            change=r.applied))
    return events


# name → reader, in the order their gaps are named
SOURCES: dict[str, Source] = {
    "audit log": audit_events,
    "health history": incident_events,
    "backup catalog": backup_events,
    "Vercel": deployment_events,
    "GitHub Actions": ci_events,
    "migrations": migration_events,
}

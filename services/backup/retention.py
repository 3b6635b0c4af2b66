"""``backup prune`` and ``backup lifecycle``: retention by policy, and the bucket's own lifecycle rules.

Grandfather-father-son: the newest good backup of each of the last ``daily`` days that have one, of the
last ``weekly`` ISO weeks, ``monthly`` months and ``yearly`` years (the seed's 7 years). Always kept:
the newest good backup, and at least ``min_verified`` verified ones (the newest) — a floor: while fewer
than that many are verified, the newest unverified ones count toward it, so nothing is deleted that
would leave fewer than ``min_verified`` usable backups (Barman's minimum redundancy). A backup whose
verification failed never counts as a keeper. Unfinished and orphaned uploads older than a day go too.
Every decision carries its reason, so the dry run reads as an explanation.

The lifecycle rules are the bucket's safety net for what no console runs: transition to infrequent
access after ``transition_ia_days`` (30), expiry after ``expire_days`` (2555, seven years), and abort of
multipart uploads left for a day.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from services.backup.catalog import STALE_UPLOAD_HOURS, CatalogEntry, list_backups
from services.backup.store import store_for
from services.core.guard import authorize, require_admin
from services.core.workspace import BackupSettings, RetentionPolicy

if TYPE_CHECKING:
    from services.core.app_context import AppContext


@dataclass(frozen=True)
class Decision:
    entry: CatalogEntry
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RetentionPlan:
    keep: tuple[Decision, ...]
    delete: tuple[Decision, ...]
    dry_run: bool = True  # False once prune has deleted ``delete``

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run,
                "keep": [{"id": d.entry.id, "reasons": list(d.reasons)} for d in self.keep],
                "delete": [{"id": d.entry.id, "state": d.entry.state, "reasons": list(d.reasons)}
                           for d in self.delete]}


def plan_retention(entries: list[CatalogEntry] | tuple[CatalogEntry, ...], policy: RetentionPolicy,
                   now: datetime | None = None) -> RetentionPlan:
    now = now or datetime.now(UTC)
    good = sorted((e for e in entries if e.good), key=lambda e: e.created_at, reverse=True)
    usable = [e for e in good if e.verification != "failed"]
    reasons: dict[str, list[str]] = {e.id: [] for e in good}

    def bucket(label: str, count: int, key: Any) -> None:
        seen: list[Any] = []
        for e in usable:
            k = key(e.created_at)
            if k in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(k)
            reasons[e.id].append(f"{label} {len(seen)} of {count}")

    bucket("daily", policy.daily, lambda t: t.date())
    bucket("weekly", policy.weekly, lambda t: tuple(t.isocalendar())[:2])
    bucket("monthly", policy.monthly, lambda t: (t.year, t.month))
    bucket("yearly", policy.yearly, lambda t: t.year)
    if usable:
        reasons[usable[0].id].insert(0, "newest good backup")
    # The floor (as Barman's minimum redundancy): never fewer than min_verified verified backups survive;
    # while there are not that many verified ones, the newest unverified ones count toward it.
    verified = [e for e in usable if e.verification == "verified"]
    floor = verified[:policy.min_verified]
    shortfall = policy.min_verified - len(floor)
    if shortfall > 0:
        floor += [e for e in usable if e.verification != "verified"][:shortfall]
    for e in floor:
        if reasons[e.id]:
            continue
        if e.verification == "verified":
            reasons[e.id].append(f"keeps the minimum of {policy.min_verified} verified backups")
        else:
            reasons[e.id].append(f"keeps the minimum of {policy.min_verified} backups: only {len(verified)} "
                                 "verified, so the newest unverified ones count toward it")

    keep, delete = [], []
    for e in good:
        if reasons[e.id]:
            keep.append(Decision(e, tuple(reasons[e.id])))
        elif e.verification == "failed":
            delete.append(Decision(e, ("verification failed: it cannot be relied on",)))
        else:
            age = (now - e.created_at).days
            delete.append(Decision(e, (f"{age} days old, outside daily {policy.daily} / weekly {policy.weekly} / "
                                       f"monthly {policy.monthly} / yearly {policy.yearly}",)))
    stale = now - timedelta(hours=STALE_UPLOAD_HOURS)
    for e in entries:
        if e.state == "damaged":
            keep.append(Decision(e, ("its manifest is unreadable: kept for a person to look at, never counted as good",)))
        elif not e.good:
            if e.created_at < stale:
                delete.append(Decision(e, (f"{e.state} for more than {STALE_UPLOAD_HOURS} h: a dead run's leftovers",)))
            else:
                keep.append(Decision(e, (f"{e.state} and recent: may still be running",)))
    return RetentionPlan(tuple(keep), tuple(delete))


async def prune(ctx: AppContext, env_name: str, *, dry_run: bool, confirm: str | None = None,
                reason: str | None = None) -> RetentionPlan:
    env = ctx.workspace.environment(env_name)
    if not dry_run:
        require_admin(ctx.workspace, "backup prune")
    store = await store_for(ctx, env)
    catalog = await list_backups(ctx, env_name, store=store)
    plan = plan_retention(catalog.entries, env.backup.retention)
    if dry_run:
        return plan
    auth = authorize(ctx.workspace, env, "backup prune", confirm=confirm if env.is_production else env.name,
                     reason=reason)

    def apply() -> None:
        keys: list[str] = []
        for d in plan.delete:
            if d.entry.state == "unfinished":
                store.abort_upload(d.entry.key, d.entry.upload_id)
                continue
            if d.entry.state == "good":
                # The manifest first: from then on the backup is no longer listed as good.
                store.delete_keys([store.manifest_key(d.entry.id), store.verification_key(d.entry.id)])
                keys.append(store.archive_key(d.entry.id))  # from the id, never from a manifest's word
            else:
                keys.append(d.entry.key)
        store.delete_keys(keys)

    await asyncio.to_thread(apply)
    await ctx.audit.arecord(environment=env.name, action="backup prune", outcome="done", reason=auth.reason,
                            details={"deleted": [d.entry.id for d in plan.delete], "kept": len(plan.keep)})
    return replace(plan, dry_run=False)


# --- lifecycle ---------------------------------------------------------------------------------------

RULE_ID = "realtor-ops-backups"


def desired_rules(settings: BackupSettings) -> list[dict[str, Any]]:
    prefix = settings.prefix.strip("/") + "/" if settings.prefix.strip("/") else ""
    rule: dict[str, Any] = {
        "ID": RULE_ID, "Status": "Enabled", "Filter": {"Prefix": prefix},
        "Expiration": {"Days": settings.expire_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    if (settings.storage_class or "STANDARD") == "STANDARD":
        rule["Transitions"] = [{"Days": settings.transition_ia_days, "StorageClass": "STANDARD_IA"}]
    elif not settings.is_r2:
        # Already stored as infrequent access: after the same 30 days they go to instant-retrieval archive.
        rule["Transitions"] = [{"Days": settings.transition_ia_days, "StorageClass": "GLACIER_IR"}]
    # On R2, STANDARD_IA (Infrequent Access) is the coldest class there is: nothing to transition to.
    return [rule]


@dataclass(frozen=True)
class LifecycleStatus:
    desired: list[dict[str, Any]]
    current: list[dict[str, Any]]
    in_place: bool
    applied: bool
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"in_place": self.in_place, "desired": self.desired, "current": self.current,
                "applied": self.applied, "summary": self.summary}


def _describe(rule: dict[str, Any]) -> str:
    parts = [f"rule '{rule.get('ID', '?')}' on '{rule.get('Filter', {}).get('Prefix', '')}*'"]
    for t in rule.get("Transitions", []):
        parts.append(f"to {t.get('StorageClass')} after {t.get('Days')} days")
    if "Expiration" in rule:
        parts.append(f"deleted after {rule['Expiration'].get('Days')} days")
    if "AbortIncompleteMultipartUpload" in rule:
        parts.append(f"unfinished uploads aborted after {rule['AbortIncompleteMultipartUpload'].get('DaysAfterInitiation')} day")
    return ", ".join(parts)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("Status", "Filter", "Expiration", "Transitions", "AbortIncompleteMultipartUpload")
    return all(a.get(k) == b.get(k) for k in keys)


async def lifecycle_status(ctx: AppContext, env_name: str, *, apply: bool = False, confirm: str | None = None,
                           reason: str | None = None) -> LifecycleStatus:
    env = ctx.workspace.environment(env_name)
    if apply:
        require_admin(ctx.workspace, "backup lifecycle --apply")
    store = await store_for(ctx, env)
    desired = desired_rules(env.backup)
    current = await asyncio.to_thread(store.get_lifecycle)
    ours = next((r for r in current if r.get("ID") == RULE_ID), None)
    in_place = ours is not None and _same(ours, desired[0])
    applied = False
    if apply and not in_place:
        auth = authorize(ctx.workspace, env, "backup lifecycle", confirm=confirm if env.is_production else env.name,
                         reason=reason)
        rules = [r for r in current if r.get("ID") != RULE_ID] + desired
        await asyncio.to_thread(store.put_lifecycle, rules)
        await ctx.audit.arecord(environment=env.name, action="backup lifecycle", outcome="applied",
                                reason=auth.reason, details={"rule": desired[0]})
        current = await asyncio.to_thread(store.get_lifecycle)
        in_place = applied = True
    lines = [f"bucket '{store.bucket}': " + ("the backup rule is in place" if in_place else
                                             "the backup rule is NOT in place")]
    lines += ["  wanted:  " + _describe(r) for r in desired]
    if env.backup.is_r2 and "Transitions" not in desired[0]:
        lines.append(f"  (backups are uploaded as {env.backup.storage_class}, Infrequent Access, R2's coldest class: "
                     "no transition)")
    lines += ["  current: " + _describe(r) for r in current] or ["  current: no lifecycle rules"]
    return LifecycleStatus(desired, current, in_place, applied, "\n".join(lines))

"""Supabase: the organization's plan, the project's compute add-on and its disk from the Management API
(which has no billing endpoint). The plan and its compute credit are priced by the table (the
organization's, so "shared"); the compute add-on at the price the API states; the provisioned disk per
day, priced with the plan's included GB deducted. Egress has no API: it is named as not counted."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from services.core.errors import ConnectionFailure, OpsError
from services.core.workspace import Environment
from services.costs.metering import Usage, fixed_amount_rows, fixed_rows, price_usage
from services.costs.model import SHARED_ENV, Category, CostRow, days_in_month
from services.costs.sources.base import (
    CollectContext,
    SourceResult,
    SourceStatus,
    all_of,
    failure_result,
    not_configured,
)
from services.providers.factory import client_from

PLAN_COLLECTOR = "supabase-org"  # the plan's rows: "supabase-org:<organization>", shared
HOURS_PER_MONTH = Decimal(730)  # Supabase bills hourly compute at 730 hours a month


def compute_monthly(addons: Any) -> tuple[str, str, Decimal] | None:
    """(variant id, name, monthly price) of the selected compute add-on, or None."""
    for addon in (addons or {}).get("selected_addons") or []:
        if addon.get("type") == "compute_instance":
            variant = addon.get("variant") or {}
            price = variant.get("price") or {}
            amount = Decimal(str(price.get("amount", 0)))
            monthly = amount * HOURS_PER_MONTH if price.get("interval") == "hourly" else amount
            return str(variant.get("id", "")), str(variant.get("name", "")), monthly
    return None


def available_compute(addons: Any) -> list[tuple[str, str, Decimal]]:
    """The compute variants the API offers this project, with monthly prices."""
    out = []
    for addon in (addons or {}).get("available_addons") or []:
        if addon.get("type") != "compute_instance":
            continue
        for v in addon.get("variants") or []:
            price = v.get("price") or {}
            amount = Decimal(str(price.get("amount", 0)))
            out.append((str(v.get("id", "")), str(v.get("name", "")),
                        amount * HOURS_PER_MONTH if price.get("interval") == "hourly" else amount))
    return out


async def collect_supabase(cc: CollectContext, env: Environment) -> list[SourceResult]:
    """Both parts of the source, the project's and its organization's plan (a collect runs them as two
    jobs: the plan is the one read that waits for another, so the rest is not held back by it)."""
    project, plan = await asyncio.gather(collect_supabase_project(cc, env), collect_supabase_plan(cc, env))
    return [*plan, *project]


async def _client(cc: CollectContext, env: Environment) -> tuple[str, Any, list[SourceResult]]:
    ref = env.providers.supabase_project_ref
    if not ref:
        return ref, None, [not_configured("supabase", env.name, "No Supabase project ref is set")]
    client = await client_from(cc.credentials, env, "supabase", **cc.client_overrides)
    if client is None:
        return ref, None, [not_configured("supabase", env.name, "No Supabase access token is stored")]
    return ref, client, []


async def collect_supabase_plan(cc: CollectContext, env: Environment) -> list[SourceResult]:
    """The organization's plan (and its compute credit), priced by the table: shared, keyed by the
    organization. Only the project says which organization it is in, so this reads the project first;
    environments whose projects share an organization read it once."""
    ref, client, _ = await _client(cc, env)
    if client is None:
        return []  # said once, by the project's part
    qref = quote(ref, safe="")
    try:
        async with client:
            project = await client.get_json(f"/v1/projects/{qref}", resource=f"project '{ref}'")
            slug = str(project.get("organization_id") or "")
            org = await cc.read_once(f"supabase-org:{slug}", lambda: client.get_json(
                f"/v1/organizations/{quote(slug, safe='')}", resource=f"organization '{slug}'"))
            plan = str(org.get("plan") or "free")
    except ConnectionFailure as exc:
        return [failure_result(PLAN_COLLECTOR, env.name, exc, "Supabase (the organization's plan)")]
    except (AttributeError, TypeError):
        return [SourceResult(PLAN_COLLECTOR, env.name, SourceStatus.FAILED,
                             "Supabase answered in an unexpected shape (the organization's plan)")]
    org_collector = f"{PLAN_COLLECTOR}:{slug}"
    org_days = cc.days_to_fill(SHARED_ENV, org_collector)
    org_rows: list[CostRow] = []
    missing = ""
    key = f"supabase.{plan}"
    if plan != "free":
        if all(cc.table.has(key, d) for d in org_days):
            org_rows += fixed_rows(cc.table, key, SHARED_ENV, org_days, service=f"{plan.title()} plan")
            if plan in ("pro", "team") and all(cc.table.has("supabase.compute_credit", d) for d in org_days):
                org_rows += fixed_rows(cc.table, "supabase.compute_credit", SHARED_ENV, org_days)
        else:
            missing = f"no price for the '{plan}' plan in the price table"
    return [SourceResult(org_collector, SHARED_ENV, SourceStatus.PARTIAL if missing else SourceStatus.OK,
                         missing or f"organization plan: {plan}", tuple(org_days), tuple(org_rows))]


async def collect_supabase_project(cc: CollectContext, env: Environment) -> list[SourceResult]:
    """The project: its compute add-on (at the price the API states) and its disk (priced per day)."""
    ref, client, unconfigured = await _client(cc, env)
    if client is None:
        return unconfigured
    qref = quote(ref, safe="")
    try:
        async with client:
            addons, disk = await all_of(
                client.get_json(f"/v1/projects/{qref}/billing/addons", resource=f"add-ons of '{ref}'"),
                client.get_json(f"/v1/projects/{qref}/config/disk", resource=f"disk of '{ref}'"))
    except ConnectionFailure as exc:
        return [failure_result("supabase", env.name, exc, "Supabase")]
    except (AttributeError, TypeError):
        return [SourceResult("supabase", env.name, SourceStatus.FAILED, "Supabase answered in an unexpected shape")]
    days = cc.days_to_fill(env.name, "supabase")
    rows: list[CostRow] = []
    notes = ["egress is not counted (the Management API does not report it)"]
    compute = compute_monthly(addons)
    if compute is not None:
        variant, name, monthly = compute
        rows += fixed_amount_rows("supabase", f"Compute {name or variant}", Category.DATABASE, env.name, monthly,
                                  days, cc.table.currency, f"compute add-on {variant}, price from the API")
    try:
        size_gb = Decimal(int(disk["attributes"]["size_gb"]))
    except (KeyError, TypeError, ValueError):
        size_gb = None
        notes.append("the disk size was not in the answer")
    if size_gb is not None and days:
        # The included 8 GB are a size, not a monthly volume: each day bills the GB above it.
        over = max(Decimal(0), size_gb - cc.table.price("supabase.disk", days[-1]).included)
        usage = [Usage(d, over / days_in_month(d.year, d.month)) for d in days]
        by_month: dict[tuple[int, int], list[Usage]] = {}
        for u in usage:
            by_month.setdefault((u.day.year, u.day.month), []).append(u)
        for chunk in by_month.values():
            rows += price_usage(cc.table, "supabase.disk", env.name, chunk, unit="GB-month",
                                note=f"{size_gb} GB provisioned, GB over the included priced",
                                deduct_included=False,
                                stored_before=lambda day: cc.quantity_before(env.name, "supabase", "Disk", day,
                                                                             days))
    return [SourceResult("supabase", env.name, SourceStatus.PARTIAL, "; ".join(notes), tuple(days), tuple(rows))]


async def compute_offer(cc: CollectContext, env: Environment) -> tuple[tuple[str, str, Decimal] | None,
                                                                     list[tuple[str, str, Decimal]]]:
    """(current compute, offered computes) for the recommendations; empty when unavailable."""
    ref = env.providers.supabase_project_ref
    client = await client_from(cc.credentials, env, "supabase", **cc.client_overrides) if ref else None
    if client is None:
        return None, []
    try:
        async with client:
            addons = await client.get_json(f"/v1/projects/{quote(ref, safe='')}/billing/addons",
                                           resource=f"add-ons of '{ref}'")
    except OpsError:
        return None, []
    return compute_monthly(addons), available_compute(addons)



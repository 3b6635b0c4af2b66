"""Plan fees as fixed lines (Sentry, Better Stack, GitHub, …: from the settings' plans and the price
table) and the external services' monthly amounts the user entered (MLS, email, SMS, phone).

Vercel's and Supabase's plans belong to their own sources (the billing feed or the API may report them),
so they are not counted here."""

from __future__ import annotations

from collections import defaultdict

from services.costs.metering import fixed_amount_rows, fixed_rows
from services.costs.model import CostRow
from services.costs.sources.base import CollectContext, SourceResult, SourceStatus, not_configured

OWNED_ELSEWHERE = ("vercel", "supabase")


def collect_plans(cc: CollectContext) -> list[SourceResult]:
    """One result per environment the plans are attributed to (usually "shared")."""
    plans = [p for p in cc.settings.plans if p.key.split(".", 1)[0] not in OWNED_ELSEWHERE]
    if not plans:
        return [not_configured("plans", "shared", "No plan fees are set (Sentry, Better Stack, GitHub): add them "
                               "in the Costs screen's settings")]
    by_env: dict[str, list[CostRow]] = defaultdict(list)
    days_by_env = {p.environment: cc.days_to_fill(p.environment, "plans") for p in plans}
    missing = []
    for plan in plans:
        days = days_by_env[plan.environment]
        if not all(cc.table.has(plan.key, d) for d in days):
            missing.append(plan.key)
            continue
        by_env[plan.environment].extend(fixed_rows(cc.table, plan.key, plan.environment, days,
                                                   quantity=plan.quantity))
    results = []
    for env, days in days_by_env.items():
        status = SourceStatus.PARTIAL if missing else SourceStatus.OK
        reason = f"no price for {', '.join(missing)} in the price table" if missing else f"{len(plans)} plan fee(s)"
        results.append(SourceResult("plans", env, status, reason, tuple(days), tuple(by_env.get(env, ()))))
    return results


def collect_external(cc: CollectContext) -> list[SourceResult]:
    lines = cc.settings.external
    if not lines:
        return [not_configured("external", "shared", "No external services are entered (MLS, email, SMS, phone)")]
    envs = sorted({e.environment for e in lines})
    results = []
    for env in envs:
        days = cc.days_to_fill(env, "external")
        rows: list[CostRow] = []
        for line in (e for e in lines if e.environment == env):
            rows.extend(fixed_amount_rows("external", line.name, line.category, env, line.monthly, days,
                                          cc.table.currency, "entered by hand"))
        results.append(SourceResult("external", env, SourceStatus.OK, f"{len(rows) // max(1, len(days))} line(s)",
                                    tuple(days), tuple(rows)))
    return results

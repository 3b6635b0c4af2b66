"""Vercel: the team's billing charges (``GET /v1/billing/charges``, FOCUS v1.3 rows as JSON lines) where
the token's role may read them; otherwise the plan's fee from the settings as a fixed line, with the
reason usage is missing. Team-wide, so its rows belong to the workspace ("shared")."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from services.core.errors import ConnectionFailure, FailureKind
from services.core.workspace import Environment, EnvironmentKind
from services.costs.metering import fixed_rows
from services.costs.model import SHARED_ENV, ZERO, Category, CostRow, RowSource, cents
from services.costs.sources.base import (
    CollectContext,
    SourceResult,
    SourceStatus,
    failure_result,
    not_configured,
)
from services.providers.factory import client_from


def _pick(cc: CollectContext) -> list[Environment]:
    envs = [e for e in cc.environments if e.providers.vercel_team_id]
    return sorted(envs, key=lambda e: e.kind is not EnvironmentKind.PRODUCTION)


def _number(value: Any, name: str, line: int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"line {line}: {name} is not a number")
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValueError(f"line {line}: {name} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"line {line}: {name} is not finite")
    return result


def parse_focus(text: str, month_start: date, end: date, currency: str) -> list[CostRow]:
    """FOCUS lines -> daily rows per service (BilledCost summed; cents by cumulative rounding per service,
    so the month adds up). Lines outside [month_start, end) are ignored; a malformed line raises
    ValueError naming its line number."""
    exact: dict[tuple[str, date], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    units: dict[str, str] = {}
    purchases: set[str] = set()  # services charged as a purchase (a plan, seats): counted once, in full
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError:
            raise ValueError(f"line {n} is not JSON") from None
        if not isinstance(item, dict):
            raise ValueError(f"line {n} is not an object")
        if str(item.get("BillingCurrency", currency)) != currency:
            raise ValueError(f"line {n}: currency {item.get('BillingCurrency')!r}, the report is in {currency}")
        try:
            day = datetime.fromisoformat(str(item["ChargePeriodStart"]).replace("Z", "+00:00")).date()
            service = str(item["ServiceName"])
        except (KeyError, ValueError):
            raise ValueError(f"line {n}: ChargePeriodStart or ServiceName missing or malformed") from None
        if not month_start <= day < end:
            continue
        acc = exact[(service, day)]
        acc[0] += _number(item.get("BilledCost"), "BilledCost", n)
        acc[1] += _number(item.get("PricingQuantity", 0), "PricingQuantity", n)
        units.setdefault(service, str(item.get("PricingUnit", "")))
        if str(item.get("ChargeCategory", "")) == "Purchase":
            purchases.add(service)
    rows: list[CostRow] = []
    for service in sorted({s for s, _ in exact}):
        running, shown = ZERO, ZERO
        days = sorted(d for s, d in exact if s == service)
        month_total = cents(sum((exact[(service, d)][0] for d in days), ZERO))
        for day in days:
            cost, qty = exact[(service, day)]
            running += cost
            day_cents = cents(running) - shown
            shown += day_cents
            if service in purchases:
                qty, unit = month_total, f"{currency}/month"
            else:
                unit = units[service]
            rows.append(CostRow(day, SHARED_ENV, "vercel", service, Category.HOSTING, qty, unit, day_cents,
                                currency, RowSource.API, "Vercel billing charges (FOCUS)"))
    return rows


async def collect_vercel(cc: CollectContext) -> SourceResult:
    envs = _pick(cc)
    if not envs:
        return not_configured("vercel", SHARED_ENV, "No environment has a Vercel team id")
    env = envs[0]
    client = await client_from(cc.credentials, env, "vercel", **cc.client_overrides)
    if client is None:
        return not_configured("vercel", SHARED_ENV, f"No Vercel token is stored for '{env.name}'")
    start = cc.today.replace(day=1)
    end = cc.today + timedelta(days=1)
    try:
        async with client:
            response = await client.request(
                "GET", "/v1/billing/charges",
                params={"from": datetime.combine(start, time()).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "to": datetime.combine(end, time()).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "teamId": env.providers.vercel_team_id},
                resource="the team's billing charges")
            text = response.text
    except ConnectionFailure as exc:
        if exc.kind is FailureKind.PERMISSION:
            return _fallback(cc, f"The token's role may not read billing charges ({exc.message})")
        if exc.kind is FailureKind.NOT_FOUND:
            return _fallback(cc, "Vercel's billing charges are not available to this team (404)")
        return failure_result("vercel", SHARED_ENV, exc, "Vercel billing charges")
    try:
        rows = parse_focus(text, start, end, cc.table.currency)
    except ValueError as exc:
        return SourceResult("vercel", SHARED_ENV, SourceStatus.FAILED,
                            f"Vercel's billing charges could not be read: {exc}")
    days = tuple(start + timedelta(days=i) for i in range((end - start).days))
    return SourceResult("vercel", SHARED_ENV, SourceStatus.OK, f"{len(rows)} charge row(s) from the billing feed",
                        days, tuple(rows))


def _fallback(cc: CollectContext, reason: str) -> SourceResult:
    plans = [p for p in cc.settings.plans if p.key.startswith("vercel.")]
    if not plans:
        return SourceResult("vercel", SHARED_ENV, SourceStatus.NOT_ALLOWED,
                            reason + "; no Vercel plan is set in the cost settings, so nothing is counted")
    days = cc.days_to_fill(SHARED_ENV, "vercel")
    rows: list[CostRow] = []
    for plan in plans:
        rows.extend(fixed_rows(cc.table, plan.key, SHARED_ENV, days, quantity=plan.quantity))
    return SourceResult("vercel", SHARED_ENV, SourceStatus.NOT_ALLOWED,
                        reason + "; counting the plan fee only (usage unknown)", tuple(days), tuple(rows))

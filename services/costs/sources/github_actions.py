"""GitHub Actions: the organization's metered usage (``GET /organizations/{org}/settings/billing/usage``,
the enhanced billing platform), net of included minutes, as charged (source ``api``). Organizations not
on that platform, or tokens without the billing permission, get the reason and no rows; the plan fee is
a fixed line from the cost settings either way."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from services.core.errors import ConnectionFailure, FailureKind
from services.costs.model import SHARED_ENV, ZERO, Category, CostRow, RowSource, cents
from services.costs.sources.base import (
    CollectContext,
    SourceResult,
    SourceStatus,
    failure_result,
    not_configured,
)
from services.providers.factory import client_from


def _amount(value: Any) -> Decimal:
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValueError(f"'{str(value)[:20]}' is not an amount") from None
    if not result.is_finite():
        raise ValueError("an amount is not finite")
    return result


def parse_usage(body: Any, year: int, month: int, currency: str) -> list[CostRow]:
    """Actions lines of the month -> daily rows per SKU, cents by cumulative rounding per SKU."""
    items = body.get("usageItems") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ValueError("the answer has no usageItems")
    exact: dict[tuple[str, date], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    units: dict[str, str] = {}
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or str(item.get("product", "")).lower() != "actions":
            continue
        try:
            day = date.fromisoformat(str(item["date"])[:10])
        except (KeyError, ValueError):
            raise ValueError(f"usage item {n} has no valid date") from None
        if (day.year, day.month) != (year, month):
            continue
        sku = str(item.get("sku") or "Actions")
        acc = exact[(sku, day)]
        acc[0] += _amount(item.get("netAmount", 0))
        acc[1] += _amount(item.get("quantity", 0))
        units.setdefault(sku, str(item.get("unitType", "")))
    rows = []
    for sku in sorted({s for s, _ in exact}):
        running, shown = ZERO, ZERO
        for day in sorted(d for s, d in exact if s == sku):
            net, qty = exact[(sku, day)]
            running += net
            day_cents = cents(running) - shown
            shown += day_cents
            rows.append(CostRow(day, SHARED_ENV, "github", f"Actions {sku}", Category.HOSTING, qty, units[sku],
                                day_cents, currency, RowSource.API, "GitHub billing usage (net of included)"))
    return rows


async def collect_github_actions(cc: CollectContext) -> SourceResult:
    envs = [e for e in cc.environments if "/" in e.providers.github_repository]
    if not envs:
        return not_configured("github-actions", SHARED_ENV, "No environment names a GitHub repository")
    env = envs[0]
    org = env.providers.github_repository.split("/", 1)[0]
    client = await client_from(cc.credentials, env, "github", **cc.client_overrides)
    if client is None:
        return not_configured("github-actions", SHARED_ENV, f"No GitHub token is stored for '{env.name}'")
    try:
        async with client:
            body = await client.get_json(f"/organizations/{quote(org, safe='')}/settings/billing/usage",
                                         params={"year": cc.today.year, "month": cc.today.month},
                                         resource=f"the billing usage of '{org}'")
    except ConnectionFailure as exc:
        if exc.kind is FailureKind.NOT_FOUND:
            return SourceResult("github-actions", SHARED_ENV, SourceStatus.NOT_ALLOWED,
                                f"'{org}' is not on GitHub's enhanced billing platform, or the token may not "
                                "read its billing (404): Actions usage is not counted")
        return failure_result("github-actions", SHARED_ENV, exc, "GitHub billing usage")
    try:
        rows = parse_usage(body, cc.today.year, cc.today.month, cc.table.currency)
    except ValueError as exc:
        return SourceResult("github-actions", SHARED_ENV, SourceStatus.FAILED, f"GitHub billing usage: {exc}")
    days = tuple(cc.month_days_to_date())
    return SourceResult("github-actions", SHARED_ENV, SourceStatus.OK, f"{len(rows)} Actions usage row(s)", days,
                        tuple(rows))

"""What the Costs screen and ``realtor-ops costs`` ask for, in one place: the month's report from the
local store, the recommendations of the environments, the price table and the sources' last outcome.
Blocking work (SQLite, files) runs in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.core.errors import ConfigError
from services.costs.collect import last_collect, open_store
from services.costs.model import parse_month
from services.costs.prices import PriceTable, load_table
from services.costs.recommendations import Recommendation, Recommendations, RuleCheck, recommend
from services.costs.report import CostReport, report_from_store
from services.costs.settings import CostSettings, load_settings

if TYPE_CHECKING:
    from services.core.app_context import AppContext


def _may_change(ctx: AppContext, what: str) -> None:
    """The viewer profile changes nothing, the console's own cost settings included."""
    from services.core.errors import ViewerRefusedError
    from services.core.guard import can_change

    if not can_change(ctx.workspace):
        raise ViewerRefusedError(f"This workspace's profile is 'viewer', so {what} cannot be changed",
                                 hint="Ask an admin, or switch the workspace profile to admin")


def month_arg(text: str | None, today: date) -> tuple[int, int]:
    if not text:
        return today.year, today.month
    try:
        return parse_month(text)
    except ValueError as exc:
        raise ConfigError(f"--month {exc}", hint="Give the month as YYYY-MM, e.g. 2026-11") from None


def settings_for(ctx: AppContext) -> CostSettings:
    return load_settings(Path(ctx.paths.data), sandbox=bool(ctx.workspace.sandbox))


async def load_report(ctx: AppContext, *, month: tuple[int, int] | None = None, env: str | None = None,
                      today: date | None = None) -> CostReport:
    today = today or datetime.now(UTC).date()
    if env is not None:
        ctx.environment(env)  # an unknown name is a ConfigError naming the known ones
    year, mon = month or (today.year, today.month)
    data = Path(ctx.paths.data)

    def build() -> CostReport:
        table = load_table(data)
        settings = settings_for(ctx)
        with open_store(data) as store:
            return report_from_store(store, year, mon, today, settings, environment=env, currency=table.currency)

    return await asyncio.to_thread(build)


@dataclass(frozen=True)
class ReportWithRecommendations:
    """A month's report and the recommendations shown under it: what ``costs report --json`` prints."""

    report: CostReport
    recommendations: Recommendations

    def to_json(self) -> dict[str, Any]:
        data = self.report.to_json()
        data["recommendations"] = [r.to_json() for r in self.recommendations.items]
        data["recommendation_checks"] = [c.to_json() for c in self.recommendations.checks]
        return data


async def load_recommendations(ctx: AppContext, env_names: Sequence[str] | None = None, *,
                               now: datetime | None = None) -> Recommendations:
    names = list(env_names) if env_names else list(ctx.workspace.environments)
    envs = [ctx.environment(n) for n in names]
    table = await asyncio.to_thread(load_table, Path(ctx.paths.data))
    found = await asyncio.gather(*(recommend(ctx, env, table, now=now) for env in envs), return_exceptions=True)
    items: list[Recommendation] = []
    checks: list[RuleCheck] = []
    for env, result in zip(envs, found, strict=True):
        if isinstance(result, BaseException):
            checks.append(RuleCheck("all", env.name, "skipped", f"the recommendations could not be worked out "
                                    f"({getattr(result, 'message', type(result).__name__)})"))
            continue
        items += result.items
        checks += result.checks
    items.sort(key=lambda r: r.monthly_saving, reverse=True)
    return Recommendations(tuple(items), tuple(checks))


@dataclass(frozen=True)
class SourceLine:
    collector: str
    environment: str
    status: str
    reason: str


async def source_statuses(ctx: AppContext) -> tuple[str | None, list[SourceLine]]:
    """(when the last collect ran, each source's outcome then)."""
    def read() -> dict[str, Any] | None:
        with open_store(Path(ctx.paths.data)) as store:
            return last_collect(store)

    data = await asyncio.to_thread(read)
    if not data:
        return None, []
    return str(data.get("at", "")), [SourceLine(str(s.get("collector", "")), str(s.get("environment", "")),
                                                str(s.get("status", "")), str(s.get("reason", "")))
                                     for s in data.get("sources", [])]


async def price_table(ctx: AppContext) -> PriceTable:
    return await asyncio.to_thread(load_table, Path(ctx.paths.data))


async def change_price(ctx: AppContext, key: str, price_text: str, effective_from: date, source_url: str,
                       read_on: date, third_party: bool, *, today: date | None = None) -> PriceTable:
    """A new version of the table with one price changed from ``effective_from`` on (never in a past
    month); written to the data folder and recorded in the audit log."""
    from dataclasses import replace
    from decimal import Decimal, InvalidOperation

    from services.costs.prices import save_table

    _may_change(ctx, "the price table")
    today = today or datetime.now(UTC).date()
    data = Path(ctx.paths.data)
    table = await asyncio.to_thread(load_table, data)
    current = [p for p in table.prices if p.key == key]
    if not current:
        raise ConfigError(f"The price table has no entry '{key}'")
    try:
        amount = Decimal(price_text.strip())
    except InvalidOperation:
        raise ConfigError(f"The price '{price_text.strip()[:40]}' is not a number",
                          hint="Write it like 0.015") from None
    if not amount.is_finite():
        raise ConfigError("The price must be a finite number")
    base = max(current, key=lambda p: p.effective_from)
    new = replace(base, price=amount, effective_from=effective_from, source_url=source_url.strip(),
                  read_on=read_on, third_party=third_party)
    updated = table.with_price(new, today=today)
    await asyncio.to_thread(save_table, updated, data)
    ctx.audit.record(environment="", action="costs.price_change", outcome="done", target=key,
                     details={"price": str(amount), "effective_from": effective_from.isoformat(),
                              "version": updated.version})
    return updated


async def change_budget(ctx: AppContext, budget_text: str) -> CostSettings:
    """Set the workspace's monthly budget ("" removes it); recorded in the audit log."""
    from dataclasses import replace
    from decimal import Decimal, InvalidOperation

    from services.costs.settings import save_settings

    _may_change(ctx, "the budget")
    text = budget_text.strip().lstrip("$")
    budget: Decimal | None = None
    if text:
        try:
            budget = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ConfigError(f"The budget '{text[:40]}' is not an amount", hint="Write it like 650.00") from None
        if not budget.is_finite() or budget <= 0:
            raise ConfigError("The budget must be more than zero")
        budget = budget.quantize(Decimal("0.01"))
    settings = await asyncio.to_thread(settings_for, ctx)
    updated = replace(settings, budget=budget)
    await asyncio.to_thread(save_settings, updated, Path(ctx.paths.data))
    ctx.audit.record(environment="", action="costs.budget", outcome="done",
                     details={"budget": None if budget is None else str(budget)})
    return updated


async def collected_today(ctx: AppContext, today: date | None = None) -> bool:
    when, _ = await source_statuses(ctx)
    today = today or datetime.now(UTC).date()
    return bool(when) and str(when)[:10] == today.isoformat()


async def set_external_line(ctx: AppContext, name: str, monthly_text: str, environment: str = "") -> CostSettings:
    """Add or change an external service's monthly amount (MLS, email, SMS, phone); "" as the amount
    removes it. Applies from the next collected day on; recorded in the audit log."""
    from dataclasses import replace
    from decimal import Decimal, InvalidOperation

    from services.costs.model import SHARED_ENV
    from services.costs.settings import ExternalLine, save_settings

    _may_change(ctx, "the external services")
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ConfigError("An external service needs a name (up to 80 characters)")
    env = environment.strip() or SHARED_ENV
    if env != SHARED_ENV:
        ctx.environment(env)
    settings = await asyncio.to_thread(settings_for, ctx)
    kept = tuple(e for e in settings.external if not (e.name == name and e.environment == env))
    text = monthly_text.strip().lstrip("$").replace(",", "")
    if text:
        try:
            monthly = Decimal(text)
        except InvalidOperation:
            raise ConfigError(f"The monthly amount '{text[:40]}' is not an amount", hint="Write it like 150.00") from None
        if not monthly.is_finite() or monthly < 0:
            raise ConfigError("The monthly amount must be zero or more")
        kept += (ExternalLine(name, monthly.quantize(Decimal("0.01")), env),)
    updated = replace(settings, external=kept)
    await asyncio.to_thread(save_settings, updated, Path(ctx.paths.data))
    ctx.audit.record(environment="" if env == SHARED_ENV else env, action="costs.external_line", outcome="done",
                     target=name, details={"monthly": text or None})
    return updated

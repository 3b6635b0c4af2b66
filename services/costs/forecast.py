"""Forecast, budget and anomalies over daily rows.

* Fixed lines count in full: their rows carry the monthly amount as quantity (unit ``USD/month``).
* Metered lines (api, priced) run at the median daily cost of the month so far x the days left; the
  band is the lower and upper quartile of the same daily costs x the days left.
* Forecasts are made per line (environment, provider, service) and summed, so providers, categories and
  the total add up.
* Days until the budget is exceeded: at the current daily rate (metered medians + fixed fees per day).
* Anomaly: a day costing more than ``threshold_pct`` over the mean of the trailing ``lookback_days`` and
  at least ``minimum`` more.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from services.costs.model import ZERO, CostRow, RowSource, cents, days_in_month
from services.costs.settings import AnomalyRule

LineKey = tuple[str, str, str, str]  # env, provider, service, category


@dataclass(frozen=True)
class LineForecast:
    key: LineKey
    mtd: Decimal
    forecast: Decimal
    low: Decimal
    high: Decimal
    daily_rate: Decimal  # what one more day costs at the current rate
    fixed: bool


def _quartiles(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    ordered = sorted(values)
    med = Decimal(statistics.median(ordered))
    if len(ordered) < 2:
        return med, med, med
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Decimal(q1), med, Decimal(q3)


def forecast_lines(rows: Iterable[CostRow], year: int, month: int, as_of: date) -> list[LineForecast]:
    """Per line; ``as_of`` is the last day counted as past (the month's last day for a past month)."""
    n_days = days_in_month(year, month)
    last = date(year, month, n_days)
    cutoff = min(as_of, last)
    days_left = max(0, (last - cutoff).days) if cutoff >= date(year, month, 1) else n_days
    by_line: dict[LineKey, list[CostRow]] = defaultdict(list)
    for r in rows:
        if r.date.year == year and r.date.month == month:
            by_line[(r.environment, r.provider, r.service, r.category.value)].append(r)
    out = []
    for key, items in sorted(by_line.items()):
        mtd = sum((r.cost for r in items), ZERO)
        # Fixed: plan fees spread daily, and one-off charges a provider reported for the month (a
        # purchase): their rows carry the month's full amount as quantity in "<currency>/month".
        fixed = all(r.source is RowSource.FIXED or r.unit.endswith("/month") for r in items)
        if fixed:
            latest = max(items, key=lambda r: r.date)
            full = cents(latest.quantity)
            total = max(full, mtd)
            rate = cents(full / n_days)
            out.append(LineForecast(key, mtd, total, total, total, rate, True))
            continue
        daily: dict[date, Decimal] = defaultdict(lambda: ZERO)
        for r in items:
            daily[r.date] += r.cost
        q1, med, q3 = _quartiles(list(daily.values()))
        out.append(LineForecast(key, mtd, cents(mtd + med * days_left), cents(mtd + q1 * days_left),
                                cents(mtd + q3 * days_left), cents(med), False))
    return out


@dataclass(frozen=True)
class BudgetState:
    scope: str  # "workspace" or a provider
    limit: Decimal
    mtd: Decimal
    forecast: Decimal
    state: str  # ok, at_risk (forecast over), exceeded (spent over)
    days_until_exceeded: int | None  # None: the current rate never reaches it
    exceeds_on: date | None

    def to_json(self) -> dict[str, object]:
        return {"scope": self.scope, "limit": str(self.limit), "mtd": str(self.mtd), "forecast": str(self.forecast),
                "state": self.state, "days_until_exceeded": self.days_until_exceeded,
                "exceeds_on": None if self.exceeds_on is None else self.exceeds_on.isoformat()}


def budget_state(scope: str, limit: Decimal, lines: Sequence[LineForecast], as_of: date) -> BudgetState:
    mtd = sum((line.mtd for line in lines), ZERO)
    forecast = sum((line.forecast for line in lines), ZERO)
    rate = sum((line.daily_rate for line in lines), ZERO)
    if mtd > limit:
        return BudgetState(scope, limit, mtd, forecast, "exceeded", 0, as_of)
    days: int | None = None
    on: date | None = None
    if rate > 0:
        # The first day whose spending takes the total past the limit.
        days = int(((limit - mtd) / rate).to_integral_value(rounding=ROUND_CEILING))
        if (limit - mtd) % rate == 0:
            days += 1
        on = as_of + timedelta(days=days)
    state = "at_risk" if forecast > limit else "ok"
    return BudgetState(scope, limit, mtd, forecast, state, days, on)


@dataclass(frozen=True)
class Anomaly:
    day: date
    provider: str
    cost: Decimal
    trailing_mean: Decimal
    excess_pct: Decimal

    def text(self) -> str:
        return (f"{self.provider} cost {self.cost} on {self.day.isoformat()}, {self.excess_pct:.0f}% over the "
                f"trailing mean of {self.trailing_mean}")


def anomalies(rows: Iterable[CostRow], rule: AnomalyRule, start: date, end: date) -> list[Anomaly]:
    """Per provider, days in ``[start, end)`` that break the rule (trailing days may precede ``start``).

    A metered line still inside a free tier in the window (a day with usage and no cost) is left out of
    that day's comparison: running out of the free tier is not an anomaly."""
    lines: dict[str, dict[tuple[str, str], dict[date, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    free_days: dict[tuple[str, str, str], set[date]] = defaultdict(set)
    for r in rows:
        if r.source is RowSource.FIXED or r.unit.endswith("/month"):
            continue
        per_day = lines[r.provider][(r.environment, r.service)]
        per_day[r.date] = per_day.get(r.date, ZERO) + r.cost
        if r.cost == 0 and r.quantity > 0:
            free_days[(r.provider, r.environment, r.service)].add(r.date)
    found = []
    for provider, by_line in sorted(lines.items()):
        days = sorted({d for per_day in by_line.values() for d in per_day if start <= d < end})
        for day in days:
            window = {day - timedelta(days=k) for k in range(rule.lookback_days + 1)}
            eligible = [per_day for (env, service), per_day in by_line.items()
                        if not (free_days[(provider, env, service)] & window)]
            by_day: dict[date, Decimal] = defaultdict(lambda: ZERO)
            for per_day in eligible:
                for d in window:
                    if d in per_day:
                        by_day[d] += per_day[d]
            if day not in by_day:
                continue
            trailing = [by_day[day - timedelta(days=k)] for k in range(1, rule.lookback_days + 1)
                        if (day - timedelta(days=k)) in by_day]
            if len(trailing) < max(2, rule.lookback_days // 2):
                continue
            mean = sum(trailing, ZERO) / len(trailing)
            cost = by_day[day]
            if cost - mean < rule.minimum:
                continue
            if mean == 0 or cost > mean * (1 + rule.threshold_pct / 100):
                pct = Decimal(100) if mean == 0 else (cost - mean) / mean * 100
                found.append(Anomaly(day, provider, cost, cents(mean), pct))
    return found

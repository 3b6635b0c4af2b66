"""The month's cost report: month-to-date and forecast per provider and per the seed's categories,
totals, budget state, anomalies, the daily and month-by-month series, and the CSV of its daily rows.

Totals add up to the cent by construction: every row is whole cents, the MTD figures are sums of rows and
the forecasts sums of per-line forecasts.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.costs.forecast import (
    Anomaly,
    BudgetState,
    LineForecast,
    anomalies,
    budget_state,
    forecast_lines,
)
from services.costs.model import CSV_HEADER, SHARED_ENV, ZERO, Category, CostRow, days_in_month
from services.costs.settings import CostSettings
from services.costs.store import CostStore


@dataclass(frozen=True)
class Figure:
    """One figure of the report (a provider, a category): MTD and forecast with its band."""

    name: str
    mtd: Decimal
    forecast: Decimal
    low: Decimal
    high: Decimal
    source: str = ""  # for providers: api, priced, fixed or a mix joined by "+"

    def to_json(self, label: str) -> dict[str, Any]:
        data: dict[str, Any] = {label: self.name, "mtd": str(self.mtd), "forecast": str(self.forecast),
                                "forecast_low": str(self.low), "forecast_high": str(self.high)}
        if label == "provider":
            data["source"] = self.source
        return data


@dataclass(frozen=True)
class CostReport:
    month: str
    environment: str | None
    currency: str
    as_of: date
    rows: tuple[CostRow, ...]
    providers: tuple[Figure, ...]
    categories: tuple[Figure, ...]
    total_mtd: Decimal
    total_forecast: Decimal
    total_low: Decimal
    total_high: Decimal
    budget: BudgetState | None
    provider_budgets: tuple[BudgetState, ...]
    anomalies: tuple[Anomaly, ...]
    daily: tuple[tuple[date, dict[str, Decimal]], ...]  # every day of the month: provider -> cost
    monthly: tuple[tuple[str, Decimal], ...]  # month -> total, from the store
    lines: tuple[LineForecast, ...] = field(default=())

    def rows_for(self, *, provider: str | None = None, category: str | None = None,
                 day: date | None = None) -> list[CostRow]:
        """The rows behind a figure (a provider, a category, a day, or a combination)."""
        return [r for r in self.rows if (provider is None or r.provider == provider)
                and (category is None or r.category.value == category) and (day is None or r.date == day)]

    def to_json(self) -> dict[str, Any]:
        budget: dict[str, Any] | None = None
        if self.budget is not None:
            budget = self.budget.to_json()
            budget["providers"] = [b.to_json() for b in self.provider_budgets]
        elif self.provider_budgets:
            budget = {"scope": "providers", "providers": [b.to_json() for b in self.provider_budgets]}
        return {
            "month": self.month, "environment": self.environment, "currency": self.currency,
            "as_of": self.as_of.isoformat(),
            "providers": [p.to_json("provider") for p in self.providers],
            "categories": [c.to_json("category") for c in self.categories],
            "total_mtd": str(self.total_mtd), "total_forecast": str(self.total_forecast),
            "total_forecast_low": str(self.total_low), "total_forecast_high": str(self.total_high),
            "budget": budget,
            "anomalies": [{"date": a.day.isoformat(), "provider": a.provider, "cost": str(a.cost),
                           "trailing_mean": str(a.trailing_mean), "text": a.text()} for a in self.anomalies],
        }

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for r in self.rows:
            writer.writerow(r.csv_fields())
        return out.getvalue()

    def write_csv(self, path: Path) -> None:
        Path(path).write_text(self.csv_text(), encoding="utf-8", newline="")


def _figures(lines: Sequence[LineForecast], index: int, rows: Sequence[CostRow], label: str,
             names: Sequence[str] = ()) -> tuple[Figure, ...]:
    acc: dict[str, list[Decimal]] = {n: [ZERO, ZERO, ZERO, ZERO] for n in names}
    for line in lines:
        a = acc.setdefault(line.key[index], [ZERO, ZERO, ZERO, ZERO])
        a[0] += line.mtd
        a[1] += line.forecast
        a[2] += line.low
        a[3] += line.high
    sources: dict[str, set[str]] = defaultdict(set)
    if label == "provider":
        for r in rows:
            sources[r.provider].add(r.source.value)
    order = list(names) or sorted(acc, key=lambda n: (-acc[n][1], n))
    return tuple(Figure(n, acc[n][0], acc[n][1], acc[n][2], acc[n][3], "+".join(sorted(sources[n])))
                 for n in order)


def build_report(rows: Sequence[CostRow], year: int, month: int, as_of: date, settings: CostSettings, *,
                 environment: str | None = None, currency: str = "USD",
                 monthly: Sequence[tuple[str, Decimal]] = (), trailing: Sequence[CostRow] = ()) -> CostReport:
    """``rows``: the month's rows (already filtered to ``environment``); ``trailing``: the days before the
    month, for the anomaly rule's lookback."""
    start = date(year, month, 1)
    end = start + timedelta(days=days_in_month(year, month))
    month_rows = tuple(sorted((r for r in rows if start <= r.date < end),
                              key=lambda r: (r.date, r.environment, r.provider, r.service)))
    lines = forecast_lines(month_rows, year, month, as_of)
    providers = _figures(lines, 1, month_rows, "provider")
    categories = _figures(lines, 3, month_rows, "category", [c.value for c in Category])
    total = [sum((line.mtd for line in lines), ZERO), sum((line.forecast for line in lines), ZERO),
             sum((line.low for line in lines), ZERO), sum((line.high for line in lines), ZERO)]
    cutoff = min(as_of, end - timedelta(days=1))
    budget = budget_state("workspace", settings.budget, lines, cutoff) if settings.budget is not None else None
    provider_budgets = tuple(budget_state(p, limit, [line for line in lines if line.key[1] == p], cutoff)
                             for p, limit in sorted(settings.provider_budgets.items()))
    daily_map: dict[date, dict[str, Decimal]] = {start + timedelta(days=i): {} for i in range((end - start).days)}
    for r in month_rows:
        daily_map[r.date][r.provider] = daily_map[r.date].get(r.provider, ZERO) + r.cost
    found = anomalies(list(trailing) + list(month_rows), settings.anomaly, start, end)
    return CostReport(f"{year:04d}-{month:02d}", environment, currency, as_of, month_rows, providers, categories,
                      total[0], total[1], total[2], total[3], budget, provider_budgets, tuple(found),
                      tuple(sorted(daily_map.items())), tuple(monthly), tuple(lines))


def report_from_store(store: CostStore, year: int, month: int, as_of: date, settings: CostSettings, *,
                      environment: str | None = None, currency: str = "USD") -> CostReport:
    """The report of one month from the local store. With an environment, its own rows only; without,
    every environment's and the workspace-wide (shared) ones."""
    start = date(year, month, 1)
    end = start + timedelta(days=days_in_month(year, month))
    lookback = timedelta(days=settings.anomaly.lookback_days)
    all_rows = store.rows(start - lookback, end, environment)
    if environment == SHARED_ENV:
        environment = SHARED_ENV
    trailing = [r for r in all_rows if r.date < start]
    month_rows = [r for r in all_rows if r.date >= start]
    return build_report(month_rows, year, month, as_of, settings, environment=environment, currency=currency,
                        monthly=store.monthly_totals(environment), trailing=trailing)

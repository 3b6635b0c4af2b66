"""The one daily cost row every source produces, and the money arithmetic the report relies on.

Each row's ``cost`` is rounded to whole cents when it is made, so any sum of rows (a provider, a
category, the month, the CSV) is exact. A monthly fee is spread over the month's days by cumulative
rounding, so its days add up to the fee to the cent.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SHARED_ENV = "shared"  # rows of the workspace as a whole (plan fees, external services)


class Category(enum.StrEnum):
    """The seed's cost categories (CostMonitor.generateCostReport)."""

    HOSTING = "hosting"
    DATABASE = "database"
    STORAGE = "storage"
    MONITORING = "monitoring"
    EXTERNAL = "external"


class RowSource(enum.StrEnum):
    API = "api"  # the provider reported the charge
    PRICED = "priced"  # measured usage x the price table
    FIXED = "fixed"  # a plan's flat fee spread over the month


def cents(value: Decimal | int | str | float) -> Decimal:
    """Round to whole cents, half up (floats go through their shortest repr, never their binary value)."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` -> (year, month); ValueError with the reason otherwise."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise ValueError(f"'{text}' is not a month in the form YYYY-MM")
    year, month = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise ValueError(f"'{text}' has no month {month}")
    return year, month


def spread_fee(monthly: Decimal, day: date) -> Decimal:
    """The share of a monthly fee that falls on ``day``: cumulative rounding, so the days sum to the fee."""
    n = days_in_month(day.year, day.month)
    total = Decimal(monthly)

    def upto(d: int) -> Decimal:
        return (total * d / n).quantize(CENT, rounding=ROUND_FLOOR)

    return upto(day.day) - upto(day.day - 1)


@dataclass(frozen=True)
class CostRow:
    date: date
    environment: str
    provider: str
    service: str
    category: Category
    quantity: Decimal
    unit: str
    cost: Decimal  # whole cents
    currency: str
    source: RowSource
    note: str = ""  # where the figure came from, in a few words (shown behind a figure)

    def __post_init__(self) -> None:
        if self.cost != self.cost.quantize(CENT):
            raise ValueError(f"cost of {self.provider}/{self.service} on {self.date} is not whole cents: {self.cost}")

    def csv_fields(self) -> list[str]:
        return [self.date.isoformat(), self.environment, self.provider, self.service, self.category.value,
                _plain(self.quantity), self.unit, f"{self.cost:.2f}", self.currency, self.source.value]


CSV_HEADER = ["date", "environment", "provider", "service", "category", "quantity", "unit", "cost", "currency",
              "source"]


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"

"""Pricing measured usage into daily rows: free tier deducted first, usage rounded up to the billing
unit where the provider bills so, each day's increment priced at that day's price.

The month's billable quantity so far is computed from the cumulative usage of each day; a day's cost is
the increment of the rounded cumulative cost, so the days of a month add up to its bill to the cent, and
a price change mid-month prices only the usage from its date on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from services.costs.model import ZERO, CostRow, RowSource, cents, spread_fee
from services.costs.prices import Price, PriceTable


@dataclass(frozen=True)
class Usage:
    day: date
    quantity: Decimal  # in the price's unit (GB-month for storage: the day's share)


RESIDUE = Decimal("1e-12")


def billable(cumulative: Decimal, included: Decimal, round_to: Decimal | None) -> Decimal:
    """Billable units for a cumulative quantity: rounded up to ``round_to`` first, the free tier deducted."""
    q = cumulative
    if round_to is not None and round_to > 0:
        # A daily share (a peak / the month's days) is a repeating decimal: 30 shares of 200/30 add up to
        # 200.0…01, which must not bill a 201st unit. Twelve places keep any real excess (one byte over a
        # GB-month is 3e-11) and drop only that residue.
        q = ((q / round_to).quantize(RESIDUE).to_integral_value(rounding=ROUND_CEILING)) * round_to
    return max(ZERO, q - included)


def price_usage(table: PriceTable, key: str, env: str, usage: Sequence[Usage], *,
                round_to: Decimal | None = None, unit: str | None = None, note: str = "",
                stored_before: Callable[[date], Decimal] | None = None,
                deduct_included: bool = True) -> list[CostRow]:
    """Daily rows for ``usage`` (days of one month). ``stored_before(day)``: the month's usage already
    stored for days before ``day`` that are not in ``usage`` (so the free tier is deducted once).
    ``deduct_included=False``: the caller has already taken the included part off each day's quantity
    (an included size, like Supabase's 8 GB of disk, rather than a monthly volume)."""
    rows: list[CostRow] = []
    if not usage:
        return rows
    days = sorted(usage, key=lambda u: u.day)
    if len({(u.day.year, u.day.month) for u in days}) != 1:
        raise ValueError("price_usage takes one month of usage at a time")
    batch = ZERO
    exact = ZERO
    shown = ZERO
    for u in days:
        p: Price = table.price(key, u.day)
        before = (stored_before(u.day) if stored_before else ZERO) + batch
        batch += u.quantity
        included = p.included if deduct_included else ZERO
        increment = billable(before + u.quantity, included, round_to) - billable(before, included, round_to)
        exact += increment * p.price
        day_cents = cents(exact) - shown
        shown += day_cents
        rows.append(CostRow(u.day, env, p.provider, p.service, p.category, u.quantity, unit or p.unit, day_cents,
                            table.currency, RowSource.PRICED, note or p.note))
    return rows


def fixed_rows(table: PriceTable, key: str, env: str, days: Sequence[date], *, quantity: Decimal = Decimal(1),
               service: str | None = None, note: str = "") -> list[CostRow]:
    """A plan fee (price x quantity per month) spread over each of ``days``. The row's quantity is the
    full monthly amount and its unit ``<currency>/month``, so a forecast can count the fee in full."""
    rows = []
    for day in days:
        p = table.price(key, day)
        monthly = cents(p.price * quantity)
        rows.append(CostRow(day, env, p.provider, service or p.service, p.category, monthly,
                            f"{table.currency}/month", spread_fee(monthly, day), table.currency, RowSource.FIXED,
                            note or (f"{quantity} x {p.unit} at {p.price}" if quantity != 1 else p.note)))
    return rows


def fixed_amount_rows(provider: str, service: str, category: object, env: str, monthly: Decimal,
                      days: Sequence[date], currency: str, note: str = "") -> list[CostRow]:
    """A monthly amount that does not come from the price table (an external service, an add-on price the
    provider's API gave), spread over ``days``."""
    from services.costs.model import Category

    cat = category if isinstance(category, Category) else Category(str(category))
    monthly = cents(monthly)
    return [CostRow(day, env, provider, service, cat, monthly, f"{currency}/month", spread_fee(monthly, day),
                    currency, RowSource.FIXED, note) for day in days]

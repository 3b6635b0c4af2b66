"""Money, forecast, budget and anomaly arithmetic, checked by hand on small months."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.costs.forecast import anomalies, budget_state, forecast_lines
from services.costs.model import Category, RowSource, days_in_month, spread_fee
from services.costs.report import build_report
from services.costs.settings import AnomalyRule, CostSettings
from tests.costs.conftest import row


@pytest.mark.parametrize("fee", ["20.00", "0.01", "33.33", "1234.57", "-10.00", "99.99"])
@pytest.mark.parametrize("year, month", [(2026, 2), (2028, 2), (2026, 4), (2026, 12)])
def test_a_fee_spread_over_any_month_adds_up_to_the_fee(fee: str, year: int, month: int) -> None:
    days = [date(year, month, d) for d in range(1, days_in_month(year, month) + 1)]
    parts = [spread_fee(Decimal(fee), d) for d in days]
    assert sum(parts) == Decimal(fee)
    assert max(parts) - min(parts) <= Decimal("0.01")


def _small_month() -> list:
    """February 2026 (28 days), five days in: a metered line and a $28/month plan."""
    metered = [row(date(2026, 2, d), c) for d, c in zip(range(1, 6), ["1.00", "2.00", "3.00", "10.00", "2.00"],
                                                         strict=True)]
    fixed = [row(date(2026, 2, d), str(spread_fee(Decimal(28), date(2026, 2, d))), provider="plan", service="fee",
                 category=Category.MONITORING, source=RowSource.FIXED, quantity="28.00") for d in range(1, 6)]
    return metered + fixed


def test_forecast_by_hand_on_a_small_month() -> None:
    lines = {line.key[1]: line for line in forecast_lines(_small_month(), 2026, 2, date(2026, 2, 5))}
    # Metered: MTD 18.00; median of (1, 2, 3, 10, 2) is 2.00; 23 days left: 18 + 2 x 23 = 64.00.
    # Quartiles (inclusive) of (1, 2, 2, 3, 10): 2.00 and 3.00 -> band 64.00 .. 18 + 3 x 23 = 87.00.
    p = lines["p"]
    assert (p.mtd, p.forecast, p.low, p.high, p.daily_rate) == (
        Decimal("18.00"), Decimal("64.00"), Decimal("64.00"), Decimal("87.00"), Decimal("2.00"))
    # Fixed: 5 of 28 days of $28 is 5.00 so far; the forecast counts the fee in full.
    plan = lines["plan"]
    assert (plan.mtd, plan.forecast, plan.daily_rate) == (Decimal("5.00"), Decimal("28.00"), Decimal("1.00"))


def test_budget_days_left_by_hand() -> None:
    lines = forecast_lines(_small_month(), 2026, 2, date(2026, 2, 5))
    # Spent 23.00; 3.00 a day (2.00 metered + 1.00 fixed). After 19 more days exactly 80.00: not over yet;
    # the 20th day takes it to 83.00, on 25 February.
    state = budget_state("workspace", Decimal("80.00"), lines, date(2026, 2, 5))
    assert (state.mtd, state.forecast, state.state) == (Decimal("23.00"), Decimal("92.00"), "at_risk")
    assert (state.days_until_exceeded, state.exceeds_on) == (20, date(2026, 2, 25))
    roomy = budget_state("workspace", Decimal("100.00"), lines, date(2026, 2, 5))
    assert roomy.state == "ok" and roomy.days_until_exceeded == 26  # (100 - 23) / 3 = 25.67 -> 26th day
    over = budget_state("workspace", Decimal("20.00"), lines, date(2026, 2, 5))
    assert (over.state, over.days_until_exceeded) == ("exceeded", 0)


def test_a_past_month_forecasts_what_it_cost() -> None:
    lines = forecast_lines(_small_month(), 2026, 2, date(2026, 3, 10))
    assert {line.key[1]: line.forecast for line in lines} == {"p": Decimal("18.00"), "plan": Decimal("28.00")}


def test_anomaly_needs_the_threshold_and_the_minimum() -> None:
    start = date(2026, 3, 1)
    rows = [row(start + timedelta(days=i), "2.00") for i in range(7)]
    rows.append(row(date(2026, 3, 8), "10.00"))  # 400% over a mean of 2.00, 8.00 more: an anomaly
    rows.append(row(date(2026, 3, 9), "2.00"))
    rows += [row(start + timedelta(days=i), "0.02", provider="tiny") for i in range(7)]
    rows.append(row(date(2026, 3, 8), "0.90", provider="tiny"))  # 4400% over, but only 0.88 more: no alarm
    found = anomalies(rows, AnomalyRule(Decimal(50), 7, Decimal("2.00")), date(2026, 3, 1), date(2026, 4, 1))
    assert [(a.day, a.provider, a.cost, a.trailing_mean) for a in found] == [
        (date(2026, 3, 8), "p", Decimal("10.00"), Decimal("2.00"))]


def test_report_totals_add_up_to_the_cent() -> None:
    # Many awkward amounts across providers and categories.
    rows = []
    for d in range(1, 21):
        day = date(2026, 1, d)
        for i, cat in enumerate(Category):
            rows.append(row(day, f"{(d * 7 + i * 13) % 97 / 100 + i:.2f}", provider=f"prov{i % 3}",
                            service=f"svc{i}", category=cat))
        rows.append(row(day, str(spread_fee(Decimal("33.33"), day)), provider="prov1", service="plan",
                        source=RowSource.FIXED, quantity="33.33"))
    report = build_report(rows, 2026, 1, date(2026, 1, 20), CostSettings(budget=Decimal("500")))
    total = sum(r.cost for r in rows)
    assert report.total_mtd == total
    assert sum(p.mtd for p in report.providers) == total
    assert sum(c.mtd for c in report.categories) == total
    assert sum(p.forecast for p in report.providers) == report.total_forecast
    assert sum(c.forecast for c in report.categories) == report.total_forecast
    lines = report.csv_text().splitlines()
    assert lines[0] == "date,environment,provider,service,category,quantity,unit,cost,currency,source"
    assert sum(Decimal(line.split(",")[7]) for line in lines[1:]) == total
    assert [c.name for c in report.categories] == [c.value for c in Category]


def test_running_out_of_a_free_tier_is_not_an_anomaly() -> None:
    start = date(2026, 3, 1)
    rows = [row(start + timedelta(days=i), "0.00", provider="r2", quantity="3") for i in range(8)]
    rows += [row(start + timedelta(days=i), "4.50", provider="r2", quantity="3") for i in range(8, 20)]
    rows += [row(start + timedelta(days=i), "1.00", provider="r2", service="other") for i in range(20)]
    found = anomalies(rows, AnomalyRule(Decimal(50), 7, Decimal("2.00")), start, date(2026, 4, 1))
    assert found == []
    # A real spike on a line past its free tier still shows.
    rows.append(row(date(2026, 3, 21), "30.00", provider="r2", quantity="20"))
    rows += [row(date(2026, 3, 21), "1.00", provider="r2", service="other")]
    found = anomalies(rows, AnomalyRule(Decimal(50), 7, Decimal("2.00")), start, date(2026, 4, 1))
    assert [(a.day, a.cost) for a in found] == [(date(2026, 3, 21), Decimal("31.00"))]

"""Every source against its stand-in (validated against the provider's OpenAPI file where it has the
endpoint), the R2 billing rules, idempotent collect and totals that add up."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from sandbox.provider_standins import cloudflare, supabase, vercel
from sandbox.provider_standins.usage import SPIKE_DAYS_AGO
from services.costs.collect import collect, open_store
from services.costs.model import SHARED_ENV, days_in_month
from services.costs.prices import default_table
from services.costs.report import report_from_store
from services.costs.settings import CostSettings, sandbox_settings
from services.costs.sources.base import CollectContext, SourceStatus
from services.costs.sources.r2 import daily_usage, price_r2
from services.costs.sources.vercel import parse_focus
from services.costs.store import CostStore
from tests.costs.conftest import (
    CLIENT_OVERRIDES,
    TODAY,
    FakeContext,
    UsageStandins,
    credentials_for,
    sandbox_like_workspace,
    validate_jsonl,
)


def _collect(standins: UsageStandins, data: Path, *, secrets: dict[str, str] | None = None,
             settings: CostSettings | None = None, today: date = TODAY):  # type: ignore[no-untyped-def]
    ws = sandbox_like_workspace(standins.api_base())
    ctx = FakeContext(ws, credentials_for(ws, secrets), data)
    return asyncio.run(collect(ctx, today=today, settings=settings or sandbox_settings(),
                               client_overrides=CLIENT_OVERRIDES))


def _status(outcome, collector: str, env: str = SHARED_ENV):  # type: ignore[no-untyped-def]
    return next(r for r in outcome.results if r.collector == collector and r.environment == env)


def test_collect_fills_the_month_and_the_totals_add_up(usage_standins: UsageStandins, tmp_path: Path) -> None:
    outcome = _collect(usage_standins, tmp_path)
    assert _status(outcome, "vercel").status is SourceStatus.OK
    assert _status(outcome, "r2", "production").status is SourceStatus.OK
    # The bucket list says which buckets are Infrequent Access (the stand-in's backup buckets are).
    assert "Infrequent Access buckets at its rates" in _status(outcome, "r2", "production").reason
    assert _status(outcome, "supabase", "production").status is SourceStatus.PARTIAL  # egress named as missing
    assert "egress" in _status(outcome, "supabase", "production").reason
    assert _status(outcome, "upstash", "production").status is SourceStatus.OK
    assert _status(outcome, "s3-backups", "production").status is SourceStatus.NOT_CONFIGURED
    with open_store(tmp_path) as store:
        report = report_from_store(store, TODAY.year, TODAY.month, TODAY, sandbox_settings())
    assert {p.name for p in report.providers} >= {"vercel", "supabase", "cloudflare", "upstash", "sentry",
                                                   "betterstack", "github", "external"}
    assert report.total_mtd == sum(p.mtd for p in report.providers) == sum(c.mtd for c in report.categories)
    csv_lines = report.csv_text().splitlines()
    assert sum(Decimal(line.split(",")[7]) for line in csv_lines[1:]) == report.total_mtd
    assert {line.split(",")[0] for line in csv_lines[1:]} == {
        (TODAY.replace(day=1) + timedelta(days=i)).isoformat() for i in range(TODAY.day)}
    # The stand-ins' spike shows as an anomaly; the quiet weekend does not.
    spike = TODAY - timedelta(days=SPIKE_DAYS_AGO)
    assert {a.day for a in report.anomalies} == {spike}
    assert report.budget is not None and report.budget.state == "at_risk"
    assert report.budget.days_until_exceeded is not None and report.budget.days_until_exceeded > 0


def test_collect_is_idempotent(usage_standins: UsageStandins, tmp_path: Path) -> None:
    _collect(usage_standins, tmp_path)
    with open_store(tmp_path) as store:
        first = store.rows(TODAY.replace(day=1), TODAY + timedelta(days=1))
    _collect(usage_standins, tmp_path)
    _collect(usage_standins, tmp_path)
    with open_store(tmp_path) as store:
        again = store.rows(TODAY.replace(day=1), TODAY + timedelta(days=1))
    assert again == first


def test_the_next_day_keeps_fixed_fees_already_collected(usage_standins: UsageStandins, tmp_path: Path) -> None:
    _collect(usage_standins, tmp_path)
    cheaper = sandbox_settings()
    cheaper = CostSettings(budget=cheaper.budget, plans=(), external=cheaper.external[:1])
    _collect(usage_standins, tmp_path, settings=cheaper, today=TODAY + timedelta(days=1))
    with open_store(tmp_path) as store:
        sentry = [r for r in store.rows(TODAY.replace(day=1), TODAY + timedelta(days=2)) if r.provider == "sentry"]
    # Sentry's plan stayed on the days it was collected for and was not added for the new day.
    assert len(sentry) == TODAY.day


def test_vercel_feed_lines_match_the_focus_schema(usage_standins: UsageStandins) -> None:
    server = usage_standins.servers["vercel"]
    response = httpx.get(server.base_url + "/v1/billing/charges",
                         params={"from": "2026-11-01T00:00:00.000Z", "to": "2026-11-26T00:00:00.000Z"},
                         headers={"Authorization": f"Bearer {vercel.TOKEN}"})
    assert response.headers["content-type"] == "application/jsonl"
    assert validate_jsonl(response.text) == 25 * 4 + 2


def test_vercel_without_billing_access_counts_the_plan_fee_only(usage_standins: UsageStandins,
                                                                tmp_path: Path) -> None:
    outcome = _collect(usage_standins, tmp_path, secrets={"VERCEL_TOKEN": vercel.LIMITED_TOKEN})
    result = _status(outcome, "vercel")
    assert result.status is SourceStatus.NOT_ALLOWED
    assert "may not read billing charges" in result.reason and "plan fee only" in result.reason
    assert {r.service for r in result.rows} == {"Pro plan", "Extra seat"}
    assert all(r.source.value == "fixed" for r in result.rows)


def test_a_revoked_or_missing_token_degrades_with_the_reason(usage_standins: UsageStandins, tmp_path: Path) -> None:
    outcome = _collect(usage_standins, tmp_path, secrets={"SUPABASE_ACCESS_TOKEN": supabase.REVOKED_TOKEN,
                                                          "CLOUDFLARE_API_TOKEN": cloudflare.LIMITED_TOKEN,
                                                          "UPSTASH_API_KEY": ""})
    sb = _status(outcome, "supabase", "production")
    assert sb.status is SourceStatus.FAILED and "Supabase" in sb.reason
    assert supabase.REVOKED_TOKEN not in sb.reason
    assert _status(outcome, "r2").status is SourceStatus.NOT_ALLOWED
    up = _status(outcome, "upstash", "production")
    assert (up.status, up.reason) == (SourceStatus.NOT_CONFIGURED, "No Upstash API key is stored")


def test_supabase_prices_compute_from_the_api_and_disk_over_the_included(usage_standins: UsageStandins,
                                                                          tmp_path: Path) -> None:
    outcome = _collect(usage_standins, tmp_path)
    rows = _status(outcome, "supabase", "production").rows
    compute = [r for r in rows if r.service.startswith("Compute")]
    assert compute[0].service == "Compute Medium"
    assert compute[0].quantity == Decimal("60.01")  # $0.0822/hour x 730 hours
    disk = [r for r in rows if r.service == "Disk"]
    # 18 GB provisioned, 8 included: 10 GB x $0.125 = $1.25 a month; 25 of 30 days so far.
    assert sum(r.cost for r in disk) == Decimal("1.04")
    org = _status(outcome, "supabase-org:" + supabase.ORGANIZATION).rows
    assert {r.service: r.quantity for r in org} == {"Pro plan": Decimal("25.00"), "Compute credit": Decimal("-10.00")}


def test_upstash_daily_billing_is_taken_as_charged(usage_standins: UsageStandins, tmp_path: Path) -> None:
    outcome = _collect(usage_standins, tmp_path)
    rows = _status(outcome, "upstash", "production").rows
    assert all(r.source.value == "api" for r in rows)
    assert len(rows) == TODAY.day
    assert _status(outcome, "upstash", "staging").reason == "free database: no charge"


def test_focus_lines_that_are_malformed_are_named() -> None:
    good = ('{"ChargePeriodStart":"2026-11-02T00:00:00Z","ServiceName":"X","BilledCost":0.333,"PricingQuantity":1,'
            '"BillingCurrency":"USD"}')
    rows = parse_focus("\n".join([good] * 3), date(2026, 11, 1), date(2026, 12, 1), "USD")
    assert [r.cost for r in rows] == [Decimal("1.00")]  # 0.999 summed before rounding
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        parse_focus(good + "\n{oops\n", date(2026, 11, 1), date(2026, 12, 1), "USD")
    with pytest.raises(ValueError, match="line 1: BilledCost is not a number"):
        parse_focus(good.replace("0.333", '"lots"'), date(2026, 11, 1), date(2026, 12, 1), "USD")
    with pytest.raises(ValueError, match="currency 'EUR'"):
        parse_focus(good.replace('"USD"', '"EUR"'), date(2026, 11, 1), date(2026, 12, 1), "USD")


# --- R2 billing rules -----------------------------------------------------------------------------
def _graphql(storage: dict[tuple[str, str], int], ops: dict[tuple[str, str, str], int]) -> dict:
    return {"data": {"viewer": {"accounts": [{
        "r2StorageAdaptiveGroups": [{"dimensions": {"date": d, "bucketName": b},
                                     "max": {"payloadSize": size, "metadataSize": 0}} for (d, b), size in
                                    storage.items()],
        "r2OperationsAdaptiveGroups": [{"dimensions": {"date": d, "bucketName": b, "actionType": a},
                                        "sum": {"requests": n}} for (d, b, a), n in ops.items()]}]}}}


def _context(tmp_path: Path, today: date) -> CollectContext:
    return CollectContext(None, default_table(), CostSettings(), CostStore(tmp_path / "c.sqlite3"), today)


def test_r2_rounds_up_and_deducts_the_free_tier_once_for_the_account(tmp_path: Path) -> None:
    day = date(2026, 11, 2)
    owners = {"prod-files": "production", "stage-files": "staging"}
    data = _graphql({("2026-11-02", "prod-files"): 200 * 10**9, ("2026-11-02", "stage-files"): 100 * 10**9},
                    {("2026-11-02", "prod-files", "PutObject"): 700_001,
                     ("2026-11-02", "stage-files", "PutObject"): 300_000,  # 1,000,001 class A: 2 M, 1 M free
                     ("2026-11-02", "prod-files", "GetObject"): 10_000_000,  # exactly the free class B
                     ("2026-11-02", "prod-files", "DeleteObject"): 5_000_000,  # free
                     ("2026-11-02", "prod-files", "SomethingNew"): 9_000_000})  # unknown: not billed
    usage = daily_usage(data, owners)
    cc = _context(tmp_path, day)
    by_env = price_r2(cc, usage, [day])
    cost = {(r.environment, r.service): r.cost for rows in by_env.values() for r in rows}
    # Storage: 300 GB on one day of 30 is 10 GB-month: within the free 10.
    assert cost[("production", "R2 storage")] + cost[("staging", "R2 storage")] == Decimal("0.00")
    assert cost[("production", "R2 Class A operations")] + cost[("staging", "R2 Class A operations")] == \
        Decimal("4.50")
    assert cost[("production", "R2 Class A operations")] == Decimal("3.15")  # 70% of the account's usage
    assert cost[("production", "R2 Class B operations")] == Decimal("0.00")


def test_r2_storage_is_the_daily_peak_averaged_over_the_month(tmp_path: Path) -> None:
    # 330 GB peak every day of November: 330 GB-month; 320 billable x $0.015 = $4.80 for the month.
    days = [date(2026, 11, d) for d in range(1, 31)]
    data = _graphql({(d.isoformat(), "b"): 330 * 10**9 for d in days}, {})
    cc = _context(tmp_path, days[-1])
    rows = price_r2(cc, daily_usage(data, {"b": "production"}), days)["production"]
    storage = [r for r in rows if r.service == "R2 storage"]
    assert sum(r.cost for r in storage) == Decimal("4.80")
    assert sum(r.quantity for r in storage) == Decimal(330)
    # A 10.1 GB-month month is billed as 11: 1 GB-month over the free tier.
    data = _graphql({(d.isoformat(), "b"): 10_100_000_000 for d in days}, {})
    cc = _context(tmp_path / "x", days[-1])
    rows = price_r2(cc, daily_usage(data, {"b": "production"}), days)["production"]
    assert sum(r.cost for r in rows if r.service == "R2 storage") == Decimal("0.02")  # 0.015 rounded


def test_r2_infrequent_access_buckets_at_their_rates_without_a_free_tier(tmp_path: Path) -> None:
    """A backup bucket of the Infrequent Access class: $0.01 per GB-month, $9.00 and $0.90 per million
    class A and B operations, no free tier; the Standard bucket beside it keeps Standard's free tier."""
    days = [date(2026, 11, d) for d in range(1, 31)]
    owners = {"backups": "production", "files": "production"}
    data = _graphql({**{(d.isoformat(), "backups"): 200 * 10**9 for d in days},
                     **{(d.isoformat(), "files"): 5 * 10**9 for d in days}},
                    {("2026-11-02", "backups", "PutObject"): 1_500_000,  # 2 M at $9.00: no free million
                     ("2026-11-02", "backups", "GetObject"): 100,        # 1 M at $0.90
                     ("2026-11-02", "files", "PutObject"): 900_000})     # Standard: within its free 1 M
    cc = _context(tmp_path, days[-1])
    rows = price_r2(cc, daily_usage(data, owners, {"backups": "InfrequentAccess", "files": "Standard"}),
                    days)["production"]
    cost: dict[str, Decimal] = {}
    for r in rows:
        cost[r.service] = cost.get(r.service, Decimal(0)) + r.cost
    assert cost["R2 Infrequent Access storage"] == Decimal("2.00")  # 200 GB-month x $0.01
    assert cost["R2 Infrequent Access Class A operations"] == Decimal("18.00")
    assert cost["R2 Infrequent Access Class B operations"] == Decimal("0.90")
    assert cost["R2 storage"] == Decimal("0.00") and cost["R2 Class A operations"] == Decimal("0.00")
    # The same usage with every bucket Standard: the free tier applies to all of it.
    standard = price_r2(_context(tmp_path / "s", days[-1]), daily_usage(data, owners), days)["production"]
    assert not any("Infrequent" in r.service for r in standard)
    assert sum(r.cost for r in standard if r.service == "R2 storage") == Decimal("2.93")  # (205-10) x 0.015, to the cent


def test_r2_keeps_days_the_analytics_no_longer_have(tmp_path: Path) -> None:
    # The first collect of a month saw days 1..10; a later one sees only 5..10 (retention): days 1..4 stay
    # and their usage still counts against the free tier.
    cc = _context(tmp_path, date(2026, 11, 10))
    days = [date(2026, 11, d) for d in range(1, 11)]
    data = _graphql({}, {(d.isoformat(), "b", "PutObject"): 150_000 for d in days})
    first = price_r2(cc, daily_usage(data, {"b": "production"}), days)["production"]
    cc.store.replace_days("production", "r2", days, first)
    later_days = days[4:]
    later = price_r2(cc, daily_usage(_graphql({}, {(d.isoformat(), "b", "PutObject"): 150_000 for d in later_days}),
                                     {"b": "production"}), later_days)["production"]
    cc.store.replace_days("production", "r2", later_days, later)
    total = sum(r.cost for r in cc.store.rows(days[0], days[-1] + timedelta(days=1)))
    assert total == Decimal("4.50")  # 1.5 M class A -> 2 M - 1 M free
    assert days_in_month(2026, 11) == 30


def test_vercel_without_the_billing_endpoint_falls_back_to_the_plan(usage_standins: UsageStandins,
                                                                    tmp_path: Path) -> None:
    usage_standins.servers["vercel"].inject(status=404, path="/v1/billing/charges", times=5)
    outcome = _collect(usage_standins, tmp_path)
    result = _status(outcome, "vercel")
    assert result.status is SourceStatus.NOT_ALLOWED and "not available to this team" in result.reason
    assert {r.service for r in result.rows} == {"Pro plan", "Extra seat"}


def test_github_actions_usage_net_of_included_minutes(usage_standins: UsageStandins, tmp_path: Path) -> None:
    outcome = _collect(usage_standins, tmp_path)
    result = _status(outcome, "github-actions")
    assert result.status is SourceStatus.OK
    rows = result.rows
    assert {r.service for r in rows} == {"Actions Linux"} and all(r.source.value == "api" for r in rows)
    minutes = sum(r.quantity for r in rows)
    # 3,000 minutes a month are included: the charge is the rest at $0.008 a minute (to the cent).
    assert sum(r.cost for r in rows) == (max(Decimal(0), minutes - 3000) * Decimal("0.008")).quantize(Decimal("0.01"))
    assert rows[0].cost == Decimal("0.00")


def test_github_actions_without_enhanced_billing_says_why(usage_standins: UsageStandins, tmp_path: Path) -> None:
    usage_standins.servers["github"].inject(status=404, path="/organizations/", times=5)
    result = _status(_collect(usage_standins, tmp_path), "github-actions")
    assert result.status is SourceStatus.NOT_ALLOWED and "enhanced billing platform" in result.reason


def test_a_failing_source_keeps_what_was_collected_before(usage_standins: UsageStandins, tmp_path: Path) -> None:
    _collect(usage_standins, tmp_path)
    with open_store(tmp_path) as store:
        before = [r for r in store.rows(TODAY.replace(day=1), TODAY + timedelta(days=1)) if r.provider == "cloudflare"]
    assert before
    usage_standins.servers["cloudflare"].inject(status=503, path="/graphql", times=10)
    usage_standins.servers["vercel"].inject(drop=True, path="/v1/billing/charges", times=10)
    outcome = _collect(usage_standins, tmp_path)
    assert _status(outcome, "r2").status is SourceStatus.FAILED
    assert _status(outcome, "vercel").status is SourceStatus.FAILED
    assert not outcome.ok
    with open_store(tmp_path) as store:
        after = store.rows(TODAY.replace(day=1), TODAY + timedelta(days=1))
    assert [r for r in after if r.provider == "cloudflare"] == before
    assert any(r.provider == "vercel" for r in after)


def test_answers_in_an_unexpected_shape_are_refused_with_the_reason(usage_standins: UsageStandins,
                                                                     tmp_path: Path) -> None:
    usage_standins.servers["cloudflare"].inject(status=200, path="/graphql", body={"data": {"viewer": {}}}, times=5)
    bad_line = (b'{"ChargePeriodStart":"2026-11-02T00:00:00.000Z","ServiceName":"X","BilledCost":NaN,'
                b'"BillingCurrency":"USD"}\n')
    usage_standins.servers["vercel"].inject(status=200, path="/v1/billing/charges", body=bad_line, times=5)
    usage_standins.validators.clear()  # these answers break the specs on purpose
    outcome = _collect(usage_standins, tmp_path)
    r2 = _status(outcome, "r2")
    assert r2.status is SourceStatus.FAILED and "unexpected shape" in r2.reason
    v = _status(outcome, "vercel")
    assert v.status is SourceStatus.FAILED and "line 1: BilledCost is not finite" in v.reason


def test_r2_without_the_bucket_list_prices_every_bucket_as_standard_and_says_so(usage_standins: UsageStandins,
                                                                               tmp_path: Path) -> None:
    usage_standins.servers["cloudflare"].inject(status=403, path=f"/accounts/{cloudflare.ACCOUNT_ID}/r2/buckets",
                                                times=5)
    outcome = _collect(usage_standins, tmp_path)
    r2 = _status(outcome, "r2", "production")
    assert r2.status is SourceStatus.OK and "storage classes could not be read" in r2.reason
    assert not any("Infrequent" in row.service for row in r2.rows)


def test_r2_with_a_price_table_from_before_infrequent_access_prices_it_as_standard(usage_standins: UsageStandins,
                                                                                  tmp_path: Path) -> None:
    """A price table edited (and saved) before these prices shipped has no Infrequent Access lines: those
    buckets are priced as Standard, and the note says so, rather than the whole source failing."""
    import dataclasses

    table = default_table()
    old = dataclasses.replace(table, prices=tuple(p for p in table.prices if "r2_ia_" not in p.key))
    ws = sandbox_like_workspace(usage_standins.api_base())
    ctx = FakeContext(ws, credentials_for(ws), tmp_path)
    outcome = asyncio.run(collect(ctx, today=TODAY, settings=sandbox_settings(), table=old,
                                  client_overrides=CLIENT_OVERRIDES))
    r2 = _status(outcome, "r2", "production")
    assert r2.status is SourceStatus.OK and "no Infrequent Access prices" in r2.reason
    assert r2.rows and not any("Infrequent" in row.service for row in r2.rows)

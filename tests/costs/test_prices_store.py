"""The price table as data (versions, dates, bad files) and the store (idempotent per day and source)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.core.errors import ConfigError
from services.costs.metering import Usage, price_usage
from services.costs.prices import FILE_NAME, default_table, load_table, save_table
from services.costs.report import report_from_store
from services.costs.settings import CostSettings, load_settings
from services.costs.store import CostStore
from tests.costs.conftest import row


def test_every_default_price_names_its_source_and_date() -> None:
    table = default_table()
    assert table.prices
    for p in table.prices:
        assert p.source_url.startswith("https://") and p.read_on.year >= 2026, p.key
    assert {p.key for p in table.prices if p.third_party} == {"sentry.team", "betterstack.responder"}


def test_the_table_is_seeded_edited_and_versioned_in_the_data_folder(tmp_path: Path) -> None:
    table = load_table(tmp_path)  # nothing there yet: the shipped default
    assert table.version == 1
    today = date(2026, 11, 25)
    old = table.price("upstash.commands", today)
    changed = table.with_price(replace(old, price=Decimal("0.25"), effective_from=date(2026, 11, 15),
                                       read_on=today), today=today)
    save_table(changed, tmp_path)
    again = load_table(tmp_path)
    assert again.version == 2
    assert again.price("upstash.commands", date(2026, 11, 14)).price == Decimal("0.20")
    assert again.price("upstash.commands", date(2026, 11, 15)).price == Decimal("0.25")
    with pytest.raises(ConfigError, match="would rewrite a past month"):
        again.with_price(replace(old, effective_from=date(2026, 10, 31)), today=today)


def test_a_price_change_mid_month_prices_only_the_days_from_its_date(tmp_path: Path) -> None:
    today = date(2026, 11, 25)
    table = default_table()
    table = table.with_price(replace(table.price("upstash.commands", today), price=Decimal("0.25"),
                                     effective_from=date(2026, 11, 15)), today=today)
    usage = [Usage(date(2026, 11, d), Decimal(10)) for d in range(1, 26)]  # 1 M commands a day
    rows = price_usage(table, "upstash.commands", "production", usage)
    assert {r.cost for r in rows if r.date.day < 15} == {Decimal("2.00")}
    assert {r.cost for r in rows if r.date.day >= 15} == {Decimal("2.50")}
    # October's stored rows keep what they cost when they were priced.
    with CostStore(tmp_path / "c.sqlite3") as store:
        october = price_usage(default_table(), "upstash.commands", "production",
                              [Usage(date(2026, 10, d), Decimal(10)) for d in range(1, 32)])
        store.replace_days("production", "upstash", [r.date for r in october], october)
        store.replace_days("production", "upstash", [r.date for r in rows], rows)
        report = report_from_store(store, 2026, 10, today, CostSettings())
        assert report.total_mtd == Decimal("62.00")
        assert report_from_store(store, 2026, 11, today, CostSettings()).total_mtd == Decimal("2.00") * 14 + \
            Decimal("2.50") * 11


@pytest.mark.parametrize("text, message", [
    ('{"prices": [', "not valid JSON (line 1"),
    ('{"prices": [{"key": "x"}]}', "price 1 ('x'): the field 'category' is missing"),
    ('{"prices": [{"key": "x", "provider": "p", "service": "s", "category": "fun", "unit": "u", "price": "1",'
     ' "effective_from": "2026-01-01", "source_url": "https://x", "read_on": "2026-01-01"}]}', "category must be"),
    ('{"prices": [{"key": "x", "provider": "p", "service": "s", "category": "storage", "unit": "u",'
     ' "price": "one", "effective_from": "2026-01-01", "source_url": "https://x", "read_on": "2026-01-01"}]}',
     "'price' is not a number"),
    ('{"prices": [{"key": "x", "provider": "p", "service": "s", "category": "storage", "unit": "u",'
     ' "price": "1", "effective_from": "soon", "source_url": "https://x", "read_on": "2026-01-01"}]}',
     "'effective_from' must be a date"),
    ('{"prices": [{"key": "x", "provider": "p", "service": "s", "category": "storage", "unit": "u",'
     ' "price": "NaN", "effective_from": "2026-01-01", "source_url": "https://x", "read_on": "2026-01-01"}]}',
     "not a finite number"),
    ('[1, 2]', "does not hold a JSON object"),
])
def test_a_bad_price_file_is_named_with_its_entry_and_field(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / FILE_NAME).write_text(text)
    with pytest.raises(ConfigError) as info:
        load_table(tmp_path)
    assert message in str(info.value)


def test_bad_cost_settings_name_the_field(tmp_path: Path) -> None:
    (tmp_path / "costs-settings.json").write_text(json.dumps({"budget": -5}))
    with pytest.raises(ConfigError, match="'budget' must be more than zero"):
        load_settings(tmp_path)
    (tmp_path / "costs-settings.json").write_text(json.dumps({"external": [{"name": "MLS", "monthly": "abc"}]}))
    with pytest.raises(ConfigError, match="external service 1: 'monthly' is not a number"):
        load_settings(tmp_path)


def test_replacing_a_day_twice_never_counts_twice(tmp_path: Path) -> None:
    day = date(2026, 11, 3)
    with CostStore(tmp_path / "c.sqlite3") as store:
        rows = [row(day, "1.25"), row(day, "2.50", service="t")]
        for _ in range(3):
            store.replace_days("production", "x", [day], rows)
        store.replace_days("staging", "x", [day], [row(day, "9.99", env="staging")])
        assert sum(r.cost for r in store.rows(day, day + timedelta(days=1))) == Decimal("13.74")
        # A collector that finds nothing that day removes what it wrote before.
        store.replace_days("production", "x", [day], [])
        assert [r.environment for r in store.rows(day, day + timedelta(days=1))] == ["staging"]
        with pytest.raises(ValueError, match="outside the days"):
            store.replace_days("production", "x", [day], [row(day + timedelta(days=1), "1.00")])


def test_the_viewer_profile_changes_no_cost_setting(tmp_path: Path) -> None:
    import asyncio

    from services.core.audit_log import AuditLog
    from services.core.errors import GuardRefusedError
    from services.core.workspace import Profile, Workspace
    from services.costs.dashboard import change_budget, change_price, set_external_line
    from tests.costs.conftest import FakeContext

    ctx = FakeContext(Workspace(name="v", profile=Profile.VIEWER), None, tmp_path)
    ctx.audit = AuditLog(tmp_path / "audit.sqlite3", workspace="v")  # type: ignore[attr-defined]
    for call in (change_budget(ctx, "10"), set_external_line(ctx, "MLS", "10"),
                 change_price(ctx, "cloudflare.r2_storage", "1", date(2026, 11, 30), "https://x.example",
                              date(2026, 11, 30), False, today=date(2026, 11, 30))):
        with pytest.raises(GuardRefusedError, match="viewer"):
            asyncio.run(call)
    assert not (tmp_path / FILE_NAME).exists() and not (tmp_path / "costs-settings.json").exists()

"""Upstash Redis (pay-as-you-go): the database's statistics. Where the answer carries the daily billing
(``dailybilling``), those are the charges (source ``api``); otherwise the daily requests are priced per
100K commands and the current storage per GB-month. Only databases created at Upstash directly are
visible to its API (not those made through Vercel's marketplace)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from services.core.errors import ConnectionFailure
from services.core.workspace import Environment
from services.costs.metering import Usage, price_usage
from services.costs.model import ZERO, Category, CostRow, RowSource, cents, days_in_month
from services.costs.sources.base import (
    CollectContext,
    SourceResult,
    SourceStatus,
    all_of,
    failure_result,
    not_configured,
)
from services.providers.factory import client_from

GB = Decimal(1024) ** 3


def _day(x: Any) -> date | None:
    """Upstash's series use "YYYY-MM-DD HH:MM:SS …" or epoch milliseconds for x."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return datetime.fromtimestamp(x / 1000, UTC).date()
    try:
        return date.fromisoformat(str(x)[:10])
    except ValueError:
        return None


def _series(points: Any) -> dict[date, Decimal]:
    out: dict[date, Decimal] = {}
    for p in points or []:
        if not isinstance(p, dict):
            continue
        day = _day(p.get("x"))
        try:
            value = Decimal(repr(p["y"]) if isinstance(p.get("y"), float) else str(p.get("y")))
        except (InvalidOperation, KeyError):
            continue
        if day is not None and value.is_finite():
            out[day] = out.get(day, ZERO) + value
    return out


async def collect_upstash(cc: CollectContext, env: Environment) -> list[SourceResult]:
    db_id = env.providers.upstash_database_id
    if not db_id:
        return [not_configured("upstash", env.name, "No Upstash database id is set")]
    if not env.providers.upstash_email:
        return [not_configured("upstash", env.name, "No Upstash account e-mail is set")]
    client = await client_from(cc.credentials, env, "upstash", **cc.client_overrides)
    if client is None:
        return [not_configured("upstash", env.name, "No Upstash API key is stored")]
    try:
        async with client:
            db, stats = await all_of(
                client.get_json(f"/redis/database/{quote(db_id, safe='')}", params={"credentials": "hide"},
                                resource=f"Redis database '{db_id}'"),
                client.get_json(f"/redis/stats/{quote(db_id, safe='')}", resource=f"Redis database '{db_id}'"))
    except ConnectionFailure as exc:
        return [failure_result("upstash", env.name, exc, "Upstash")]
    if not isinstance(stats, dict) or not isinstance(db, dict):
        return [SourceResult("upstash", env.name, SourceStatus.FAILED, "Upstash answered in an unexpected shape")]
    plan = str(db.get("type", ""))
    start = cc.today.replace(day=1)
    if plan == "free":
        days = cc.days_to_fill(env.name, "upstash")
        return [SourceResult("upstash", env.name, SourceStatus.OK, "free database: no charge", tuple(days), ())]
    billing = {d: v for d, v in _series(stats.get("dailybilling")).items() if start <= d <= cc.today}
    if billing:
        rows = []
        running, shown = ZERO, ZERO
        requests = _series(stats.get("dailyrequests"))
        for day in sorted(billing):
            running += billing[day]
            day_cents = cents(running) - shown
            shown += day_cents
            rows.append(CostRow(day, env.name, "upstash", "Redis (pay-as-you-go)", Category.DATABASE,
                                requests.get(day, ZERO), "commands", day_cents, cc.table.currency, RowSource.API,
                                "Upstash daily billing"))
        return [SourceResult("upstash", env.name, SourceStatus.OK, f"{len(rows)} day(s) of Upstash's own billing",
                             tuple(sorted(billing)), tuple(rows))]
    requests = {d: v for d, v in _series(stats.get("dailyrequests")).items() if start <= d <= cc.today}
    days = sorted(set(requests) | {cc.today})
    rows = price_usage(cc.table, "upstash.commands", env.name,
                       [Usage(d, requests.get(d, ZERO) / Decimal(100_000)) for d in days], unit="100K commands",
                       stored_before=lambda day: cc.quantity_before(env.name, "upstash", "Redis commands", day, days))
    storage = Decimal(int(stats.get("current_storage") or 0)) / GB
    n = days_in_month(cc.today.year, cc.today.month)
    storage_rows = price_usage(cc.table, "upstash.storage", env.name, [Usage(cc.today, storage / n)], unit="GB-month",
                        note="today's storage",
                        stored_before=lambda day: cc.quantity_before(env.name, "upstash", "Redis storage", day,
                                                                     [cc.today]))
    return [SourceResult("upstash", env.name, SourceStatus.OK, "requests priced (no billing series)",
                         tuple(days), tuple(rows)),
            SourceResult("upstash-storage", env.name, SourceStatus.OK, "today's storage priced", (cc.today,),
                         tuple(storage_rows))]



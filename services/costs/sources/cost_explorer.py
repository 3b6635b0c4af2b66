"""AWS Cost Explorer (optional, ``cost_explorer: true`` in the cost settings): the account's daily S3
charges as AWS reports them. Each call is charged ($0.01 a request), so it is called at most once a day
(the store remembers the day), one page at a time; when it answered today, its rows replace the priced
estimate of the backup bucket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from services.core.concurrency import settle
from services.core.workspace import Environment
from services.costs.model import SHARED_ENV, ZERO, Category, CostRow, RowSource, cents
from services.costs.sources.base import CollectContext, SourceResult, SourceStatus, not_configured

LAST_CALL = "cost_explorer_last_call"
SERVICE = "Amazon Simple Storage Service"
MAX_PAGES = 5


def parse_results(pages: list[dict[str, Any]], currency: str) -> list[CostRow]:
    rows: list[CostRow] = []
    running, shown = ZERO, ZERO
    for page in pages:
        for item in page.get("ResultsByTime") or []:
            try:
                day = date.fromisoformat(str(item["TimePeriod"]["Start"]))
                metric = item["Total"]["UnblendedCost"]
                amount = Decimal(str(metric["Amount"]))
            except (KeyError, TypeError, ValueError, InvalidOperation):
                raise ValueError("a ResultsByTime entry has no day or UnblendedCost") from None
            if str(metric.get("Unit", currency)) != currency or not amount.is_finite():
                raise ValueError(f"Cost Explorer reported {metric.get('Unit')!r}, the report is in {currency}")
            running += amount
            day_cents = cents(running) - shown
            shown += day_cents
            rows.append(CostRow(day, SHARED_ENV, "aws", "S3 (Cost Explorer)", Category.STORAGE, Decimal(1), "day",
                                day_cents, currency, RowSource.API, "AWS Cost Explorer, UnblendedCost"))
    return rows


def _aws_env(cc: CollectContext) -> Environment | None:
    for env in cc.environments:
        if env.backup.configured and not env.backup.is_r2 and env.backup.credentials == "aws":
            return env
    return None


async def collect_cost_explorer(cc: CollectContext, *, client_factory: Callable[..., Any] | None = None
                                ) -> SourceResult | None:
    """None when Cost Explorer is off in the settings (nothing to say)."""
    if not cc.settings.cost_explorer:
        return None
    if cc.store.get_meta(LAST_CALL) == cc.today.isoformat():
        return SourceResult("cost-explorer", SHARED_ENV, SourceStatus.OK,
                            "already called today (each call is charged): today's rows kept")
    env = _aws_env(cc)
    if env is None:
        return not_configured("cost-explorer", SHARED_ENV, "No environment has an AWS backup bucket and keys")
    key_id, secret = await settle(cc.credentials.aget(env.name, "AWS_ACCESS_KEY_ID"),
                                          cc.credentials.aget(env.name, "AWS_SECRET_ACCESS_KEY"))
    if not key_id or not secret:
        return not_configured("cost-explorer", SHARED_ENV, f"The AWS keys of '{env.name}' are not set")
    start = cc.today.replace(day=1)
    end = cc.today + timedelta(days=1)

    def call() -> list[dict[str, Any]]:
        import boto3

        endpoint = env.backup.endpoint_url
        local = bool(endpoint) and not endpoint.rstrip("/").endswith("amazonaws.com")
        factory = client_factory or boto3.session.Session().client
        client = factory("ce", region_name="us-east-1", endpoint_url=endpoint if local else None,
                         aws_access_key_id=key_id, aws_secret_access_key=secret)
        pages: list[dict[str, Any]] = []
        token = None
        for _ in range(MAX_PAGES):
            args: dict[str, Any] = {
                "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "DAILY",
                "Metrics": ["UnblendedCost"], "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [SERVICE]}}}
            if token:
                args["NextPageToken"] = token
            page = client.get_cost_and_usage(**args)
            pages.append(page)
            token = page.get("NextPageToken")
            if not token:
                break
        return pages

    try:
        pages = await asyncio.to_thread(call)
    except Exception as exc:
        from services.core.object_storage import classify

        failure = classify(exc, target="AWS Cost Explorer")
        status = SourceStatus.NOT_ALLOWED if failure.kind.name == "PERMISSION" else SourceStatus.FAILED
        return SourceResult("cost-explorer", SHARED_ENV, status, f"AWS Cost Explorer: {failure.message}")
    cc.store.set_meta(LAST_CALL, cc.today.isoformat())
    try:
        rows = parse_results(pages, cc.table.currency)
    except ValueError as exc:
        return SourceResult("cost-explorer", SHARED_ENV, SourceStatus.FAILED, f"AWS Cost Explorer: {exc}")
    days = tuple(start + timedelta(days=i) for i in range((end - start).days))
    return SourceResult("cost-explorer", SHARED_ENV, SourceStatus.OK,
                        f"{len(pages)} request(s) (charged $0.01 each)", days, tuple(r for r in rows if r.date in days))

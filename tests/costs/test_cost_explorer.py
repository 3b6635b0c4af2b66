"""AWS Cost Explorer against moto's: called at most once a day, its rows replace the priced backup bucket."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from services.core.workspace import Environment, EnvironmentKind, Workspace
from services.costs.collect import collect, open_store
from services.costs.settings import CostSettings
from tests.costs.conftest import TODAY, FakeContext, credentials_for


def _results(days: int) -> dict[str, Any]:
    start = TODAY.replace(day=1)
    return {"results": [{"ResultsByTime": [
        {"TimePeriod": {"Start": (start + timedelta(days=i)).isoformat(),
                        "End": (start + timedelta(days=i + 1)).isoformat()},
         "Total": {"UnblendedCost": {"Amount": "0.3333333", "Unit": "USD"}}, "Groups": [], "Estimated": False}
        for i in range(days)]}]}


def test_cost_explorer_once_a_day(s3_location: Any, s3_bucket: str, tmp_path: Path) -> None:
    queued = httpx.post(f"{s3_location.endpoint_url}/moto-api/static/ce/cost-and-usage-results",
                        json=_results(TODAY.day))
    assert queued.status_code == 201
    ws = Workspace(name="ce", id="ce-test")
    env = Environment(name="production", kind=EnvironmentKind.PRODUCTION)
    env.backup.bucket = s3_bucket
    env.backup.endpoint_url = s3_location.endpoint_url
    env.backup.credentials = "aws"
    ws.environments["production"] = env
    creds = credentials_for(ws, {"AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY})
    ctx = FakeContext(ws, creds, tmp_path)
    settings = CostSettings(cost_explorer=True)
    first = asyncio.run(collect(ctx, today=TODAY, settings=settings))
    explorer = next(r for r in first.results if r.collector == "cost-explorer")
    assert explorer.status.value == "ok" and "1 request(s)" in explorer.reason
    assert next(r for r in first.results if r.collector == "s3-backups").reason == \
        "AWS Cost Explorer reports S3 instead"
    with open_store(tmp_path) as store:
        rows = [r for r in store.rows(TODAY.replace(day=1), TODAY + timedelta(days=1)) if r.provider == "aws"]
    # 0.3333333 a day, to the cent by cumulative rounding.
    assert sum(r.cost for r in rows) == (Decimal("0.3333333") * TODAY.day).quantize(Decimal("0.01"))
    second = asyncio.run(collect(ctx, today=TODAY, settings=settings))
    again = next(r for r in second.results if r.collector == "cost-explorer")
    assert "already called today" in again.reason
    with open_store(tmp_path) as store:
        assert [r for r in store.rows(TODAY.replace(day=1), TODAY + timedelta(days=1)) if r.provider == "aws"] == rows

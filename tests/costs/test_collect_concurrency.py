"""What a collect waits for: only reads that need another's answer go one after the other (the Overview's
cost card on a first launch waits for the longest such chain)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from sandbox.provider_standins import supabase
from services.costs.collect import collect
from services.costs.model import SHARED_ENV
from services.costs.settings import CostSettings, sandbox_settings
from services.costs.sources.base import SourceResult, SourceStatus
from tests.costs.conftest import (
    CLIENT_OVERRIDES,
    TODAY,
    FakeContext,
    UsageStandins,
    credentials_for,
    sandbox_like_workspace,
)

DELAY_S = 0.4


def _context(standins: UsageStandins, data: Path) -> FakeContext:
    ws = sandbox_like_workspace(standins.api_base())
    return FakeContext(ws, credentials_for(ws), data)


def test_supabase_reads_the_organization_once_and_the_rest_without_waiting_for_the_project(
        usage_standins: UsageStandins, tmp_path: Path) -> None:
    times: dict[str, list[tuple[float, float]]] = {}  # path -> (arrived, answered)
    lock = threading.Lock()
    server = usage_standins.servers["supabase"]

    def slow(request: Any, response: Any) -> Any:
        arrived = time.monotonic()
        time.sleep(DELAY_S)
        with lock:
            times.setdefault(request.path, []).append((arrived, time.monotonic()))
        return response

    server.answer_transform = slow
    outcome = asyncio.run(collect(_context(usage_standins, tmp_path), today=TODAY, settings=sandbox_settings(),
                                  client_overrides=CLIENT_OVERRIDES))
    assert {(r.collector, r.environment): r.status for r in outcome.results}[("supabase", "production")] \
        is SourceStatus.PARTIAL
    # Production's and staging's projects are in one organization: its plan is read once.
    assert len(times[f"/v1/organizations/{supabase.ORGANIZATION}"]) == 1
    for ref in (supabase.PRODUCTION_REF, supabase.STAGING_REF):
        (_, project_answered), = times[f"/v1/projects/{ref}"]
        for what in ("billing/addons", "config/disk"):
            (arrived, _), = times[f"/v1/projects/{ref}/{what}"]
            assert arrived < project_answered, f"{what} of {ref} waited for the project"


def test_cost_explorer_is_asked_alongside_the_other_sources(usage_standins: UsageStandins, tmp_path: Path,
                                                             monkeypatch: Any) -> None:
    import services.costs.sources.cost_explorer as ce

    vercel = usage_standins.servers["vercel"]

    async def explorer_answering_after_vercel_was_asked(cc: Any, **_: Any) -> SourceResult:
        for _ in range(500):  # the other sources are on their way before the explorer answers
            if any(path == "/v1/billing/charges" for _, path, _ in list(vercel.log)):
                return SourceResult("cost-explorer", SHARED_ENV, SourceStatus.OK, "1 request(s) (charged $0.01 each)")
            await asyncio.sleep(0.02)
        raise AssertionError("Vercel was not asked while the explorer's answer was awaited")

    monkeypatch.setattr(ce, "collect_cost_explorer", explorer_answering_after_vercel_was_asked)
    ws = sandbox_like_workspace(usage_standins.api_base())
    for env in ws.environments.values():
        env.backup.bucket = f"{env.name}-backups"
        env.backup.credentials = "aws"
    ctx = FakeContext(ws, credentials_for(ws), tmp_path)
    outcome = asyncio.run(collect(ctx, today=TODAY, settings=CostSettings(cost_explorer=True),
                                  client_overrides=CLIENT_OVERRIDES))
    lines = [(r.collector, r.environment) for r in outcome.results]
    explorer = lines.index(("cost-explorer", SHARED_ENV))
    # Listed as before: what is not read first (per environment), then the explorer, then the sources.
    assert lines[:explorer] == [("s3-backups", "production"), ("s3-backups", "staging")]
    assert all(r.reason == "AWS Cost Explorer reports S3 instead" for r in outcome.results[:explorer])
    assert lines[explorer + 1] == ("vercel", SHARED_ENV)

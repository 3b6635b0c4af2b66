"""What a collect waits for: only reads that need another's answer go one after the other (the Overview's
cost card on a first launch waits for the longest such chain)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from sandbox.provider_standins import StandinResponse, supabase
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


def test_each_source_is_stored_as_it_answers_and_the_plan_read_last_is_named(
        usage_standins: UsageStandins, tmp_path: Path) -> None:
    """The Overview's cost card on a first launch shows what is known while the organization's plan (the
    one read that waits for another) is still on its way: every other source's rows are already stored,
    and the progress names exactly what is pending."""
    from services.costs.collect import CollectProgress, open_store
    from services.costs.report import report_from_store

    org_path = f"/v1/organizations/{supabase.ORGANIZATION}"
    server = usage_standins.servers["supabase"]
    seen: list[tuple[CollectProgress, set[str]]] = []

    def slow_organization(request: Any, response: Any) -> Any:
        if request.path == org_path:
            time.sleep(0.6)  # within the tests' 1 s timeout
        return response

    server.answer_transform = slow_organization

    def progress(p: CollectProgress) -> None:
        with open_store(tmp_path) as store:  # what a screen reading the store sees now
            report = report_from_store(store, TODAY.year, TODAY.month, TODAY, sandbox_settings())
        found = {f.name for f in report.providers if f.mtd}
        if any(r.provider == "supabase" and r.environment == SHARED_ENV for r in report.rows):
            found.add("the Supabase plan")
        seen.append((p, found))

    outcome = asyncio.run(collect(_context(usage_standins, tmp_path), today=TODAY, settings=sandbox_settings(),
                                  client_overrides=CLIENT_OVERRIDES, on_progress=progress))
    first = next(p for p, _ in seen if p.first_reads_done)
    assert first.pending and all("organization's plan" in what for what in first.pending)
    providers_then = next(found for p, found in seen if p is first)
    assert {"vercel", "supabase", "upstash"} <= providers_then  # the project's figures, without the plan
    assert "the Supabase plan" not in providers_then
    assert seen[-1][0].pending == () and seen[-1][0].answered == seen[-1][0].total
    # Before the plan: no row of it stored; after the collect, the plan is in and nothing is counted twice.
    with open_store(tmp_path) as store:
        after = report_from_store(store, TODAY.year, TODAY.month, TODAY, sandbox_settings())
    plan = [r for r in after.rows if r.provider == "supabase" and r.environment == SHARED_ENV and r.date == TODAY]
    assert {r.service for r in plan} >= {"Pro plan"}
    assert len(plan) == len({r.service for r in plan})  # the organization both projects share: counted once
    assert "the Supabase plan" in seen[-1][1] and outcome.results


def test_a_failed_plan_read_keeps_the_projects_figures(usage_standins: UsageStandins, tmp_path: Path) -> None:
    org_path = f"/v1/organizations/{supabase.ORGANIZATION}"
    server = usage_standins.servers["supabase"]

    def no_organization(request: Any, response: Any) -> Any:
        if request.path == org_path:
            return StandinResponse(500, {"message": "unavailable"})
        return response

    server.answer_transform = no_organization
    outcome = asyncio.run(collect(_context(usage_standins, tmp_path), today=TODAY, settings=sandbox_settings(),
                                  client_overrides=CLIENT_OVERRIDES))
    status = {(r.collector, r.environment): r for r in outcome.results}
    assert status[("supabase", "production")].status is SourceStatus.PARTIAL  # the project's figures are in
    assert status[("supabase", "production")].rows
    plan = status[("supabase-org", "production")]
    assert plan.status is SourceStatus.FAILED and "organization's plan" in plan.reason

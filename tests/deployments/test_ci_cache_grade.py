"""GitHub Actions runs, job logs through a token-free redirect, rerun/cancel/force-cancel, dispatch only
with workflow_dispatch; Cloudflare purge with plan limits and zone checks; the security grade of a
deployment against the platform stand-in."""

from __future__ import annotations

import pytest

from sandbox.platform_standin import PlatformStandin
from sandbox.provider_standins import cloudflare, github
from services.core.errors import ConfigError, ConnectionFailure, GuardRefusedError
from services.deployments import cache_purge, ci, grade
from tests.deployments.conftest import DeployWorld


async def test_runs_with_jobs_and_the_ordering_risk(world: DeployWorld) -> None:
    runs = await ci.runs(world.ctx, "production", limit=10)
    assert len(runs) == 10
    names = {j.name for r in runs for j in r.jobs}
    assert names == {"test", "security-scan", "build-and-deploy", "database-migration", "notify"}
    failed = next(r for r in runs if r.run.conclusion == "failure")
    assert any(j.conclusion == "failure" for j in failed.jobs)
    ok = next(r for r in runs if r.run.conclusion == "success" and r.run.branch == "main")
    assert ok.ordering_risk and ok.duration_s > 0
    info = await ci.workflow_info(world.ctx, "production")
    assert info.ordering_risk and not info.dispatchable
    assert "workflow_dispatch:" in info.reason and info.path == ".github/workflows/deploy.yml"
    with pytest.raises(GuardRefusedError, match="no workflow_dispatch"):
        await ci.dispatch(world.ctx, "staging", "develop", world.auth("staging", "ci dispatch"))
    assert not world.audit_lines(), "a refused dispatch sent nothing and changed nothing"
    data = world.github.data
    data.files[".github/workflows/deploy.yml"] = data.files[".github/workflows/deploy.yml"].replace(
        b"on:\n", b"on:\n  workflow_dispatch:\n", 1)
    started = await ci.dispatch(world.ctx, "staging", "develop", world.auth("staging", "ci dispatch"))
    assert started.run_id == data.runs[0].id and data.runs[0].event == "workflow_dispatch"
    assert [e.action for e in world.audit_lines()] == ["ci dispatch"]


def test_workflow_reading() -> None:
    assert ci.analyse_workflow("on: [push, workflow_dispatch]\njobs: {}\n", "w.yml").dispatchable
    assert ci.analyse_workflow("on:\n  push:\n  workflow_dispatch:\n    inputs: {}\n", "w.yml").dispatchable
    assert not ci.analyse_workflow("on:\n  push:\n# workflow_dispatch:\njobs:\n  workflow_dispatch:\n", "w").dispatchable
    text = "on: push\njobs:\n  database-migration:\n    needs: [test]\n  build-and-deploy:\n    needs: database-migration\n"
    assert not ci.analyse_workflow(text, "w").ordering_risk


async def test_job_log_follows_the_redirect_without_the_token(world: DeployWorld) -> None:
    runs = await ci.runs(world.ctx, "production", limit=30)
    job = next(j for r in runs for j in r.jobs if j.conclusion == "failure" and j.name == "build-and-deploy")
    log = await ci.job_log(world.ctx, "production", job.id)
    assert "Type error" in log.text and "exit code 1" in log.text and not log.truncated
    blobs = world.github.data.blobs
    assert blobs.requests, "the log came from the download host"
    assert all("authorization" not in headers for headers in blobs.requests)
    assert all(github.TOKEN not in str(headers) for headers in blobs.requests)
    blobs.lifetime_s = -1  # links expire: a stale one is a plain error
    with pytest.raises(ConnectionFailure, match="lasts about a minute"):
        await ci.job_log(world.ctx, "production", job.id)


async def test_rerun_cancel_force_cancel(world: DeployWorld) -> None:
    data = world.github.data
    failed = next(r for r in data.runs if r.conclusion == "failure" and r.commit.branch == "develop")
    await ci.rerun(world.ctx, ci.RunRequest("staging", failed.id, failed_only=True), world.auth("staging", "ci rerun"))
    assert failed.run_attempt == 2 and failed.status == "queued"
    assert all(j.status == "completed" for j in failed.jobs if j.conclusion == "success")
    with pytest.raises(GuardRefusedError, match="still queued"):
        await ci.rerun(world.ctx, ci.RunRequest("staging", failed.id), world.auth("staging", "ci rerun"))
    running = next(r for r in data.runs if r.status == "in_progress")
    data.cancel_hangs = True
    await ci.cancel(world.ctx, ci.RunRequest("staging", running.id), world.auth("staging", "ci cancel"))
    assert running.status == "in_progress", "cancel was accepted but the run goes on"
    await ci.cancel(world.ctx, ci.RunRequest("staging", running.id), world.auth("staging", "ci force-cancel"),
                    force=True)
    assert (running.status, running.conclusion) == ("completed", "cancelled")
    assert [e.action for e in reversed(world.audit_lines())] == [
        "ci rerun", "ci rerun", "ci cancel", "ci force-cancel"]
    assert world.audit_lines()[2].outcome.startswith("failed:")


async def test_cache_purge_limits_and_zone(world: DeployWorld) -> None:
    auth = world.auth("production", "cache purge")
    urls = tuple(f"https://realtor-platform.com/listings/{i}" for i in range(250))
    done = await cache_purge.purge(world.ctx, cache_purge.PurgeRequest("production", "url", urls), auth)
    assert (done.count, done.requests, done.plan) == (250, 3, "Pro Website")
    sizes = [len(p["files"]) for p in world.cloudflare.data.purges]
    assert sizes == [100, 100, 50]
    with pytest.raises(ConfigError, match="not in zone"):
        await cache_purge.purge(world.ctx, cache_purge.PurgeRequest(
            "production", "url", ("https://evil.example/x",)), auth)
    with pytest.raises(ConfigError, match="must not have a scheme"):
        await cache_purge.purge(world.ctx, cache_purge.PurgeRequest(
            "production", "prefix", ("https://realtor-platform.com/a",)), auth)
    with pytest.raises(ConfigError, match="allows 25 at once"):
        await cache_purge.purge(world.ctx, cache_purge.PurgeRequest(
            "production", "tag", tuple(f"t{i}" for i in range(2600))), auth)
    everything = world.auth("production", "cache purge everything")
    with pytest.raises(GuardRefusedError, match="not 'cache purge everything'"):
        await cache_purge.purge(world.ctx, cache_purge.PurgeRequest("production", "everything"), auth)
    await cache_purge.purge(world.ctx, cache_purge.PurgeRequest("production", "everything"), everything)
    assert world.cloudflare.data.purges[-1] == {"zone": cloudflare.ZONE_ID, "purge_everything": True}
    assert len(world.cloudflare.data.purges) == 4, "refused purges sent nothing"
    assert [e.outcome for e in world.audit_lines()] == ["done", "done"]


async def test_grade_compares_candidate_with_production(world: DeployWorld) -> None:
    good = PlatformStandin().start()
    weak = PlatformStandin().start()
    weak.drop_header("Content-Security-Policy")
    good.force("healthy")
    weak.force("healthy")
    try:
        report = await grade.grade_url("dpl_good", good.url)
        worse = await grade.grade_url("dpl_weak", weak.url)
        assert report.grade is not None and worse.score is not None and report.score is not None
        assert worse.score < report.score and any(p.startswith("Content-Security-Policy") for p in worse.problems)
        assert grade.GradeComparison(worse, report).worse and not grade.GradeComparison(report, worse).worse
        good.force("unhealthy")
        sick = await grade.grade_url("dpl_sick", good.url)
        assert sick.health.state == "unhealthy" and grade.GradeComparison(sick, worse).worse
        gone = await grade.grade_url("dpl_gone", "http://127.0.0.1:9")
        assert gone.grade is None and gone.health.status is None and grade.GradeComparison(gone, report).worse
    finally:
        good.stop()
        weak.stop()


async def test_two_environments_reading_one_workflow_at_once_share_one_read(world: DeployWorld) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    def asked(suffix: str) -> list[str]:
        return [path for _, path, _ in world.github.log if path.endswith(suffix)]

    since = datetime.now(UTC) - timedelta(days=30)
    listings, jobs = len(asked("/runs")), len(asked("/jobs"))
    # As the Overview's production and staging timelines do: the same repository, workflow and token.
    prod, staging = await asyncio.gather(
        ci.runs(world.ctx, "production", limit=30, since=since, failed_jobs_only=True),
        ci.runs(world.ctx, "staging", limit=30, since=since, failed_jobs_only=True))
    assert prod and prod == staging
    failed = [r for r in prod if r.run.conclusion == "failure"]
    assert failed and all(r.jobs for r in failed)
    assert len(asked("/runs")) == listings + 1
    assert len(asked("/jobs")) == jobs + len(failed)  # each failed run's jobs once
    await ci.runs(world.ctx, "staging", limit=30, since=since, failed_jobs_only=True)  # once ended, read anew
    assert len(asked("/runs")) == listings + 2


async def test_runs_read_after_a_dispatch_are_read_anew(world: DeployWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Reads of the runs asked at once share one; a dispatch (or a re-run, a cancel) ends that sharing, so
    the list shown after it has the new run, never the answer of a read that started before it."""
    import asyncio
    import time

    monkeypatch.setattr(ci._RUNS, "join_s", 600.0)  # the dispatch lands while the old read could be joined
    data = world.github.data
    data.files[".github/workflows/deploy.yml"] = data.files[".github/workflows/deploy.yml"].replace(
        b"on:\n", b"on:\n  workflow_dispatch:\n", 1)
    slow = {"on": True}

    def slow_listing(request, response):  # type: ignore[no-untyped-def]
        if slow["on"] and request.path.endswith("/runs"):
            slow["on"] = False
            time.sleep(1.0)  # the answer (the runs as they were) is still on its way
        return response

    world.github.answer_transform = slow_listing
    before = asyncio.ensure_future(ci.runs(world.ctx, "staging", limit=5))
    await asyncio.sleep(0.3)
    started = await ci.dispatch(world.ctx, "staging", "develop", world.auth("staging", "ci dispatch"))
    after = await ci.runs(world.ctx, "staging", limit=5)
    assert started.run_id in {r.run.id for r in after}
    assert started.run_id not in {r.run.id for r in await before}

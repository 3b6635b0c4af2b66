"""GitHub client against the GitHub stand-in (spec-validated, API version header required)."""

from __future__ import annotations

import time

import pytest

from sandbox.provider_standins import history as h
from services.core.errors import ConfigError, ConnectionFailure, FailureKind
from services.providers import GitHubClient
from tests.providers.conftest import REPO, Standins


def _client(standins: Standins, server: object, **kw: object) -> GitHubClient:
    client = standins.client("github", server, **kw)  # type: ignore[arg-type]
    assert isinstance(client, GitHubClient)
    return client


async def test_check_token_reports_scopes_and_rate(standins: Standins) -> None:
    server, _ = standins.start("github")
    async with _client(standins, server) as client:
        check = await client.check_token(REPO)
    assert check.scopes == ("repo", "workflow")
    assert "of 5000 requests left" in check.note
    assert REPO in check.subject


async def test_runs_follow_link_pages(standins: Standins) -> None:
    server, _ = standins.start("github")
    async with _client(standins, server) as client:
        listing = await client.list_workflow_runs(REPO, "deploy.yml", per_page=4, max_pages=3)
        everything = await client.list_workflow_runs(REPO, per_page=10, max_pages=10)
    assert len(listing.runs) == 12 and listing.more
    assert len({r.id for r in listing.runs}) == 12, "pages do not overlap"
    assert not everything.more and len(everything.runs) == everything.total_count
    assert [r.run_number for r in everything.runs] == sorted(
        (r.run_number for r in everything.runs), reverse=True
    )
    running = everything.runs[0]
    assert running.status == "in_progress" and running.conclusion is None and running.outcome == "in_progress"
    failed = [r for r in everything.runs if r.conclusion == "failure"]
    assert failed and all(r.workflow_name == h.WORKFLOW_NAME for r in everything.runs)
    assert {r.event for r in everything.runs} >= {"push", "pull_request"}


async def test_runs_filtered_by_branch(standins: Standins) -> None:
    server, _ = standins.start("github")
    async with _client(standins, server) as client:
        listing = await client.list_workflow_runs(REPO, branch="main", per_page=50)
    assert listing.runs and all(r.branch == "main" for r in listing.runs)


async def test_jobs_of_a_run(standins: Standins) -> None:
    server, _ = standins.start("github")
    test_failure = next(r for r in server.data.runs if r.commit.outcome == "test-failure")
    async with _client(standins, server) as client:
        jobs = await client.list_run_jobs(REPO, test_failure.id, per_page=2)
    assert [j.name for j in jobs] == list(h.JOB_NAMES)
    by_name = {j.name: j for j in jobs}
    assert by_name["test"].conclusion == "failure"
    assert by_name["build-and-deploy"].conclusion == "skipped"
    assert by_name["notify"].conclusion == "success"
    assert by_name["test"].duration_s and by_name["test"].duration_s > 0
    assert sum(1 for _, p, _ in server.log if p.endswith("/jobs")) == 3, "5 jobs in pages of 2"


async def test_dispatch_returns_the_new_run(standins: Standins) -> None:
    server, _ = standins.start("github")
    async with _client(standins, server) as client:
        dispatched = await client.dispatch(REPO, "deploy.yml", "main", inputs={"environment": "production"})
        quiet = await client.dispatch(REPO, "deploy.yml", "develop", return_run_details=False)
        run = await client.get_run(REPO, dispatched.run_id or 0)
    assert dispatched.run_id is not None and dispatched.html_url
    assert run.event == "workflow_dispatch" and run.status == "queued" and run.branch == "main"
    assert quiet.run_id is None


async def test_dispatch_to_an_unknown_branch_is_refused(standins: Standins) -> None:
    server, _ = standins.start("github")
    async with _client(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.dispatch(REPO, "deploy.yml", "no-such-branch")
    assert info.value.status == 422
    assert "No ref found for: no-such-branch" in info.value.message
    assert info.value.message.startswith("GitHub refused to run workflow 'deploy.yml' on 'no-such-branch'")


async def test_rerun_and_cancel(standins: Standins) -> None:
    server, _ = standins.start("github")
    failed = next(r for r in server.data.runs if r.conclusion == "failure")
    running = next(r for r in server.data.runs if r.status == "in_progress")
    async with _client(standins, server) as client:
        rerun = await client.rerun(REPO, failed.id, failed_only=True)
        canceled = await client.cancel_run(REPO, running.id)
        with pytest.raises(ConnectionFailure) as info:
            await client.cancel_run(REPO, running.id)
    assert rerun.status == 201 and failed.run_attempt == 2 and failed.status == "queued"
    assert canceled.status == 202 and running.conclusion == "cancelled"
    assert info.value.status == 409 and "Cannot cancel a workflow run that is completed" in info.value.message


async def test_primary_rate_limit_403_is_rate_limited(standins: Standins) -> None:
    server, _ = standins.start("github")
    reset = int(time.time()) + 1800
    server.inject(
        status=403,
        times=1,
        path="/repos",
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        body={
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest",
        },
    )
    async with _client(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.list_workflow_runs(REPO)
    assert info.value.kind is FailureKind.RATE_LIMITED
    assert info.value.retry_after is not None and 1700 < info.value.retry_after <= 1800


def test_repository_name_must_be_owner_slash_name() -> None:
    from services.providers.github_client import split_repository

    with pytest.raises(ConfigError):
        split_repository("realtor-platform")
    assert split_repository("acme/realtor-platform") == ("acme", "realtor-platform")

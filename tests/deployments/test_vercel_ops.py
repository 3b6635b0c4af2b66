"""Deployments of an environment against the Vercel stand-in (spec-validated): paging, marks, inspect,
following a build, promote / rollback followed through lastAliasRequest, redeploy, cancel, guards."""

from __future__ import annotations

import pytest

from sandbox.provider_standins import history as h
from services.core import workspace as ws
from services.core.errors import ConfigError, ConnectionFailure, GuardRefusedError, OpsError
from services.core.guard import Authorization, authorize
from services.deployments import vercel_ops as ops
from services.providers.vercel_deployments import EventLine
from tests.deployments.conftest import DeployWorld, make_world
from tests.providers.conftest import Standins


async def test_pages_follow_until_and_mark_current(world: DeployWorld) -> None:
    first = await ops.list_page(world.ctx, ops.ListRequest("production", limit=3))
    assert first.target == "production" and len(first.rows) == 3 and first.next_until is not None
    rest = await ops.list_page(world.ctx, ops.ListRequest("production", limit=100, until=first.next_until))
    rows = first.rows + rest.rows
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids)), "no deployment twice across the page boundary"
    created = [r.deployment.created_at for r in rows]
    assert created == sorted(created, reverse=True)
    assert all(r.deployment.target == "production" for r in rows)
    current = [r for r in rows if r.current]
    assert [r.id for r in current] == [world.vercel.data.production_id]
    assert current[0].deployment.is_current_production
    # Filters go to Vercel: state and branch.
    failed = await ops.list_page(world.ctx, ops.ListRequest("production", state="error"))
    assert failed.rows and {r.deployment.state for r in failed.rows} == {"ERROR"}
    staging = await ops.list_page(world.ctx, ops.ListRequest("staging", branch="develop"))
    assert staging.target == "staging" and {r.deployment.branch for r in staging.rows} == {"develop"}
    with pytest.raises(ConfigError, match="not a deployment state"):
        await ops.list_page(world.ctx, ops.ListRequest("production", state="sleeping"))


async def test_list_deployments_any_number_pages_of_100(tmp_path, app_dirs, standins: Standins) -> None:  # type: ignore[no-untyped-def]
    w = make_world(tmp_path, app_dirs, standins, vercel_kwargs={"extra_deployments": 900})
    rows = await ops.list_deployments(w.ctx, ops.ListRequest("production", limit=200))
    assert len(rows) == 200 and len({r.id for r in rows}) == 200
    calls = [p for _, p, _ in w.vercel.log if p == "/v7/deployments"]
    assert len(calls) == 2


async def test_inspect_aliases_checks_duration_and_events(world: DeployWorld) -> None:
    current = world.vercel.data.production_id
    seen = await ops.inspect(world.ctx, "production", current)
    assert seen.current and seen.deployment.state == "READY"
    assert "realtor-platform.com" in {a.alias for a in seen.aliases}
    assert {c.name for c in seen.checks} == {"Vercel Speed Insights", "E2E smoke (Playwright)"}
    assert seen.build_seconds is not None and 60 < seen.build_seconds < 600
    assert seen.events and "Deployment completed" in seen.events[-1].text
    failed = next(d for d in world.vercel.data.deployments if d.state == "ERROR")
    broken = await ops.inspect(world.ctx, "production", failed.uid)
    assert not broken.current and any(e.type == "stderr" for e in broken.events)
    assert [c.conclusion for c in broken.checks if c.blocking] == ["failed"]


async def test_a_build_that_fails_while_followed(world: DeployWorld) -> None:
    record = next(d for d in world.vercel.data.deployments if d.state == "BUILDING")
    record.finish_as = "ERROR"
    batches: list[tuple[EventLine, ...]] = []
    outcome = await ops.follow_events(world.ctx, "staging", record.uid, batches.append, poll_s=0.01)
    assert outcome.deployment.state == "ERROR"
    assert len(batches) >= 3, "lines arrive as the build goes, not all at the end"
    lines = [e for b in batches for e in b]
    assert len({e.serial for e in lines}) == len(lines) == outcome.lines
    assert lines[-1].type == "stderr" and "exited with 1" in lines[-1].text
    polls = [p for _, p, _ in world.vercel.log if p.endswith("/events")]
    assert len(polls) >= 3


@pytest.mark.needs_specs("vercel")
def test_alias_status_body_fits_the_specific_branch() -> None:
    from openapi_schema_validator import OAS30Validator

    from sandbox.provider_standins import vercel
    from sandbox.provider_standins.protocol import StandinRequest
    from tests.providers.spec_validation import load_spec

    data, _ = load_spec("vercel")
    op = data["paths"]["/v1/projects/{projectId}/promote/aliases"]["get"]
    branch = op["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"][1]
    server = vercel.create()
    api_data = server.data
    api_data.fail_aliases = {"www.realtor-platform.com"}
    standin = vercel.VercelStandin(api_data)
    record = next(d for d in api_data.deployments if d.promoted and d.uid != api_data.production_id)
    standin._start_job("rollback", record)
    for _ in range(3):
        api_data.progress_alias_job()
    request = StandinRequest("GET", "/", "/", [("failedOnly", "true")], {}, b"", "", "",
                             path_params={"projectId": h.PROJECT_ID})
    body = standin.alias_status(request)
    errors = list(OAS30Validator({**branch, "components": data["components"]}).iter_errors(body))
    assert not errors, errors
    assert [a["alias"] for a in body["aliases"]] == ["www.realtor-platform.com"]


async def test_rollback_followed_to_success_then_undo(world: DeployWorld) -> None:
    data = world.vercel.data
    before = data.production_id
    target = await ops.previous_production(world.ctx, "production")
    assert target.id != before and target.target == "production"
    auth = world.auth("production", "deploy rollback", reason="checkout broken after 14.2.5")
    job = await ops.rollback(world.ctx, ops.RollbackRequest("production", poll_s=0.01), auth)
    assert (job.type, job.status, job.to_deployment_id, job.from_deployment_id) == (
        "rollback", "succeeded", target.id, before)
    assert data.production_id == target.id and data.rollback_description == "checkout broken after 14.2.5"
    assert job.caveats is not None and any("auto-assignment" in line for line in job.caveats.lines)
    state = await ops.production_status(world.ctx, "production")
    assert state.rolled_back and state.current_deployment_id == target.id
    page = await ops.list_page(world.ctx, ops.ListRequest("production"))
    assert [r.id for r in page.rows if r.rolled_back_from] == [before]
    # Undo: promote the deployment rolled back from.
    undo = await ops.promote(world.ctx, ops.PromoteRequest("production", before, poll_s=0.01),
                             world.auth("production", "deploy promote", reason="undo"))
    assert undo.status == "succeeded" and data.production_id == before and data.auto_assign
    assert not (await ops.production_status(world.ctx, "production")).rolled_back
    lines = world.audit_lines()
    assert [(e.action, e.outcome) for e in reversed(lines)] == [("deploy rollback", "succeeded"),
                                                              ("deploy promote", "succeeded")]
    assert lines[-1].reason == "checkout broken after 14.2.5" and lines[-1].target == target.id


async def test_rollback_that_fails_halfway_names_the_aliases(world: DeployWorld) -> None:
    data = world.vercel.data
    before = data.production_id
    data.fail_aliases = {"www.realtor-platform.com"}
    with pytest.raises(OpsError, match=r"failed for www\.realtor-platform\.com") as caught:
        await ops.rollback(world.ctx, ops.RollbackRequest("production", poll_s=0.01),
                           world.auth("production", "deploy rollback"))
    assert "realtor-platform.com," not in caught.value.message, "only the failed alias is named"
    assert data.production_id == before
    (line,) = world.audit_lines("deploy rollback")
    assert line.outcome.startswith("failed:") and "www.realtor-platform.com" in line.outcome


async def test_rollback_refusals_409_and_422(world: DeployWorld) -> None:
    data = world.vercel.data
    current = data.production_id
    with pytest.raises(ConnectionFailure, match=r"\(409\).*already the current"):
        await ops.rollback(world.ctx, ops.RollbackRequest("production", current, poll_s=0.01),
                           world.auth("production", "deploy rollback"))
    never = next(d for d in data.deployments if d.state == "READY" and d.target == "production"
                 and not d.promoted) if any(d.state == "READY" and d.target == "production" and not d.promoted
                                            for d in data.deployments) else None
    if never is None:  # every production build went live; make one that did not
        never = next(d for d in data.deployments if d.state == "READY" and d.target == "production"
                     and d.uid != current)
        never.promoted = False
    with pytest.raises(ConnectionFailure, match=r"\(422\).*rollback target"):
        await ops.rollback(world.ctx, ops.RollbackRequest("production", never.uid, poll_s=0.01),
                           world.auth("production", "deploy rollback"))
    assert data.production_id == current
    assert [e.outcome.split(":")[0] for e in world.audit_lines("deploy rollback")] == ["failed", "failed"]


async def test_promote_a_preview_is_a_rebuild_that_must_be_confirmed(world: DeployWorld) -> None:
    preview = next(d for d in world.vercel.data.deployments if d.target is None and d.state == "READY")
    auth = world.auth("production", "deploy promote")
    with pytest.raises(GuardRefusedError, match="production's environment variables"):
        await ops.promote(world.ctx, ops.PromoteRequest("production", preview.uid), auth)
    job = await ops.promote(world.ctx, ops.PromoteRequest("production", preview.uid, rebuild_preview=True), auth)
    assert job.status == "rebuilding"
    built = world.vercel.data.find(job.to_deployment_id)
    assert built.target == "production" and built.commit.sha == preview.commit.sha and built.state == "QUEUED"
    assert job.caveats is not None and "builds a new deployment" in job.caveats.lines[0]


async def test_redeploy_and_cancel(world: DeployWorld) -> None:
    data = world.vercel.data
    source = next(d for d in data.deployments if d.target == "staging" and d.state == "READY")
    built = await ops.redeploy(world.ctx, ops.RedeployRequest("staging", source.uid),
                               world.auth("staging", "deploy redeploy"))
    assert built.id != source.uid and built.target == "staging" and built.commit_sha == source.commit.sha
    gone = await ops.cancel(world.ctx, ops.RedeployRequest("staging", built.id), world.auth("staging", "deploy cancel"))
    assert gone.state == "CANCELED"
    with pytest.raises(GuardRefusedError, match="only a building or queued"):
        await ops.cancel(world.ctx, ops.RedeployRequest("staging", source.uid), world.auth("staging", "deploy cancel"))
    assert [e.action for e in world.audit_lines()] == ["deploy cancel", "deploy redeploy"]


async def test_guards_viewer_and_wrong_unlock(world: DeployWorld) -> None:
    env = world.ctx.workspace.environment("production")
    with pytest.raises(GuardRefusedError, match="typed to confirm"):
        authorize(world.ctx.workspace, env, "deploy rollback", confirm=None, reason="x")
    with pytest.raises(GuardRefusedError, match="needs a reason"):
        authorize(world.ctx.workspace, env, "deploy rollback", confirm="production", reason=" ")
    staging_auth = world.auth("staging", "deploy rollback")
    with pytest.raises(GuardRefusedError, match="unlock was for staging"):
        await ops.rollback(world.ctx, ops.RollbackRequest("production"), staging_auth)
    forged = Authorization("production", "deploy rollback", "", False)
    with pytest.raises(GuardRefusedError, match="needs the environment's name typed"):
        await ops.rollback(world.ctx, ops.RollbackRequest("production"), forged)
    world.ctx.workspace.profile = ws.Profile.VIEWER
    ok = Authorization("production", "deploy rollback", "r", True)
    with pytest.raises(GuardRefusedError, match="viewer"):
        await ops.rollback(world.ctx, ops.RollbackRequest("production"), ok)
    assert world.vercel.data.alias_job is None and not world.audit_lines()
    assert h.PROJECT_ID


async def test_flaky_network_during_a_rollback(world: DeployWorld) -> None:
    data = world.vercel.data
    before = data.production_id
    project_path = f"/v9/projects/{h.PROJECT_ID}"
    # A 500 on the rollback POST is not retried (it may have been acted on): one failed audit line.
    world.vercel.inject(status=500, path=f"/v1/projects/{h.PROJECT_ID}/rollback/", method="POST")
    with pytest.raises(ConnectionFailure, match=r"server error \(500\)"):
        await ops.rollback(world.ctx, ops.RollbackRequest("production", poll_s=0.01),
                           world.auth("production", "deploy rollback"))
    assert data.production_id == before and data.alias_job is None
    posts = [s for m, p, s in world.vercel.log if m == "POST"]
    assert posts == [500]
    # Dropped connections while following the alias job are retried (GETs are idempotent).
    world.vercel.inject(drop=True, path=project_path, method="GET", times=2)
    job = await ops.rollback(world.ctx, ops.RollbackRequest("production", poll_s=0.01),
                             world.auth("production", "deploy rollback"))
    assert job.status == "succeeded" and data.production_id == job.to_deployment_id
    assert [None, None] == [s for m, p, s in world.vercel.log if p == project_path and s is None]
    assert [e.outcome.split(":")[0] for e in reversed(world.audit_lines())] == ["failed", "succeeded"]


async def test_a_secret_in_the_reason_does_not_reach_vercel(world: DeployWorld) -> None:
    from sandbox.provider_standins import vercel

    world.ctx.masker.add(vercel.TOKEN)
    reason = f"token {vercel.TOKEN} leaked in the build"
    await ops.rollback(world.ctx, ops.RollbackRequest("production", poll_s=0.01),
                       world.auth("production", "deploy rollback", reason=reason))
    assert vercel.TOKEN not in (world.vercel.data.rollback_description or "")
    assert vercel.TOKEN not in world.audit_lines()[0].reason

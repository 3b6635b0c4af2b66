"""Vercel client against the Vercel stand-in (spec-validated)."""

from __future__ import annotations

import pytest

from sandbox.provider_standins import history as h
from sandbox.provider_standins import vercel
from services.core.errors import ConnectionFailure, FailureKind
from services.providers import VercelClient
from services.providers.vercel_client import value_fingerprint
from tests.providers.conftest import Standins


def _client(standins: Standins, server: object, **kw: object) -> VercelClient:
    client = standins.client("vercel", server, **kw)  # type: ignore[arg-type]
    assert isinstance(client, VercelClient)
    return client


async def test_project_and_token(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    async with _client(standins, server) as client:
        check = await client.check_token(h.PROJECT_NAME)
        project = await client.project(h.PROJECT_ID)
        listing = await client.check_token()
    assert check.provider == "Vercel" and "realtor-platform" in check.subject
    assert project.name == h.PROJECT_NAME and project.production_deployment_id == server.data.production_id
    assert project.production_url and project.production_url.startswith("https://")
    assert "1 project" in listing.note


async def test_deployments_page_through_pagination_next(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    async with _client(standins, server) as client:
        page = await client.list_deployments(h.PROJECT_ID, limit=12, page_size=5, mark_current=True)
        older = await client.list_deployments(h.PROJECT_ID, limit=5, until=page.next_until)
    list_calls = [p for _, p, _ in server.log if p == "/v7/deployments"]
    assert len(list_calls) == 3 + 1, "12 deployments in pages of 5 take three requests"
    assert len(page.deployments) == 12
    assert page.next_until is not None
    created = [d.created_at for d in page.deployments + older.deployments]
    assert created == sorted(created, reverse=True) and len(set(created)) == len(created), (
        "no overlap, no gap"
    )
    current = [d for d in page.deployments if d.is_current_production]
    assert len(current) == 1 and current[0].target == "production" and current[0].state == "READY"
    states = {d.state for d in page.deployments}
    assert {"READY", "ERROR", "BUILDING"} <= states
    failed = next(d for d in page.deployments if d.state == "ERROR")
    assert failed.error_message and failed.branch and failed.commit_sha and failed.commit_author
    assert failed.duration_s and failed.duration_s > 0
    preview = next(d for d in page.deployments if d.target is None)
    assert preview.branch.startswith("feature/")


async def test_deployments_filtered_by_target(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    async with _client(standins, server) as client:
        page = await client.list_deployments(h.PROJECT_ID, target="production", limit=50)
    assert page.deployments and all(d.target == "production" for d in page.deployments)
    assert page.next_until is None


async def test_deployment_and_build_events(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    failed = next(d for d in server.data.deployments if d.state == "ERROR")
    async with _client(standins, server) as client:
        deployment = await client.get_deployment(failed.uid)
        events = await client.deployment_events(failed.uid)
    assert deployment.id == failed.uid and deployment.state == "ERROR"
    assert deployment.commit_message == failed.commit.message
    assert any(e.type == "stderr" and "exited with 1" in e.text for e in events)
    assert events[0].created_at <= events[-1].created_at


async def test_env_vars_are_fingerprinted_never_kept(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    async with _client(standins, server) as client:
        hidden = await client.list_project_env(h.PROJECT_NAME)
        shown = await client.list_project_env(h.PROJECT_NAME, decrypt=True)
    by_key = {(e.key, e.targets): e for e in shown}
    db = by_key[("DATABASE_URL", ("production",))]
    assert db.decrypted and db.fingerprint == value_fingerprint(
        "postgresql://postgres.prod:sandbox@db.realtor.internal:6543/postgres"
    )
    assert by_key[("NEXTAUTH_SECRET", ("production", "preview"))].fingerprint is None, (
        "sensitive: never readable"
    )
    assert all(e.fingerprint is None for e in hidden if e.type == "encrypted")
    assert all(e.fingerprint for e in hidden if e.type == "plain")
    text = repr(shown) + repr(hidden)
    assert "sandbox@db" not in text and "sandbox-nextauth-secret" not in text


async def test_rollback_promote_cancel_change_the_stand_in(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    data = server.data
    current = data.production_id
    earlier = next(d for d in data.deployments if d.promoted and d.uid != current)
    building = next(d for d in data.deployments if d.state == "BUILDING")
    async with _client(standins, server) as client:
        rolled = await client.rollback(h.PROJECT_ID, earlier.uid, description="listing pages broke")
        assert data.rollback_description == "listing pages broke"
        # The alias job is asynchronous, as on Vercel: it completes as the project is polled.
        while data.alias_job is not None and data.alias_job.status in ("pending", "in-progress"):
            await client.project(h.PROJECT_ID)
        assert data.production_id == earlier.uid
        promoted = await client.promote(h.PROJECT_ID, current)
        while data.alias_job.status in ("pending", "in-progress"):
            await client.project(h.PROJECT_ID)
        assert data.production_id == current
        canceled = await client.cancel(building.uid)
    assert rolled.status == 201 and promoted.action == "promote"
    assert canceled.state == "CANCELED" and building.state == "CANCELED"


async def test_refused_actions_carry_vercels_reason(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    ready = next(d for d in server.data.deployments if d.state == "READY")
    async with _client(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.cancel(ready.uid)
        with pytest.raises(ConnectionFailure) as again:
            await client.promote(h.PROJECT_ID, server.data.production_id)
    assert info.value.kind is FailureKind.PROTOCOL and info.value.status == 400
    assert info.value.message.startswith(f"Vercel refused to cancel deployment '{ready.uid}' (400)")
    assert "still building" in info.value.message
    assert again.value.status == 409 and "already the current production" in again.value.message
    assert len(server.log) == 2, "refusals are not retried"


async def test_other_team_is_a_permission_failure(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    async with VercelClient(vercel.TOKEN, team_id="team_someoneElse", base_url=server.base_url) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.check_token(h.PROJECT_NAME)
    assert info.value.kind is FailureKind.PERMISSION
    assert info.value.message == "Vercel's token lacks permission for project 'realtor-platform' (403)"


async def test_post_is_not_retried_after_a_server_error(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    earlier = next(d for d in server.data.deployments if d.promoted and d.uid != server.data.production_id)
    server.inject(status=500, times=5)
    async with _client(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.rollback(h.PROJECT_ID, earlier.uid)
    assert info.value.kind is FailureKind.SERVER_ERROR
    assert len(server.log) == 1, "a rollback may have happened: never sent twice"


async def test_post_is_not_retried_after_a_dropped_connection(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    earlier = next(d for d in server.data.deployments if d.promoted and d.uid != server.data.production_id)
    server.inject(drop=True, times=5)
    async with _client(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.promote(h.PROJECT_ID, earlier.uid)
    assert info.value.kind is FailureKind.DROPPED
    assert len(server.log) == 1

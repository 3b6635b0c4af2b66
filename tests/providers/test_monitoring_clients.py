"""Sentry, Better Stack and Upstash clients against their stand-ins (spec-validated)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox.provider_standins import sentry, upstash
from services.core.errors import ConnectionFailure, FailureKind
from services.providers import BetterStackClient, SentryClient, UpstashClient
from tests.providers.conftest import Standins

PROJECT = sentry.PROJECT["id"]

# -- Sentry -------------------------------------------------------------------------------------


async def test_sentry_follows_next_while_results_true(standins: Standins) -> None:
    server, _ = standins.start("sentry")
    async with standins.client("sentry", server) as client:
        assert isinstance(client, SentryClient)
        found = await client.unresolved_issues(sentry.ORG, PROJECT, per_page=5, max_pages=10)
    unresolved = [i for i, _ in server.data.issues if i["status"] == "unresolved"]
    assert len(found.issues) == len(unresolved) == 12 and not found.truncated
    assert len(server.log) == 3, 'the last page\'s next link says results="false": not followed'
    assert len({i.id for i in found.issues}) == 12
    assert all(i.status == "unresolved" for i in found.issues)
    first = found.issues[0]
    assert (
        first.events > 0 and first.users >= 0 and first.last_seen and first.permalink.startswith("https://")
    )
    assert first.project == "realtor-platform"


async def test_sentry_environment_filter_and_page_bound(standins: Standins) -> None:
    server, _ = standins.start("sentry")
    async with standins.client("sentry", server) as client:
        assert isinstance(client, SentryClient)
        staging = await client.unresolved_issues(sentry.ORG, PROJECT, environment="staging")
        bounded = await client.unresolved_issues(sentry.ORG, PROJECT, per_page=2, max_pages=2)
    titles = {i.title for i in staging.issues}
    assert "Error: JWT_SESSION_ERROR decryption operation failed" in titles
    assert not any("price" in t for t in titles), "a production-only issue is filtered out"
    assert len(bounded.issues) == 4 and bounded.truncated


async def test_sentry_check_token(standins: Standins) -> None:
    server, _ = standins.start("sentry")
    async with standins.client("sentry", server) as client:
        assert isinstance(client, SentryClient)
        check = await client.check_token(sentry.ORG, PROJECT)
        with pytest.raises(ConnectionFailure) as info:
            await client.check_token(sentry.ORG, "some-other-project")
    assert check.subject == f"organization '{sentry.ORG}', project '{PROJECT}'"
    assert info.value.kind is FailureKind.PERMISSION
    assert info.value.message == (
        f"Sentry's token lacks permission for organization '{sentry.ORG}', project 'some-other-project' (403)"
    )


# -- Better Stack -------------------------------------------------------------------------------


async def test_betterstack_monitors_sla_incidents(standins: Standins) -> None:
    server, _ = standins.start("betterstack")
    async with standins.client("betterstack", server) as client:
        assert isinstance(client, BetterStackClient)
        monitors = await client.list_monitors(per_page=2)
        production = next(m for m in monitors if m.url.endswith("realtor-platform.com/api/health"))
        today = server.data.now.date()
        sla = await client.monitor_sla(production.id, from_date=today - timedelta(days=29), to_date=today)
        open_only = await client.list_incidents(open_only=True)
        everything = await client.list_incidents(per_page=1)
        for_production = await client.list_incidents(monitor_id=production.id)
    assert len(monitors) == 5 and sum(1 for _, p, _ in server.log if p == "/api/v2/monitors") == 3
    assert {m.status for m in monitors} >= {"up", "down", "paused"}
    assert any(m.paused for m in monitors)
    assert sla.incidents == 1 and sla.total_downtime_s == 720 and 99.9 < sla.availability < 100
    assert [i.cause for i in open_only] == ["Status 503"] and open_only[0].open
    assert len(everything) == 2
    assert [i.id for i in for_production] == ["510001"] and not for_production[0].open


# -- Upstash ------------------------------------------------------------------------------------


async def test_upstash_databases_and_stats(standins: Standins) -> None:
    server, _ = standins.start("upstash")
    async with standins.client("upstash", server) as client:
        assert isinstance(client, UpstashClient)
        databases = await client.list_databases()
        db = await client.database(upstash.PRODUCTION_ID)
        stats = await client.stats(upstash.PRODUCTION_ID)
    assert {d.name for d in databases} == {"realtor-production-cache", "realtor-staging-cache"}
    assert db.memory_limit_bytes == 1024**3 and db.tls and db.eviction and db.plan == "payg"
    assert "password" not in repr(databases) and "sandbox-redis-password" not in repr(databases)
    assert stats.current_storage_bytes > 0 and stats.keyspace and stats.connections
    assert stats.hit_ratio is not None and 0.8 < stats.hit_ratio < 0.95
    assert len(stats.daily_requests) == 7 and stats.monthly_billing_usd > 0


async def test_upstash_not_found_mentions_the_marketplace(standins: Standins) -> None:
    server, _ = standins.start("upstash")
    async with standins.client("upstash", server) as client:
        assert isinstance(client, UpstashClient)
        with pytest.raises(ConnectionFailure) as info:
            await client.stats("no-such-db")
    assert info.value.kind is FailureKind.NOT_FOUND
    assert "Vercel's marketplace" in (info.value.hint or "")


# -- all stand-ins together ---------------------------------------------------------------------


async def test_start_all_gives_a_workspace_that_works() -> None:
    from sandbox.provider_standins import start_all
    from services.providers import CLIENTS

    group = start_all()
    try:
        settings = group.provider_settings("production")
        tokens = group.tokens()
        assert set(settings.api_base) == set(CLIENTS)
        async with UpstashClient(
            tokens["UPSTASH_API_KEY"], email=settings.upstash_email, base_url=settings.api_base["upstash"]
        ) as client:
            db = await client.database(settings.upstash_database_id)
        async with SentryClient(
            tokens["SENTRY_AUTH_TOKEN"], base_url=settings.api_base["sentry"]
        ) as sentry_client:
            check = await sentry_client.check_token(settings.sentry_org, settings.sentry_project)
    finally:
        group.stop()
    assert db.name == "realtor-production-cache"
    assert check.provider == "Sentry"

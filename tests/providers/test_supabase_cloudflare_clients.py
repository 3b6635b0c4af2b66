"""Supabase and Cloudflare clients against their stand-ins (spec-validated)."""

from __future__ import annotations

import pytest

from sandbox.provider_standins import cloudflare, supabase
from services.core.errors import ConnectionFailure, FailureKind
from services.providers import CloudflareClient, SupabaseClient
from tests.providers.conftest import Standins

# -- Supabase -----------------------------------------------------------------------------------


async def test_supabase_projects_health_backups(standins: Standins) -> None:
    server, _ = standins.start("supabase")
    server.data.unhealthy.add((supabase.STAGING_REF, "realtime"))
    async with standins.client("supabase", server) as client:
        assert isinstance(client, SupabaseClient)
        projects = await client.list_projects()
        project = await client.project(supabase.PRODUCTION_REF)
        prod_health = await client.project_health(supabase.PRODUCTION_REF)
        staging_health = await client.project_health(
            supabase.STAGING_REF, ["db", "realtime"], timeout_ms=2000
        )
        backups = await client.list_backups(supabase.PRODUCTION_REF)
    assert {p.name for p in projects} == {"realtor-production", "realtor-staging"}
    assert (
        project.status == "ACTIVE_HEALTHY" and project.db_host == f"db.{supabase.PRODUCTION_REF}.supabase.co"
    )
    assert all(s.healthy for s in prod_health) and {s.name for s in prod_health} >= {"db", "auth", "rest"}
    realtime = next(s for s in staging_health if s.name == "realtime")
    assert not realtime.healthy and realtime.status == "UNHEALTHY" and realtime.error
    assert len(backups.backups) == 7 and backups.walg_enabled and not backups.pitr_enabled
    latest = backups.latest_completed
    assert latest is not None and latest.inserted_at == max(b.inserted_at for b in backups.backups)


# -- Cloudflare ---------------------------------------------------------------------------------


def _cf(standins: Standins, server: object) -> CloudflareClient:
    client = standins.client("cloudflare", server)  # type: ignore[arg-type]
    assert isinstance(client, CloudflareClient)
    return client


async def test_cloudflare_zones_and_token(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    async with _cf(standins, server) as client:
        zones = await client.list_zones(per_page=5)
        by_name = await client.check_token(zone_name=cloudflare.ZONE_NAME)
        with pytest.raises(ConnectionFailure) as info:
            await client.check_token(zone_id="0" * 32)
    assert {z.id for z in zones} == {cloudflare.ZONE_ID, cloudflare.STAGING_ZONE_ID}
    assert by_name.subject == "zone 'realtor-platform.com'"
    assert info.value.kind is FailureKind.PERMISSION and "cannot see zone" in info.value.message


async def test_cloudflare_purge(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    async with _cf(standins, server) as client:
        everything = await client.purge_cache(cloudflare.ZONE_ID, everything=True)
        files = await client.purge_cache(
            cloudflare.ZONE_ID, files=["https://realtor-platform.com/listings/42"]
        )
        with pytest.raises(ValueError):
            await client.purge_cache(cloudflare.ZONE_ID)
        with pytest.raises(ValueError):
            await client.purge_cache(cloudflare.ZONE_ID, everything=True, tags=["listings"])
    assert everything.reference == cloudflare.ZONE_ID and files.action == "purge cache"
    assert server.data.purges == [
        {"zone": cloudflare.ZONE_ID, "purge_everything": True},
        {"zone": cloudflare.ZONE_ID, "files": ["https://realtor-platform.com/listings/42"]},
    ]


async def test_cloudflare_r2_buckets_follow_the_cursor_and_metrics(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    async with _cf(standins, server) as client:
        buckets = await client.list_r2_buckets(cloudflare.ACCOUNT_ID, per_page=3)
        metrics = await client.r2_metrics(cloudflare.ACCOUNT_ID)
    assert [b.name for b in buckets] == sorted(name for name, _, _ in cloudflare.BUCKETS)
    assert sum(1 for _, p, _ in server.log if p.endswith("/r2/buckets")) == 3
    backups = next(b for b in buckets if b.name == "realtor-backups")
    assert backups.storage_class == "InfrequentAccess" and backups.created_at is not None
    assert metrics.standard.objects > 100_000 and metrics.infrequent_access.payload_bytes > 0
    assert metrics.total_bytes > metrics.standard.payload_bytes


async def test_cloudflare_success_false_on_http_200_is_a_typed_failure(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    body = {
        "success": False,
        "errors": [{"code": 1003, "message": "Invalid or missing zone id."}],
        "messages": [],
        "result": [],
    }
    server.inject(status=200, body=body, times=1)
    async with _cf(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.list_zones()
    assert info.value.kind is FailureKind.PROTOCOL
    assert (
        info.value.message
        == "Cloudflare refused the request for zones: Invalid or missing zone id. (code 1003)"
    )


async def test_cloudflare_error_code_decides_the_kind(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    body = {
        "success": False,
        "errors": [{"code": 6003, "message": "Invalid request headers"}],
        "messages": [],
        "result": None,
    }
    server.inject(status=400, body=body, times=1)
    async with _cf(standins, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.purge_cache(cloudflare.ZONE_ID, everything=True)
    assert info.value.kind is FailureKind.AUTH and info.value.status == 400
    assert "Invalid request headers (code 6003)" in info.value.message

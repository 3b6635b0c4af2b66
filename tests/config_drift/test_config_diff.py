"""``config diff`` against the stand-ins: the seed next to what is configured live, item by item.

The sandbox's stand-ins differ from the seed in at least one item of each kind (their module docstrings
say which); these tests read them through the real clients, S3 endpoint and platform stand-in, from a
``viewer`` workspace (nothing here needs more: it only reads)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.provider_standins.live_config import cache_rule, live_config, pooler_entry
from services.config_drift import ConfigDiffRequest, ConfigItem, ConfigReport, Kind, Status, config_diff
from services.config_drift.compare import Read, cache_items, functions_items
from services.core.seed_policy import SECURITY_HEADERS
from tests.config_drift.conftest import ConfigWorld


async def diff(world: ConfigWorld, env: str) -> ConfigReport:
    return await config_diff(world.ctx, ConfigDiffRequest(env))


def row(report: ConfigReport, kind: Kind, item: str) -> ConfigItem:
    found = [i for i in report.items if i.kind == kind and i.item == item]
    assert len(found) == 1, (kind, item, [(i.kind, i.item) for i in report.items])
    return found[0]


def make_everything_match(world: ConfigWorld) -> None:
    """Bring production's live configuration to exactly what the seed prescribes."""
    github = world.servers["github"].data
    with github.lock:
        github.files["vercel.json"] = json.dumps({
            "regions": ["lhr1", "iad1", "sfo1"],
            "functions": {"app/api/**/*.ts": {"memory": 1024, "maxDuration": 30}}}).encode()
    zone = world.env("production").providers.cloudflare_zone_id
    rules = live_config(world.servers["cloudflare"]).cache_rules[zone]
    rules[1] = cache_rule(zone, "API responses", 'starts_with(http.request.uri.path, "/api/")', 300)
    ref = world.env("production").providers.supabase_project_ref
    live_config(world.servers["supabase"]).poolers[ref] = [pooler_entry(ref, mode="transaction", clients=100,
                                                                        pool_size=20)]
    env = world.env("production")
    env.database.params = {"pgbouncer": "true", "connection_limit": "100", "pool_timeout": "30"}
    world.s3.put_bucket_lifecycle_configuration(Bucket=env.backup.bucket, LifecycleConfiguration={"Rules": [
        {"ID": "realtor-ops-backups", "Status": "Enabled", "Filter": {"Prefix": "database/"},
         "Expiration": {"Days": 2555}}]})
    world.s3.put_bucket_lifecycle_configuration(Bucket=env.storage.files_bucket, LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 90}},
        {"ID": "temp", "Status": "Enabled", "Filter": {"Prefix": "temp/"}, "Expiration": {"Days": 7}}]})


async def test_the_sandbox_differs_from_the_seed_in_every_kind(world: ConfigWorld) -> None:
    production, staging = await diff(world, "production"), await diff(world, "staging")
    for kind in Kind:
        differing = [i for r in (production, staging) for i in r.items if i.kind == kind and i.status == Status.DIFFERS]
        assert differing, f"no difference of kind {kind}"
    assert not production.failures and not staging.failures
    assert not production.all_match

    duration = row(production, Kind.FUNCTIONS, "max duration")
    assert duration.status == Status.DIFFERS and "app/api/**/*.ts: 60 s" in duration.live
    assert "60 s" in duration.explanation and "vercel.json" in duration.source
    regions = row(production, Kind.FUNCTIONS, "regions")
    assert (regions.status, regions.live) == (Status.DIFFERS, "iad1, sfo1") and "lhr1 is missing" in regions.explanation
    assert row(production, Kind.FUNCTIONS, "memory").status == Status.MATCHES

    api = row(production, Kind.CACHE, "API responses TTL")
    assert (api.seed, api.live, api.status) == ("5 min", "10 min", Status.DIFFERS)
    assert row(production, Kind.CACHE, "static assets TTL").status == Status.MATCHES
    assert row(staging, Kind.CACHE, "images TTL").status == Status.NOT_CONFIGURED

    assert row(production, Kind.DATABASE, "pooler connections").live == "60 client connections"
    assert row(production, Kind.DATABASE, "pooler connections").status == Status.DIFFERS
    mode = row(staging, Kind.DATABASE, "pool mode")
    assert (mode.live, mode.status) == ("session mode", Status.DIFFERS)
    assert row(production, Kind.DATABASE, "connection_limit").status == Status.NOT_CONFIGURED

    memory = row(staging, Kind.REDIS, "max memory")
    assert (memory.seed, memory.live, memory.status) == ("1 GB", "256 MB", Status.DIFFERS)
    assert row(production, Kind.REDIS, "max memory").status == Status.MATCHES

    assert row(production, Kind.BACKUP, "schedule").status == Status.MATCHES
    schedule = row(staging, Kind.BACKUP, "schedule")
    assert (schedule.live, schedule.status) == ("0 5 * * 1", Status.DIFFERS)
    assert row(staging, Kind.BACKUP, "retention").status == Status.NOT_CONFIGURED

    temp = row(production, Kind.STORAGE, "temp files expiry")
    assert (temp.seed, temp.live, temp.status) == ("7 d", "14 d", Status.DIFFERS)
    assert row(production, Kind.STORAGE, "logs expiry").status == Status.MATCHES

    prefetch = row(staging, Kind.HEADERS, "X-DNS-Prefetch-Control")
    assert (prefetch.seed, prefetch.live, prefetch.status) == ("on", "off", Status.DIFFERS)
    assert {i.item for i in production.items if i.kind == Kind.HEADERS} == {n for n, _ in SECURITY_HEADERS}
    assert all(i.status == Status.MATCHES for i in production.items if i.kind == Kind.HEADERS)
    # Nothing was changed: every request the stand-ins saw was a read.
    for server in world.servers.values():
        assert {method for method, _, _ in server.log} <= {"GET"}, server.log


async def test_a_live_configuration_as_the_seed_says_matches_item_by_item(world: ConfigWorld) -> None:
    make_everything_match(world)
    report = await diff(world, "production")
    assert [i for i in report.items if i.status != Status.MATCHES] == []
    assert report.all_match and {i.kind for i in report.items} == set(Kind)


async def test_a_weaker_graded_header_differs_with_the_graders_words(world: ConfigWorld) -> None:
    world.platforms["production"].override_header("Referrer-Policy", "unsafe-url")
    world.platforms["production"].drop_header("Permissions-Policy")
    report = await diff(world, "production")
    referrer = row(report, Kind.HEADERS, "Referrer-Policy")
    assert (referrer.live, referrer.status) == ("unsafe-url", Status.DIFFERS)
    assert referrer.explanation
    assert row(report, Kind.HEADERS, "Permissions-Policy").status == Status.NOT_CONFIGURED


async def test_without_vercel_json_the_projects_function_defaults_are_compared(world: ConfigWorld) -> None:
    github = world.servers["github"].data
    with github.lock:
        del github.files["vercel.json"]
    report = await diff(world, "production")
    memory = row(report, Kind.FUNCTIONS, "memory")
    assert memory.status == Status.DIFFERS and "'standard'" in memory.live and "Vercel project" in memory.source
    duration = row(report, Kind.FUNCTIONS, "max duration")
    assert (duration.live, duration.status) == ("project default: 60 s", Status.DIFFERS)
    regions = row(report, Kind.FUNCTIONS, "regions")
    assert (regions.live, regions.status) == ("iad1", Status.DIFFERS)
    assert "sfo1, lhr1 are missing" in regions.explanation


async def test_a_source_that_fails_is_named_and_the_rest_are_shown(world: ConfigWorld) -> None:
    world.servers["supabase"].inject(status=403, times=5, path="/v1/projects")
    world.servers["cloudflare"].inject(status=401, times=5)
    env = world.env("production")
    env.backup.bucket = "cfg-no-such-bucket-x1"
    report = await diff(world, "production")

    pool = row(report, Kind.DATABASE, "pool mode")
    assert pool.status == Status.UNREADABLE and pool.live == ""
    assert "Supabase pooler" in pool.explanation and "permission" in pool.explanation
    for item in ("static assets TTL", "API responses TTL", "images TTL"):
        cache = row(report, Kind.CACHE, item)
        assert cache.status == Status.UNREADABLE and "rejected the token" in cache.explanation
    retention = row(report, Kind.BACKUP, "retention")
    assert retention.status == Status.UNREADABLE and "does not exist" in retention.explanation
    failed = {f.source for f in report.failures}
    assert failed == {pool.source, row(report, Kind.CACHE, "images TTL").source, retention.source}
    # The rest is read as before.
    assert row(report, Kind.FUNCTIONS, "max duration").status == Status.DIFFERS
    assert row(report, Kind.REDIS, "max memory").status == Status.MATCHES
    assert row(report, Kind.STORAGE, "temp files expiry").status == Status.DIFFERS
    assert row(report, Kind.DATABASE, "connection_limit").status == Status.NOT_CONFIGURED
    # No secret in any row.
    text = json.dumps(report.to_json())
    assert not any(secret in text for secret in world.secrets.values())


async def test_the_site_down_and_tokens_missing_are_named(world: ConfigWorld) -> None:
    world.platforms["staging"].stop()
    del world.secrets["STAGING_UPSTASH_API_KEY"]
    world.ctx.workspace.environment("staging").providers.github_repository = ""
    report = await diff(world, "staging")
    header = row(report, Kind.HEADERS, "Strict-Transport-Security")
    assert header.status == Status.UNREADABLE and "could not be fetched" in header.explanation
    redis = row(report, Kind.REDIS, "eviction")
    assert redis.status == Status.NOT_CONFIGURED and "UPSTASH_API_KEY" in redis.explanation
    schedule = row(report, Kind.BACKUP, "schedule")
    assert schedule.status == Status.NOT_CONFIGURED and "No GitHub repository" in schedule.explanation
    # vercel.json cannot be read without a repository: the project's defaults are compared instead.
    assert row(report, Kind.FUNCTIONS, "max duration").live == "project default: 60 s"


async def test_a_broken_vercel_json_is_named_with_its_line(world: ConfigWorld) -> None:
    github = world.servers["github"].data
    with github.lock:
        github.files["vercel.json"] = b'{\n  "regions": ["iad1",\n}\n'
    report = await diff(world, "production")
    for item in ("memory", "max duration", "regions"):
        r = row(report, Kind.FUNCTIONS, item)
        assert r.status == Status.UNREADABLE and "not valid JSON (line 3" in r.explanation


async def test_an_unknown_environment_is_a_configuration_error(world: ConfigWorld) -> None:
    from services.core.errors import OpsError

    with pytest.raises(OpsError) as caught:
        await diff(world, "qa")
    assert "qa" in str(caught.value)


# --- the comparison on its own: odd but possible live values ---------------------------------------


def _rules(*rules: dict[str, Any]) -> Read:
    return Read("rules", value=list(rules))


def test_cache_rules_disabled_uncached_or_following_the_origin_are_not_the_seeds() -> None:
    static = 'starts_with(http.request.uri.path, "/_next/static/")'
    disabled = cache_rule("z", "Static assets", static, 31_536_000, enabled=False)
    origin = {**cache_rule("z", "API", 'starts_with(http.request.uri.path, "/api/")', None)}
    origin["action_parameters"]["edge_ttl"] = {"mode": "respect_origin"}
    uncached = cache_rule("z", "Images", 'starts_with(http.request.uri.path, "/_next/image")', None, cache=False)
    items = {i.item: i for i in cache_items(_rules(disabled, origin, uncached))}
    assert items["static assets TTL"].status == Status.NOT_CONFIGURED
    assert (items["API responses TTL"].status, items["API responses TTL"].live) == (Status.DIFFERS, "respect_origin")
    assert (items["images TTL"].status, items["images TTL"].live) == (Status.DIFFERS, "not cached")
    # Of two rules for the same traffic, the later one's TTL is the one that applies.
    api = 'starts_with(http.request.uri.path, "/api/")'
    later = {i.item: i for i in cache_items(_rules(cache_rule("z", "API", api, 300), cache_rule("z", "API 2", api, 60)))}
    assert (later["API responses TTL"].live, later["API responses TTL"].status) == ("1 min", Status.DIFFERS)
    # A zone without cache rules: every TTL is not configured.
    assert {i.status for i in cache_items(_rules())} == {Status.NOT_CONFIGURED}


def test_memory_differing_in_one_pattern_is_named() -> None:
    vercel_json = Read("vercel.json", value={"functions": {"a/*.ts": {"memory": 1024}, "b/*.ts": {"memory": 3009}}})
    memory = functions_items(vercel_json, Read("project", value={}))[0]
    assert memory.status == Status.DIFFERS and "b/*.ts 3009 MB" in memory.explanation
    assert "a/*.ts" not in memory.explanation


def test_the_report_counts_and_serialises_every_row() -> None:
    items = (ConfigItem(Kind.REDIS, "max memory", "1 GB", "1 GB", Status.MATCHES, "Same.", "x"),
             ConfigItem(Kind.CACHE, "images TTL", "30 d", "", Status.UNREADABLE, "Down.", "y"))
    report = ConfigReport("qa", items)
    assert report.summary() == "qa: 1 matches, 1 could not be read"
    assert [i["status"] for i in report.to_json()["items"]] == ["matches", "could not be read"]
    assert set(report.to_json()["items"][0]) == {"kind", "item", "seed", "live", "status", "explanation", "source"}



def test_odd_values_in_vercel_json_are_never_taken_for_the_seeds() -> None:
    vercel_json = Read("vercel.json", value={"regions": ["iad1", "sfo1", "lhr1"], "functions": {
        "a/*.ts": {"memory": "1024", "maxDuration": 30.0}, "b/*.ts": {"memory": True, "maxDuration": None},
        "c/*.ts": "not an object"}})
    items = {i.item: i for i in functions_items(vercel_json, Read("project", value={}))}
    assert items["memory"].status == Status.DIFFERS
    assert "'1024'" in items["memory"].live and "True" in items["memory"].live
    assert items["max duration"].status == Status.DIFFERS and "a/*.ts: 30 s" in items["max duration"].live
    assert items["regions"].status == Status.MATCHES


async def test_a_deeply_nested_vercel_json_is_named_not_a_crash(world: ConfigWorld) -> None:
    github = world.servers["github"].data
    with github.lock:
        github.files["vercel.json"] = b"[" * 100_000 + b"]" * 100_000
    report = await diff(world, "production")
    assert row(report, Kind.FUNCTIONS, "regions").status == Status.UNREADABLE
    assert "nested too deeply" in row(report, Kind.FUNCTIONS, "regions").explanation
    assert row(report, Kind.CACHE, "static assets TTL").status == Status.MATCHES


async def test_upstash_with_eviction_off_differs(world: ConfigWorld) -> None:
    data = world.servers["upstash"].data
    db_id = world.env("production").providers.upstash_database_id
    data.databases[db_id]["eviction"] = False
    data.databases[db_id]["db_memory_threshold"] = 2 * 1024**3
    report = await diff(world, "production")
    eviction = row(report, Kind.REDIS, "eviction")
    assert (eviction.live, eviction.status) == ("eviction off", Status.DIFFERS) and "writes fail" in eviction.explanation
    memory = row(report, Kind.REDIS, "max memory")
    assert (memory.live, memory.status) == ("2 GB", Status.DIFFERS) and "more than" in memory.explanation


async def test_progress_counts_every_source_read(world: ConfigWorld) -> None:
    from services.core.progress import Progress

    progress = Progress(unit="items")
    report = await config_diff(world.ctx, ConfigDiffRequest("production"), None, progress)
    snapshot = progress.snapshot()
    # Ten sources; the Vercel project's defaults are read but not shown while vercel.json sets all three.
    assert snapshot.total == snapshot.done == 10
    assert len({i.source for i in report.items}) == 9

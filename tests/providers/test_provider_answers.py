"""Answers a provider may give that the clients must survive: values at the edge of what the specs
allow, lists with one odd item, other shapes of the same answer, rate limits with the provider's own
wait signal, lists that stop at their page limit. The stand-ins serve them (their real answers,
rewritten on the way out), validated against the specs when present (see conftest)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sandbox.provider_standins import betterstack, cloudflare, sentry, supabase, upstash
from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import StandinRequest, StandinResponse
from sandbox.provider_standins.server import StandinServer
from services.core.errors import ConfigError, ConnectionFailure, FailureKind
from services.core.workspace import ProviderSettings
from services.providers import (
    BetterStackClient,
    CloudflareClient,
    GitHubClient,
    SentryClient,
    SupabaseClient,
    UpstashClient,
    VercelClient,
)
from services.providers.answer_fields import parse_time
from services.providers.factory import build_client
from services.providers.http_policy import RetryPolicy
from tests.providers.conftest import CASES, REPO, Standins

Rewrite = Callable[[Any], Any]


def rewrite(
    server: StandinServer, path: str, change: Rewrite, *, raw: bool = False, times: int | None = None
) -> None:
    """Rewrite the stand-in's JSON answers to requests below ``path`` with ``change`` (a copy), the
    first ``times`` of them (all by default). With ``raw``, ``change`` returns the body's text (for
    numbers JSON can hold and Python cannot)."""
    left = [times]

    def transform(request: StandinRequest, response: StandinResponse) -> StandinResponse:
        if not request.path.startswith(path) or response.status != 200 or isinstance(response.body, bytes):
            return response
        if left[0] is not None:
            if left[0] <= 0:
                return response
            left[0] -= 1
        body = json.loads(json.dumps(response.body))
        changed = change(body)
        response.body = changed.encode() if raw else changed
        return response

    server.answer_transform = transform


# -- values at the edge of what a number or a date can be ------------------------------------------


async def test_vercel_created_at_the_largest_double_is_unknown(standins: Standins) -> None:
    server, _ = standins.start("vercel")

    def huge(body: Any) -> Any:
        first, second = body["deployments"][:2]
        first["created"] = 1.7976931348623157e308  # the spec says number: any double is valid
        first.pop("createdAt", None)
        second["buildingAt"] = 1.7976931348623157e308
        second["ready"] = 9223372036854775807
        return body

    rewrite(server, "/v7/deployments", huge, times=1)
    async with standins.client("vercel", server) as client:
        assert isinstance(client, VercelClient)
        page = await client.list_deployments(h.PROJECT_ID, limit=10)
    assert len(page.deployments) == 10, "the odd deployment is left out, the next page fills its place"
    assert len(page.skipped) == 1 and "no usable creation time" in page.skipped[0]
    assert page.deployments[0].building_at is None and page.deployments[0].ready_at is None


async def test_upstash_creation_time_of_2_63_is_unknown(standins: Standins) -> None:
    server, _ = standins.start("upstash")

    def far(body: Any) -> Any:
        for database in body:
            database["creation_time"] = 2**63 - 1
        return body

    rewrite(server, "/redis/databases", far)
    async with standins.client("upstash", server) as client:
        assert isinstance(client, UpstashClient)
        databases = await client.list_databases()
    assert databases and all(d.created_at is None for d in databases)
    assert not databases.skipped


def _numbers_to(literal: str) -> Rewrite:
    """Every number in the answer becomes ``literal`` (JSON text such as ``1e400``)."""
    mark = "\u0000number\u0000"

    def walk(node: Any) -> Any:
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, (int, float)):
            return mark
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        return node

    return lambda body: json.dumps(walk(body)).replace(json.dumps(mark), literal)


Reads = Callable[[Any, dict[str, str]], list[Callable[[], Awaitable[Any]]]]


async def _ids(name: str, client: Any) -> dict[str, str]:
    """Identifiers to read, taken before the answers are rewritten."""
    if name == "vercel":
        page = await client.list_deployments(h.PROJECT_ID, limit=1)
        return {"deployment": page.deployments[0].id}
    if name == "github":
        runs = await client.list_workflow_runs(REPO, per_page=1)
        return {"run": str(runs.runs[0].id)}
    if name == "betterstack":
        return {"monitor": (await client.list_monitors())[0].id}
    return {}


READS: dict[str, Reads] = {
    "vercel": lambda c, ids: [
        lambda: c.project(h.PROJECT_NAME),
        lambda: c.list_deployments(h.PROJECT_ID, limit=5),
        lambda: c.get_deployment(ids["deployment"]),
        lambda: c.deployment_events(ids["deployment"]),
        lambda: c.list_project_env(h.PROJECT_NAME),
    ],
    "github": lambda c, ids: [
        lambda: c.check_token(REPO),
        lambda: c.list_workflow_runs(REPO, per_page=5),
        lambda: c.get_run(REPO, int(ids["run"])),
        lambda: c.list_run_jobs(REPO, int(ids["run"])),
    ],
    "supabase": lambda c, ids: [
        lambda: c.list_projects(),
        lambda: c.project(supabase.PRODUCTION_REF),
        lambda: c.project_health(supabase.PRODUCTION_REF),
        lambda: c.list_backups(supabase.PRODUCTION_REF),
    ],
    "cloudflare": lambda c, ids: [
        lambda: c.check_token(zone_id=cloudflare.ZONE_ID),
        lambda: c.list_zones(),
        lambda: c.list_r2_buckets(cloudflare.ACCOUNT_ID),
        lambda: c.r2_metrics(cloudflare.ACCOUNT_ID),
    ],
    "sentry": lambda c, ids: [
        lambda: c.check_token(sentry.ORG, sentry.PROJECT["id"]),
        lambda: c.unresolved_issues(sentry.ORG, sentry.PROJECT["id"]),
    ],
    "betterstack": lambda c, ids: [
        lambda: c.check_token(),
        lambda: c.list_monitors(),
        lambda: c.list_incidents(),
        lambda: c.monitor_sla(ids["monitor"]),
    ],
    "upstash": lambda c, ids: [
        lambda: c.list_databases(),
        lambda: c.database(upstash.PRODUCTION_ID),
        lambda: c.stats(upstash.PRODUCTION_ID),
    ],
}


@pytest.mark.parametrize("literal", ["1e400", "1.7976931348623157e308", "9223372036854775807", "-1e400"])
async def test_any_number_beyond_range_in_any_answer_is_never_a_crash(
    case: Any, literal: str, standins: Standins
) -> None:
    # Python reads 1e400 as infinity, which the validator's integer checks refuse (it is a valid
    # JSON number); 2**63-1 breaks fields declared int32. Those verdicts are not the point here.
    standins.expect_violations()
    server, _ = standins.start(case.name)
    async with standins.client(case.name, server) as client:
        ids = await _ids(case.name, client)
        rewrite(server, "/", _numbers_to(literal), raw=True)
        outcomes = []
        for read in READS[case.name](client, ids):
            try:
                outcomes.append(await read())
            except ConnectionFailure as failure:  # typed: fine; anything else fails the test
                assert failure.kind is FailureKind.PROTOCOL, failure
                outcomes.append(failure)
    assert len(outcomes) == len(READS[case.name](client, ids))


ODD_VALUES: list[Any] = [
    None, "", "x", "\ud800", [], {}, [None], {"id": None}, True, False, 0, -1, 2**63 - 1, 1.5,
    float("inf"), float("-inf"), "2016-12-31T23:59:60Z", "0000-01-01T00:00:00Z", "2026-13-45T99:99:99Z",
]


def _scramble(seed: int, rate: float, applied: list[int]) -> Rewrite:
    """Replace a random share of the answer's values (at any depth, or the whole answer) with odd
    ones: other types, null, out-of-range numbers, impossible dates, lone surrogates."""
    rng = random.Random(seed)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: rng.choice(ODD_VALUES) if rng.random() < rate else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rng.choice(ODD_VALUES) if rng.random() < rate else walk(v) for v in node]
        return node

    def change(body: Any) -> str:
        applied.append(seed)
        whole = rng.random() < 0.1
        # json.dumps writes infinity as Infinity, which Python's (and httpx's) JSON reader accepts
        return json.dumps(rng.choice(ODD_VALUES) if whole else walk(body))

    return change


@pytest.mark.parametrize("rate", [0.05, 0.3])
async def test_scrambled_answers_raise_only_typed_failures(case: Any, rate: float, standins: Standins) -> None:
    standins.expect_violations()  # scrambled answers break the spec on purpose
    server, _ = standins.start(case.name)
    kinds: set[str] = set()
    applied: list[int] = []
    async with standins.client(case.name, server) as client:
        ids = await _ids(case.name, client)
        for seed in range(10):
            rewrite(server, "/", _scramble(seed, rate, applied), raw=True)
            for read in READS[case.name](client, ids):
                try:
                    answer = await read()
                except ConnectionFailure as failure:  # typed; anything else (a traceback) fails the test
                    assert "Traceback" not in failure.message
                    kinds.add("typed failure")
                else:
                    kinds.add(type(answer).__name__)
    assert len(set(applied)) == 10, "every round's answers were scrambled"
    if rate >= 0.3:
        assert "typed failure" in kinds, "heavy scrambling reached the parsers"


def test_rfc3339_leap_second_lower_case_and_long_fractions() -> None:
    assert parse_time("2016-12-31T23:59:60Z") == parse_time("2016-12-31T23:59:59Z")
    assert parse_time("2026-03-01t10:00:00z") == parse_time("2026-03-01T10:00:00Z")
    assert parse_time("2026-03-01T10:00:00.123456789+02:00") == parse_time("2026-03-01T08:00:00.123456Z")
    assert parse_time("0000-01-01T00:00:00Z") is None  # RFC 3339 allows year 0; no calendar here does
    with pytest.raises(ValueError):
        parse_time("2026-13-01T00:00:00Z")


async def test_leap_seconds_and_lower_case_dates_in_answers(standins: Standins) -> None:
    standins.expect_violations()  # RFC 3339 allows :60; the validator's date-time format check does not
    server, _ = standins.start("github")
    async with standins.client("github", server) as client:
        assert isinstance(client, GitHubClient)
        before = await client.list_workflow_runs(REPO, per_page=3)

        def odd_dates(body: Any) -> Any:
            body["workflow_runs"][0]["created_at"] = "2026-06-30T23:59:60Z"
            body["workflow_runs"][1]["updated_at"] = body["workflow_runs"][1]["updated_at"].lower()
            return body

        rewrite(server, f"/repos/{REPO}/actions/workflows", odd_dates)
        after = await client.list_workflow_runs(REPO, per_page=3)
    assert len(after.runs) == len(before.runs) == 3 and not after.skipped
    assert after.runs[0].created_at.second == 59
    assert after.runs[1].updated_at == before.runs[1].updated_at


# -- one odd item never fails a whole list ---------------------------------------------------------


async def test_vercel_deployments_without_state_or_uid_are_skipped_and_named(standins: Standins) -> None:
    server, _ = standins.start("vercel")

    def odd(body: Any) -> Any:
        first, second = body["deployments"][:2]
        first.pop("state", None)
        first.pop("readyState", None)
        second["uid"] = ""
        return body

    rewrite(server, "/v7/deployments", odd, times=1)
    async with standins.client("vercel", server) as client:
        assert isinstance(client, VercelClient)
        page = await client.list_deployments(h.PROJECT_ID, limit=10, page_size=10)
    assert len(page.deployments) == 10 and len(page.skipped) == 2
    assert any("no state" in note for note in page.skipped) and any("no id" in note for note in page.skipped)


async def test_vercel_null_events_and_lone_surrogates(standins: Standins) -> None:
    standins.expect_violations()  # a null event is outside the events' oneOf
    server, _ = standins.start("vercel")
    async with standins.client("vercel", server) as client:
        assert isinstance(client, VercelClient)
        # A finished deployment: a building one's events grow from one request to the next.
        listed = (await client.list_deployments(h.PROJECT_ID, limit=20)).deployments
        deployment = next(d for d in listed if d.state == "READY")
        events = await client.deployment_events(deployment.id)
        rewrite(server, f"/v3/deployments/{deployment.id}/events", lambda body: [None, *body, None])
        with_nulls = await client.deployment_events(deployment.id)
        assert list(with_nulls) == list(events) and len(with_nulls.skipped) == 2

        def surrogate(body: Any) -> str:
            body["envs"][0].update(type="plain", value="\ud800x")
            return json.dumps(body)  # keeps the lone surrogate as the JSON escape \ud800

        rewrite(server, f"/v10/projects/{h.PROJECT_NAME}/env", surrogate, raw=True)
        envs = await client.list_project_env(h.PROJECT_NAME)
    assert envs[0].fingerprint is not None and len(envs[0].fingerprint) == 64


async def test_vercel_env_list_in_its_single_variable_shape(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    async with standins.client("vercel", server) as client:
        assert isinstance(client, VercelClient)
        every = await client.list_project_env(h.PROJECT_NAME)
        rewrite(server, f"/v10/projects/{h.PROJECT_NAME}/env", lambda body: body["envs"][0])
        single = await client.list_project_env(h.PROJECT_NAME)
    assert [v.key for v in single] == [every[0].key]


async def test_optional_fields_missing_in_upstash_r2_and_cloudflare(standins: Standins) -> None:
    up, _ = standins.start("upstash")
    cf, _ = standins.start("cloudflare")
    rewrite(up, "/redis/databases", lambda body: [{"database_id": d["database_id"]} for d in body])

    def bare(body: Any) -> Any:
        if isinstance(body.get("result"), dict) and "buckets" in body["result"]:
            body["result"]["buckets"] = [{"name": b["name"]} for b in body["result"]["buckets"]]
            body.pop("result_info", None)
        elif isinstance(body.get("result"), list):  # zones without the fields the schema leaves optional
            body["result"] = [{k: v for k, v in z.items() if k not in ("status", "paused")} for z in body["result"]]
        elif isinstance(body.get("result"), dict):  # R2 metrics: no classes at all
            body["result"] = {}
        return body

    rewrite(cf, "/", bare)
    async with standins.client("upstash", up) as upc, standins.client("cloudflare", cf) as cfc:
        assert isinstance(upc, UpstashClient) and isinstance(cfc, CloudflareClient)
        databases = await upc.list_databases()
        buckets = await cfc.list_r2_buckets(cloudflare.ACCOUNT_ID)
        zones = await cfc.list_zones()
        metrics = await cfc.r2_metrics(cloudflare.ACCOUNT_ID)
    assert len(databases) == 2 and all(d.name == d.id and d.created_at is None for d in databases)
    assert buckets and all(b.created_at is None and b.location is None for b in buckets)
    assert zones and zones[0].status == "" and zones[0].paused is False
    assert metrics.total_bytes == 0


async def test_cloudflare_purge_with_result_null_and_errors_not_a_list(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    rewrite(server, f"/zones/{cloudflare.ZONE_ID}/purge_cache", lambda body: {**body, "result": None})
    async with standins.client("cloudflare", server) as client:
        assert isinstance(client, CloudflareClient)
        accepted = await client.purge_cache(cloudflare.ZONE_ID, everything=True)
        assert accepted.reference == ""
        standins.expect_violations()  # errors as one object / a sentence is outside the schema
        for errors in ({"code": 9109, "message": "Unauthorized"}, "Unauthorized to access", 7, None):
            body = {"success": False, "errors": errors, "messages": [], "result": None}
            server.inject(status=200, body=body, times=1)
            with pytest.raises(ConnectionFailure) as info:
                await client.list_zones()
            assert info.value.message.startswith("Cloudflare refused the request for zones")
        assert info.value.kind is FailureKind.PROTOCOL


async def test_better_stack_next_that_is_not_a_string_ends_the_paging(standins: Standins) -> None:
    standins.expect_violations()  # pagination.next is declared a string (or null)
    server, _ = standins.start("betterstack")

    def numbered(body: Any) -> Any:
        body["pagination"]["next"] = 2 if body["pagination"].get("next") else None
        return body

    rewrite(server, "/api/v2/monitors", numbered)
    async with standins.client("betterstack", server) as client:
        assert isinstance(client, BetterStackClient)
        monitors = await client.list_monitors(per_page=1)
    assert len(monitors) == 1 and not monitors.more


# -- rate limits: the provider's own wait signal ----------------------------------------------------


SIGNALS = {
    "vercel": {"X-RateLimit-Reset": "{epoch}"},
    "sentry": {"X-Sentry-Rate-Limit-Reset": "{epoch}"},
    "supabase": {"X-RateLimit-Reset": "1"},
    "cloudflare": {"Ratelimit": '"default";r=0;t=1'},
}


@pytest.mark.parametrize("name", sorted(SIGNALS))
async def test_429_without_retry_after_waits_for_the_providers_signal(name: str, standins: Standins) -> None:
    server, _ = standins.start(name)
    epoch = str(int(time.time()) + 2)
    headers = {k: v.format(epoch=epoch) for k, v in SIGNALS[name].items()}
    server.inject(status=429, headers=headers, times=1)
    case = CASES[name]
    patient = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, max_retry_after=5.0)
    async with standins.client(name, server, retry=patient) as client:
        started = time.monotonic()
        await case.probe(client)
        waited = time.monotonic() - started
    assert [s for _, _, s in server.log[:2]] == [429, 200]
    assert waited >= 0.9, f"the retry came after {waited:.2f} s, before the provider's reset"


async def test_429_whose_signal_is_beyond_the_cap_fails_saying_when(standins: Standins) -> None:
    server, _ = standins.start("vercel")
    reset = int(time.time()) + 3600
    body = {"error": {"code": "rate_limited", "message": "Rate limit exceeded", "limit": {"reset": reset}}}
    server.inject(status=429, body=body, times=1)
    async with standins.client("vercel", server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await CASES["vercel"].probe(client)
    assert info.value.kind is FailureKind.RATE_LIMITED
    assert info.value.retry_after is not None and 3500 < info.value.retry_after <= 3600
    assert len(server.log) == 1


async def test_github_secondary_rate_limit_403_is_a_rate_limit_and_retried(standins: Standins) -> None:
    server, _ = standins.start("github")
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
    server.inject(status=403, body=body, headers={"Retry-After": "0.05", "X-RateLimit-Remaining": "4999"}, times=1)
    async with standins.client("github", server) as client:
        await CASES["github"].probe(client)
    assert [s for _, _, s in server.log[:2]] == [403, 200]

    server.inject(status=403, body=body, headers={"X-RateLimit-Remaining": "4990"}, times=3)
    async with standins.client("github", server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await CASES["github"].probe(client)
    assert info.value.kind is FailureKind.RATE_LIMITED, "not 'missing permission'"
    assert info.value.retry_after == 60  # GitHub: wait at least a minute when it names no time


# -- lists that stop early say so; checks look everywhere -------------------------------------------


async def test_cloudflare_check_token_finds_a_zone_on_page_6(standins: Standins) -> None:
    server, _ = standins.start("cloudflare")
    wanted = "a" * 32
    template: dict[str, Any] = {}

    def many_zones(body: Any) -> Any:
        if not isinstance(body.get("result"), list):
            return body
        template.update(template or body["result"][0])
        page = int(body["result_info"]["page"])
        per_page = int(body["result_info"]["per_page"])
        zones = []
        for index in range(per_page):
            number = (page - 1) * per_page + index
            zone_id = wanted if number == 5 * per_page + 3 else f"{number:032x}"
            zones.append({**template, "id": zone_id, "name": f"zone{number}.example"})
        body["result"] = zones
        body["result_info"].update(count=per_page, total_count=8 * per_page, total_pages=8)
        return body

    rewrite(server, "/zones", many_zones)
    async with standins.client("cloudflare", server) as client:
        assert isinstance(client, CloudflareClient)
        check = await client.check_token(zone_id=wanted)
    assert check.subject == "zone 'zone253.example'"
    assert len(server.log) == 6


async def test_github_jobs_and_better_stack_incidents_say_more(standins: Standins) -> None:
    gh, _ = standins.start("github")
    bs, _ = standins.start("betterstack")
    async with standins.client("github", gh) as ghc, standins.client("betterstack", bs) as bsc:
        assert isinstance(ghc, GitHubClient) and isinstance(bsc, BetterStackClient)
        runs = await ghc.list_workflow_runs(REPO, per_page=50)
        busiest = None
        for run in runs.runs:
            jobs = await ghc.list_run_jobs(REPO, run.id)
            if len(jobs) >= 2:
                busiest = run
                break
        assert busiest is not None, "the stand-in has a run with two jobs or more"
        all_jobs = await ghc.list_run_jobs(REPO, busiest.id)
        cut = await ghc.list_run_jobs(REPO, busiest.id, per_page=1, max_pages=1)
        assert not all_jobs.more and cut.more and len(cut) == 1
        incidents = await bsc.list_incidents(per_page=1, max_pages=1)
        every = await bsc.list_incidents(per_page=1, max_pages=100)
    assert len(every) >= 2 and incidents.more and not every.more


async def test_better_stack_check_token_counts_every_monitor(standins: Standins) -> None:
    server, _ = standins.start("betterstack")
    template = server.data.monitors[0]
    server.data.monitors[:] = [
        {**template, "id": str(900000 + n), "attributes": {**template["attributes"], "pronounceable_name": f"m{n}"}}
        for n in range(260)
    ]
    async with standins.client("betterstack", server) as client:
        assert isinstance(client, BetterStackClient)
        check = await client.check_token()
    assert check.note == "260 monitor(s) visible"


# -- Sentry: the body proves the token; the region is a setting -------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"<!doctype html><html><body>Sign in to Sentry</body></html>", b"", b'[{"id": "1", "title": "Type'],
    ids=["login-page", "empty", "truncated"],
)
async def test_sentry_check_token_reads_the_body(body: bytes, standins: Standins) -> None:
    standins.expect_violations()  # these 200s do not fit the spec, on purpose
    server, _ = standins.start("sentry")
    server.inject(status=200, body=body, times=1)
    async with standins.client("sentry", server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await CASES["sentry"].probe(client)
    assert info.value.kind is FailureKind.PROTOCOL
    assert info.value.message.startswith("Sentry sent an answer the console does not understand")


def test_sentry_region_setting() -> None:
    assert ProviderSettings().sentry_region == "us"
    us = build_client(ProviderSettings(), "sentry", "t")
    de = build_client(ProviderSettings(sentry_region="de"), "sentry", "t")
    proxied = build_client(ProviderSettings(sentry_region="de", api_base={"sentry": "http://127.0.0.1:9"}), "sentry", "t")
    assert isinstance(us, SentryClient) and us.base_url == "https://us.sentry.io"
    assert de.base_url == "https://de.sentry.io" and proxied.base_url == "http://127.0.0.1:9"
    with pytest.raises(ConfigError) as info:
        build_client(ProviderSettings(sentry_region="mars"), "sentry", "t")
    assert "'mars' is not a Sentry region" in info.value.message
    for client in (us, de, proxied):
        asyncio.run(client.aclose())


async def test_supabase_skips_an_odd_backup_and_keeps_the_rest(standins: Standins) -> None:
    server, _ = standins.start("supabase")

    def odd(body: Any) -> Any:
        body["backups"][0]["inserted_at"] = "yesterday"
        return body

    async with standins.client("supabase", server) as client:
        assert isinstance(client, SupabaseClient)
        before = await client.list_backups(supabase.PRODUCTION_REF)
        standins.expect_violations()  # "yesterday" is not a date-time
        rewrite(server, f"/v1/projects/{supabase.PRODUCTION_REF}/database/backups", odd)
        after = await client.list_backups(supabase.PRODUCTION_REF)
    assert len(after.backups) == len(before.backups) - 1 and len(after.skipped) == 1
    assert ("backup" in after.skipped[0] and "inserted_at" not in after.skipped[0]) or after.skipped


# -- what was skipped reaches the user ---------------------------------------------------------------


async def test_health_checks_say_what_they_could_not_read(standins: Standins) -> None:
    from sandbox.provider_standins import sandbox_identities
    from services.core.workspace import Environment, EnvironmentKind
    from services.health.checks.providers import BetterStackCheck, SentryCheck
    from services.health.runner import run_check
    from tests.health.conftest import context

    standins.expect_violations()  # a null issue and a monitor without attributes break the schemas
    sn, _ = standins.start("sentry")
    bs, _ = standins.start("betterstack")
    env = Environment(name="staging", kind=EnvironmentKind.STAGING)
    env.providers = ProviderSettings(
        **sandbox_identities("staging"), api_base={"sentry": sn.base_url, "betterstack": bs.base_url}
    )
    env.health.retries = 0
    wanted = env.providers.betterstack_monitor_ids[0]
    rewrite(sn, "/api/0/organizations", lambda body: [None, *body])

    def unreadable(body: Any) -> Any:
        for monitor in body["data"] if isinstance(body["data"], list) else ():  # not the SLA answers
            if str(monitor["id"]) == str(wanted):
                monitor["id"] = None
        return body

    rewrite(bs, "/api/v2/monitors", unreadable)
    ctx = context(SENTRY_AUTH_TOKEN=sentry.TOKEN, BETTERSTACK_API_TOKEN=betterstack.TOKEN)
    try:
        res = await run_check(SentryCheck(), env, ctx)
        assert res.detail.endswith("; 1 issue(s) could not be read"), res.detail
        res = await run_check(BetterStackCheck(), env, ctx)
        assert "not among the monitors the console could read" in " ".join(p.detail or "" for p in res.parts)
    finally:
        await ctx.aclose()

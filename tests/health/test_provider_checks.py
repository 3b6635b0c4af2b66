"""Sentry and Better Stack checks against their stand-ins (whose traffic is validated against the
providers' OpenAPI files), with the failure modes a real provider shows: a revoked token, a rate limit
with Retry-After, server errors, slowness and dropped connections. The poller keeps running through
all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from sandbox.provider_standins import betterstack, sandbox_identities, sentry
from sandbox.provider_standins.server import StandinServer
from services.core import workspace as ws
from services.health.checks import all_checks
from services.health.checks.providers import BetterStackCheck, SentryCheck
from services.health.model import Status
from services.health.poller import HealthPoller
from services.health.runner import run_check
from tests.health.conftest import context
from tests.providers.spec_validation import SpecValidator


@pytest.fixture
def sentry_server() -> Iterator[StandinServer]:
    yield from _run(sentry.create(), "sentry")


@pytest.fixture
def betterstack_server() -> Iterator[StandinServer]:
    yield from _run(betterstack.create(), "betterstack")


def _run(server: StandinServer, name: str) -> Iterator[StandinServer]:
    validator = SpecValidator(name)
    server.request_validator = validator
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.handler_errors, server.handler_errors
    assert not server.validator_errors, server.validator_errors
    assert not validator.violations, "\n".join(validator.violations)


def provider_env(name: str, kind: ws.EnvironmentKind, **api_base: str) -> ws.Environment:
    env = ws.Environment(name=name, kind=kind)
    env.providers = ws.ProviderSettings(**sandbox_identities(name), api_base=dict(api_base))
    env.health.timeout_s = 4.0
    env.health.retries = 0
    return env


def _unresolved(server: StandinServer, env: str) -> int:
    return sum(1 for issue, envs in server.data.issues if env in envs and issue["status"] == "unresolved")


TOKENS = {"SENTRY_AUTH_TOKEN": sentry.TOKEN, "BETTERSTACK_API_TOKEN": betterstack.TOKEN}
PROD, STAGING, DEV = ws.EnvironmentKind.PRODUCTION, ws.EnvironmentKind.STAGING, ws.EnvironmentKind.DEVELOPMENT


async def test_sentry_states_from_the_issues(sentry_server: StandinServer) -> None:
    ctx = context(**TOKENS)
    prod = provider_env("production", PROD, sentry=sentry_server.base_url)
    res = await run_check(SentryCheck(), prod, ctx)
    assert res.status is Status.DEGRADED, res.detail
    # Two production errors were seen in the last hour (12 min and 30 min ago).
    assert res.detail.startswith("2 unresolved errors seen in the last hour")
    assert res.metrics["unresolved"] == _unresolved(sentry_server, "production") == 9
    assert res.metrics["active_errors"] == 2

    staging = provider_env("staging", STAGING, sentry=sentry_server.base_url)
    res = await run_check(SentryCheck(), staging, ctx)
    assert res.status is Status.UP, res.detail
    assert res.detail == f"{_unresolved(sentry_server, 'staging')} unresolved issues, none erroring in the last hour"
    await ctx.aclose()


async def test_sentry_failure_modes(sentry_server: StandinServer) -> None:
    env = provider_env("production", PROD, sentry=sentry_server.base_url)
    base = sentry_server.base_url

    res = await run_check(SentryCheck(), env, context(SENTRY_AUTH_TOKEN=sentry.REVOKED_TOKEN))
    assert res.status is Status.DOWN and "rejected the token (401)" in res.detail

    res = await run_check(SentryCheck(), env, context(SENTRY_AUTH_TOKEN=sentry.LIMITED_TOKEN))
    assert res.status is Status.DOWN and "lacks permission" in res.detail

    # One 429 with Retry-After: 1 is waited out, then the answer comes.
    sentry_server.inject(status=429, retry_after="1", times=1)
    before = len(sentry_server.log)
    res = await run_check(SentryCheck(), env, context(**TOKENS))
    assert res.status is Status.DEGRADED and "errors seen in the last hour" in res.detail
    assert res.latency_ms is not None and res.latency_ms >= 1000
    assert [s for _, _, s in sentry_server.log[before:]] == [429, 200]

    # A rate limit longer than the check may wait: degraded, saying when to try again.
    sentry_server.inject(status=429, retry_after="30", times=3)
    res = await run_check(SentryCheck(), env, context(**TOKENS))
    assert res.status is Status.DEGRADED and "limiting how often" in res.detail and "30 seconds" in res.detail
    sentry_server.clear_faults()

    sentry_server.inject(status=500, times=3)
    res = await run_check(SentryCheck(), env, context(**TOKENS))
    assert res.status is Status.DOWN and "server error (500)" in res.detail
    sentry_server.clear_faults()

    sentry_server.inject(drop=True, times=3)
    res = await run_check(SentryCheck(), env, context(**TOKENS))
    assert res.status is Status.DOWN and "closed the connection" in res.detail
    sentry_server.clear_faults()

    env.health.timeout_s = 1.0
    sentry_server.inject(delay=2.5, times=3)
    res = await run_check(SentryCheck(), env, context(**TOKENS))
    assert res.status is Status.DOWN and "timeout" in res.detail
    sentry_server.clear_faults()
    assert base == sentry_server.base_url


async def test_better_stack_monitors_and_incidents(betterstack_server: StandinServer) -> None:
    ctx = context(**TOKENS)
    url = betterstack_server.base_url
    res = await run_check(BetterStackCheck(), provider_env("production", PROD, betterstack=url), ctx)
    assert res.status is Status.UP, res.detail
    assert res.detail.startswith("1 monitor(s) up, no open incidents, availability")

    res = await run_check(BetterStackCheck(), provider_env("staging", STAGING, betterstack=url), ctx)
    assert res.status is Status.DOWN
    assert "Better Stack sees it down: Realtor platform – staging" in res.detail and "Status 503" in res.detail

    res = await run_check(BetterStackCheck(), provider_env("development", DEV, betterstack=url), ctx)
    assert res.status is Status.DEGRADED and "paused" in res.detail
    await ctx.aclose()

    env = provider_env("production", PROD, betterstack=url)
    res = await run_check(BetterStackCheck(), env, context(BETTERSTACK_API_TOKEN=betterstack.REVOKED_TOKEN))
    assert res.status is Status.DOWN and "rejected the token" in res.detail
    betterstack_server.inject(status=500, times=3)
    res = await run_check(BetterStackCheck(), env, context(**TOKENS))
    assert res.status is Status.DOWN and "server error" in res.detail


async def test_poller_keeps_running_through_provider_failures(sentry_server: StandinServer,
                                                               betterstack_server: StandinServer) -> None:
    env = provider_env("production", PROD, sentry=sentry_server.base_url, betterstack=betterstack_server.base_url)
    env.health.interval_s = 0  # back to back: a run starts as soon as the previous one ended
    env.health.intervals = {"sentry": 0, "betterstack": 0}
    env.health.timeout_s = 0.8
    checks = {k: v for k, v in all_checks().items() if k in ("sentry", "betterstack")}
    transitions = []
    poller = HealthPoller([env], context(**TOKENS), checks=checks, retry_interval_s=0.1,
                          on_transition=transitions.append)
    await poller.start()

    async def runs_after(n: int, check: str) -> None:
        state = poller.states[("production", check)]
        target = state.runs + n
        for _ in range(200):
            if state.runs >= target:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{check} stopped running")

    try:
        await runs_after(1, "betterstack")
        assert poller.states[("production", "betterstack")].confirmed is Status.UP
        for fault in ({"status": 401}, {"status": 500}, {"drop": True}, {"delay": 1.2},
                      {"status": 429, "retry_after": "30"}):
            betterstack_server.inject(times=1000, **fault)  # type: ignore[arg-type]
            sentry_server.inject(times=1000, **fault)  # type: ignore[arg-type]
            # Two completed runs: the second one surely started after the fault was set.
            await runs_after(2, "betterstack")
            await runs_after(2, "sentry")
            state = poller.states[("production", "betterstack")]
            assert state.last is not None
            expected = Status.DEGRADED if fault.get("status") == 429 else Status.DOWN
            assert state.last.status is expected, (fault, state.last.detail)
            betterstack_server.clear_faults()
            sentry_server.clear_faults()
        await runs_after(2, "betterstack")  # the first may have started before the faults were cleared
        await runs_after(2, "sentry")
        assert poller.states[("production", "betterstack")].confirmed is Status.UP
        assert all(p.task is not None and not p.task.done() for p in poller._pairs.values())
        news = [t.new for t in transitions if t.check == "betterstack"]
        assert news[0] is Status.UP and news[-1] is Status.UP and Status.DOWN in news
    finally:
        await poller.stop()

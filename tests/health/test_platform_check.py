"""The platform's /api/health check against the platform stand-in, which really checks PostgreSQL and
Redis: each state is produced by the service, not by a fake answer in the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.platform_standin import PlatformStandin
from services.health.checks.platform import PlatformCheck, validate_health_body
from services.health.model import Status
from services.health.runner import run_check
from tests.health.conftest import bare_env, closed_port, context


@pytest.fixture
def standin(pg_dsn: str, redis_url: str) -> Iterator[PlatformStandin]:
    server = PlatformStandin(database_dsn=pg_dsn, redis_url=redis_url, version="2.3.1").start()
    server.external_apis_url = server.url + "/"  # its home page stands in for the external API
    try:
        yield server
    finally:
        server.stop()


async def check(url: str, **ctx_args: float) -> object:
    env = bare_env(app_url=url)
    ctx = context(**ctx_args)  # type: ignore[arg-type]
    try:
        return await run_check(PlatformCheck(), env, ctx, env.health.timeout_s)
    finally:
        await ctx.aclose()


async def test_healthy_platform_is_up_with_each_service_as_a_part(standin: PlatformStandin) -> None:
    res = await check(standin.url)
    assert res.status is Status.UP, res.detail
    assert "2.3.1" in res.detail
    assert {p.name: p.value for p in res.parts}["database"] == "up"
    assert res.part("Redis").value == "up" and res.part("external APIs").value == "up"
    assert res.part("version").value == "2.3.1"
    assert res.metrics["http_status"] == 200
    assert res.latency_ms is not None and res.latency_ms > 0


async def test_external_apis_down_is_degraded_not_down(standin: PlatformStandin) -> None:
    standin.external_apis_url = f"http://127.0.0.1:{closed_port()}/health"
    res = await check(standin.url)
    assert res.status is Status.DEGRADED
    assert "external APIs down" in res.detail
    assert res.part("external APIs").status is Status.DOWN and res.part("database").status is Status.UP


async def test_database_down_makes_the_platform_answer_503_and_the_check_down(standin: PlatformStandin) -> None:
    standin.database_dsn = f"postgresql://postgres@127.0.0.1:{closed_port()}/postgres"
    res = await check(standin.url)
    assert res.status is Status.DOWN
    assert res.metrics["http_status"] == 503
    assert "Unhealthy (503): database down" == res.detail
    assert res.part("database").status is Status.DOWN and res.part("Redis").status is Status.UP


async def test_forced_503_and_malformed_json_are_down(standin: PlatformStandin) -> None:
    standin.force("unhealthy")
    res = await check(standin.url)
    assert res.status is Status.DOWN and "database, Redis, external APIs down" in res.detail

    standin.force("malformed")
    res = await check(standin.url)
    assert res.status is Status.DOWN
    assert "not JSON" in res.detail and res.metrics["http_status"] == 200


async def test_status_code_and_body_disagreeing_is_degraded(standin: PlatformStandin) -> None:
    standin.force("healthy")
    standin.override_status(503)
    res = await check(standin.url)
    assert res.status is Status.DEGRADED
    assert "disagree" in res.detail


async def test_slow_answer_is_degraded_and_too_slow_is_down(standin: PlatformStandin) -> None:
    standin.force("slow", delay=0.5)
    res = await check(standin.url, slow_ms=300)
    assert res.status is Status.DEGRADED and "slow" in res.detail
    assert res.latency_ms is not None and res.latency_ms >= 500

    standin.force("slow", delay=3)
    env = bare_env(app_url=standin.url)
    env.health.timeout_s = 1.0
    ctx = context()
    res = await run_check(PlatformCheck(), env, ctx, env.health.timeout_s)
    await ctx.aclose()
    assert res.status is Status.DOWN and "timeout" in res.detail


async def test_stopped_platform_is_down_with_the_reason(standin: PlatformStandin) -> None:
    url = standin.url
    standin.stop()
    res = await check(url)
    assert res.status is Status.DOWN
    assert "refused the connection" in res.detail


def test_schema_validation_names_each_problem() -> None:
    good = {"status": "healthy", "timestamp": "2025-01-01T00:00:00.000Z",
            "services": {"database": "up", "redis": "up", "external_apis": "down"},
            "version": "1.0.0", "uptime": 12.5, "response_time_ms": 3}
    assert validate_health_body(good) == []
    bad = {**good, "status": "ok", "uptime": "long", "services": {"database": "up", "redis": "maybe"}}
    del bad["version"]
    problems = validate_health_body(bad)
    assert "'status' is 'ok', not 'healthy' or 'unhealthy'" in problems
    assert "'uptime' is not a number" in problems
    assert "'version' is missing" in problems
    assert "'services.redis' is 'maybe', not 'up' or 'down'" in problems
    assert "'services.external_apis' is missing" in problems
    assert validate_health_body([1]) == ["the body is a JSON list, not an object"]

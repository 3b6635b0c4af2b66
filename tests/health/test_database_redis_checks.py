"""Database and Redis checks from the inside, against real servers started by the test (so they can be
filled and stopped without touching the shared ones)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import psycopg
import redis

from sandbox.embedded_postgres import EmbeddedPostgres
from services.core import workspace as ws
from services.health.checks.database import DatabaseCheck
from services.health.checks.redis_check import RedisCheck
from services.health.model import Status
from services.health.runner import run_check
from tests.health.conftest import bare_env, closed_port, context


async def test_database_up_degraded_by_connections_and_down_when_stopped(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg")
    pg.start()
    try:
        env = bare_env(database=ws.DatabaseSettings(host=pg.host, port=int(pg.port or 0), name="postgres",
                                                    user="postgres", sslmode="disable", pool_limit=10))
        ctx = context()
        res = await run_check(DatabaseCheck(), env, ctx)
        assert res.status is Status.UP, res.detail
        assert res.part("server version").value.startswith("PostgreSQL 16")
        # The check's own connection, plus any the server's start-up probe has not closed yet.
        baseline = int(res.metrics["connections"])
        assert 1 <= baseline <= 3 and res.part("connections").value == f"{baseline} of 10"
        assert res.metrics["size_bytes"] > 1_000_000
        assert res.latency_ms is not None and res.latency_ms == res.metrics["connect_ms"] + res.metrics["select_ms"]

        # More clients until 8 of 10 pool connections (80 %) are in use: the warning line.
        held = [psycopg.connect(pg.dsn()) for _ in range(8 - 1)]
        await asyncio.sleep(0.2)  # let any start-up connection finish closing
        try:
            res = await run_check(DatabaseCheck(), env, ctx)
            assert res.status is Status.DEGRADED
            assert res.detail.startswith("8 of 10 pool connections in use (80%)")
            assert res.part("connections").status is Status.DEGRADED
        finally:
            for conn in held:
                conn.close()
        res = await run_check(DatabaseCheck(), env, ctx)
        assert res.status is Status.UP

        pg.stop()
        res = await run_check(DatabaseCheck(), env, ctx)
        assert res.status is Status.DOWN
        assert "(connection refused)" in res.detail
        await ctx.aclose()
    finally:
        pg.stop()


async def test_database_wrong_database_name_is_down_with_reason(pg_dsn: str) -> None:
    env = bare_env(database=ws.DatabaseSettings(host="127.0.0.1", port=5432, name="no_such_db_here",
                                                user="postgres", sslmode="disable"))
    res = await run_check(DatabaseCheck(), env, context())
    assert res.status is Status.DOWN and "has no database named 'no_such_db_here'" in res.detail


def _redis_env(port: int, **settings: object) -> ws.Environment:
    return bare_env(redis=ws.RedisSettings(host="127.0.0.1", port=port, **settings))  # type: ignore[arg-type]


async def test_redis_up_then_filled_past_maxmemory_is_degraded_then_stopped_is_down(redis_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = redis_server_factory("--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru")
    env = _redis_env(server.port)
    ctx = context()
    res = await run_check(RedisCheck(), env, ctx)
    assert res.status is Status.UP, res.detail
    assert res.part("eviction policy").value == "allkeys-lru"
    assert "of 4.0 MiB" in res.part("memory").value
    assert res.part("evicted keys").value == "0"

    client = redis.Redis(port=server.port)
    blob = b"x" * 10_000
    for i in range(1000):  # 10 MB into a 4 MB Redis: it evicts
        client.set(f"listing:{i}", blob)
    evicted = int(client.info("stats")["evicted_keys"])
    assert evicted > 0
    res = await run_check(RedisCheck(), env, ctx)
    assert res.status is Status.DEGRADED
    # Eviction keeps usage at or just under the limit (99% or 100%, as the allocator has it).
    assert re.match(r"Memory (99|100)% of 4\.0 MiB", res.detail) and "evicting keys" in res.detail, res.detail
    assert int(res.part("evicted keys").value) >= evicted
    assert res.part("evicted keys").detail.endswith("since the previous check")
    client.close()

    server.stop()
    res = await run_check(RedisCheck(), env, ctx)
    assert res.status is Status.DOWN and "(connection refused)" in res.detail
    await ctx.aclose()


async def test_redis_full_without_eviction_is_down(redis_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = redis_server_factory("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")
    client = redis.Redis(port=server.port)
    refused = False
    for i in range(2000):
        try:
            client.set(f"session:{i}", b"y" * 5_000)
        except redis.exceptions.OutOfMemoryError as exc:
            assert "maxmemory" in str(exc)
            refused = True
            break
    client.close()
    assert refused, "Redis should refuse writes once full"
    res = await run_check(RedisCheck(), _redis_env(server.port, eviction_policy="noeviction"), context())
    assert res.status is Status.DOWN
    assert "writes are refused" in res.detail


async def test_redis_policy_other_than_the_seed_is_degraded(redis_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = redis_server_factory("--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru")
    res = await run_check(RedisCheck(), _redis_env(server.port), context())
    assert res.status is Status.DEGRADED
    assert "eviction policy is volatile-lru, the seed sets allkeys-lru" in res.detail.lower()


async def test_redis_shared_server_without_limit_uses_the_seed_limit(redis_url: str) -> None:
    res = await run_check(RedisCheck(), _redis_env(6379), context())
    assert res.status is Status.UP, res.detail
    assert "1.0 GiB (from the settings" in res.part("memory").value


async def test_redis_nothing_listening_is_down() -> None:
    res = await run_check(RedisCheck(), _redis_env(closed_port()), context())
    assert res.status is Status.DOWN

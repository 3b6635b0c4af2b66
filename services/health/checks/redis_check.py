"""Redis from the inside: PING latency, used memory against maxmemory (the seed: 1 GB, allkeys-lru),
evicted keys and connected clients, all from PING and INFO (no writes)."""

from __future__ import annotations

import asyncio
import importlib

from services.core.units import human_bytes
from services.core.workspace import Environment
from services.health.checks.base import Check, CheckContext, Stopwatch, status_for_failure
from services.health.model import CheckResult, Part, Status, result
from services.probes.redis_failures import RedisTarget, classify_redis

MEMORY_WARN_RATIO = 0.9
# Without eviction Redis answers OOM to writes once it is this full.
MEMORY_FULL_RATIO = 0.98


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class RedisCheck(Check):
    name = "redis"

    def configured(self, env: Environment) -> bool:
        return env.redis.configured

    def not_configured_reason(self, env: Environment) -> str:
        return "no Redis host is set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        # redis-py takes ~0.15 s to import: the first check imports it in a worker thread, so that the
        # poller's other checks (the site's among them) never wait for it.
        await asyncio.to_thread(importlib.import_module, "redis.asyncio")
        import redis.asyncio as aioredis
        import redis.exceptions
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        settings = env.redis
        password = await ctx.credentials.aget(env.name, "REDIS_PASSWORD")
        client = aioredis.Redis(
            host=settings.host, port=settings.port, db=settings.db, username=settings.username or None,
            password=password or None, ssl=settings.tls, socket_connect_timeout=ctx.timeout(env),
            socket_timeout=ctx.timeout(env), single_connection_client=True,
            retry=Retry(NoBackoff(), 0))  # the poller does its own retries, counted
        clock = Stopwatch()
        try:
            # Inside the runner's limit, so a timeout is classified here like everywhere else.
            await asyncio.wait_for(client.ping(), ctx.timeout(env) * 0.9)
            ping_ms = clock.ms
            memory = await client.info("memory")
            stats = await client.info("stats")
            clients = await client.info("clients")
        except (TimeoutError, redis.exceptions.RedisError, OSError) as exc:
            failure = classify_redis(exc, RedisTarget(settings.host, settings.port, settings.db, settings.username,
                                                      settings.tls))
            return result(env.name, self.name, status_for_failure(failure), failure.sentence(), latency_ms=clock.ms)
        finally:
            await client.aclose()
        used = float(memory.get("used_memory", 0))
        server_max = float(memory.get("maxmemory", 0) or 0)
        policy = str(memory.get("maxmemory_policy", "") or "")
        limit = server_max or float(settings.maxmemory_bytes)
        ratio = used / limit if limit else 0.0
        evicted = int(stats.get("evicted_keys", 0))
        connected = int(clients.get("connected_clients", 0))

        mem = ctx.memory(env.name, self.name)
        previous = mem.get("evicted_keys")
        mem["evicted_keys"] = evicted
        new_evictions = evicted - previous if isinstance(previous, int) and evicted >= previous else None

        limit_words = f"{human_bytes(limit)}" + ("" if server_max else " (from the settings; the server sets no limit)")
        mem_status = Status.UP
        if ratio >= MEMORY_WARN_RATIO:
            mem_status = Status.DEGRADED
        if server_max and policy == "noeviction" and ratio >= MEMORY_FULL_RATIO:
            mem_status = Status.DOWN
        policy_ok = not server_max or not settings.eviction_policy or policy == settings.eviction_policy
        evicting = bool(new_evictions) or (new_evictions is None and evicted > 0 and ratio >= MEMORY_WARN_RATIO)
        parts = (
            Part("PING", Status.UP if ping_ms <= ctx.slow_ms else Status.DEGRADED, f"{ping_ms:.1f} ms"),
            Part("memory", mem_status, f"{human_bytes(used)} of {limit_words} ({ratio:.0%})"),
            Part("eviction policy", Status.UP if policy_ok else Status.DEGRADED, policy or "unknown",
                 expected=settings.eviction_policy),
            Part("evicted keys", Status.DEGRADED if evicting else Status.UP, str(evicted),
                 detail=(f"{new_evictions} since the previous check" if new_evictions is not None
                         else "since the server started")),
            Part("connected clients", Status.UP, str(connected)),
        )
        metrics = {"ping_ms": ping_ms, "used_memory": used, "maxmemory": limit, "evicted_keys": float(evicted),
                   "connected_clients": float(connected)}
        latency = ping_ms
        if mem_status is Status.DOWN:
            return result(env.name, self.name, Status.DOWN,
                          f"Full: {human_bytes(used)} of {human_bytes(limit)} used and the policy is noeviction, so writes are refused",
                          latency_ms=latency, parts=parts, metrics=metrics)
        problems = []
        if mem_status is Status.DEGRADED:
            problems.append(f"memory {ratio:.0%} of {human_bytes(limit)}")
        if evicting:
            problems.append(f"evicting keys ({new_evictions if new_evictions else evicted} evicted)")
        if not policy_ok:
            problems.append(f"eviction policy is {policy}, the seed sets {settings.eviction_policy}")
        if ping_ms > ctx.slow_ms:
            problems.append(f"PING took {ping_ms:.0f} ms")
        if problems:
            return result(env.name, self.name, Status.DEGRADED, _sentence("; ".join(problems)),
                          latency_ms=latency, parts=parts, metrics=metrics)
        return result(env.name, self.name, Status.UP,
                      f"PING {ping_ms:.1f} ms, {human_bytes(used)} of {human_bytes(limit)} ({ratio:.0%}), {connected} clients",
                      latency_ms=latency, parts=parts, metrics=metrics)

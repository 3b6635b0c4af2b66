"""Run checks: one with its timeout, or every configured check of some environments at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from services.core.concurrency import settle
from services.core.workspace import Environment
from services.health.checks import Check, CheckContext, all_checks
from services.health.checks.base import Stopwatch, failure_result
from services.health.model import CheckResult, Status, result

log = logging.getLogger(__name__)


async def run_check(check: Check, env: Environment, ctx: CheckContext, timeout_s: float | None = None) -> CheckResult:
    """Run one check; never raises (except on cancellation): every failure becomes a result."""
    limit = timeout_s if timeout_s is not None else ctx.timeout(env)
    clock = Stopwatch()
    try:
        return await asyncio.wait_for(check.run(env, ctx), limit)
    except TimeoutError:
        return result(env.name, check.name, Status.DOWN, f"No answer within {limit:g} s (timeout)",
                      latency_ms=clock.ms)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if not hasattr(exc, "sentence"):
            log.exception("health check %s/%s failed", env.name, check.name)
        return failure_result(env.name, check.name, exc, latency_ms=clock.ms)


def planned(envs: Iterable[Environment], checks: dict[str, Check] | None = None,
            only: Iterable[str] | None = None) -> list[tuple[Environment, Check]]:
    """The (environment, check) pairs that are configured, in board order."""
    checks = checks or all_checks()
    wanted = set(only) if only is not None else None
    return [(env, check) for env in envs for name, check in checks.items()
            if (wanted is None or name in wanted) and check.configured(env)]


async def run_once(envs: Iterable[Environment], ctx: CheckContext, *, checks: dict[str, Check] | None = None,
                   only: Iterable[str] | None = None) -> list[CheckResult]:
    """Every configured check of ``envs`` concurrently, each with its environment's timeout."""
    pairs = planned(envs, checks, only)
    await ctx.aprepare({id(e): e for e, _ in pairs}.values())
    return list(await settle(*(run_check(check, env, ctx, env.health.timeout_s) for env, check in pairs)))

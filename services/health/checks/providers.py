"""Checks that read a provider's API: Sentry's unresolved issues and Better Stack's monitors.

A provider that cannot be read (token rejected, server error, no answer) makes the check "down": the
console cannot see what it is meant to watch, and the sentence says why. A rate limit the client
could not wait out makes it "degraded".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.concurrency import settle
from services.core.errors import ConnectionFailure
from services.core.workspace import Environment, EnvironmentKind
from services.health.checks.base import Check, CheckContext, Stopwatch, status_for_failure
from services.health.model import CheckResult, Part, Status, result
from services.providers.betterstack_client import BetterStackClient
from services.providers.factory import build_client
from services.providers.http_policy import RetryPolicy, Timeouts
from services.providers.sentry_client import SentryClient

# An unresolved error seen this recently means the platform is failing for someone right now.
ACTIVE_WINDOW = timedelta(hours=1)


def _timeouts(limit: float) -> Timeouts:
    return Timeouts(connect=min(5.0, limit), read=limit, write=limit, pool=limit)


def _retry(limit: float) -> RetryPolicy:
    # Wait out a Retry-After only while it fits in the check's time budget.
    return RetryPolicy(max_attempts=2, backoff_base=0.2, backoff_max=1.0, max_retry_after=limit / 2)


def sentry_environment(env: Environment) -> str:
    return env.kind.value if env.kind != EnvironmentKind.OTHER else env.name


class SentryCheck(Check):
    name = "sentry"

    def configured(self, env: Environment) -> bool:
        return bool(env.providers.sentry_org and env.providers.sentry_project)

    def not_configured_reason(self, env: Environment) -> str:
        return "no Sentry organization and project are set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        token = await ctx.credentials.aget(env.name, "SENTRY_AUTH_TOKEN")
        if not token:
            return result(env.name, self.name, Status.UNKNOWN, "No Sentry auth token is stored for this environment")
        clock = Stopwatch()
        client = build_client(env.providers, "sentry", token, timeouts=_timeouts(ctx.timeout(env)),
                              retry=_retry(ctx.timeout(env)))
        assert isinstance(client, SentryClient)
        try:
            issues = await client.unresolved_issues(env.providers.sentry_org, env.providers.sentry_project,
                                                    environment=sentry_environment(env))
        except ConnectionFailure as exc:
            return result(env.name, self.name, status_for_failure(exc), exc.sentence(), latency_ms=clock.ms)
        finally:
            await client.aclose()
        latency = clock.ms
        now = datetime.now(UTC)
        errors = [i for i in issues.issues if i.level in ("fatal", "error")]
        active = [i for i in errors if i.last_seen is not None and now - i.last_seen <= ACTIVE_WINDOW]
        count = f"{len(issues.issues)}{'+' if issues.truncated else ''}"
        unreadable = f"; {len(issues.skipped)} issue(s) could not be read" if issues.skipped else ""
        parts = tuple(
            Part(i.short_id or i.id, Status.DEGRADED if i in active else Status.UP, i.level,
                 detail=f"{i.title} — {i.events} events, {i.users} users, last seen "
                        f"{i.last_seen:%Y-%m-%d %H:%M} UTC" if i.last_seen else i.title)
            for i in issues.issues[:20])
        metrics = {"unresolved": float(len(issues.issues)), "errors": float(len(errors)),
                   "active_errors": float(len(active))}
        if active:
            top = max(active, key=lambda i: i.events)
            return result(env.name, self.name, Status.DEGRADED,
                          f"{len(active)} unresolved error{'s' if len(active) > 1 else ''} seen in the last hour "
                          f"({count} unresolved in all); busiest: {top.title[:80]}{unreadable}",
                          latency_ms=latency, parts=parts, metrics=metrics)
        return result(env.name, self.name, Status.UP,
                      f"{count} unresolved issue{'s' if len(issues.issues) != 1 else ''}, none erroring in the last hour"
                      f"{unreadable}",
                      latency_ms=latency, parts=parts, metrics=metrics)


class BetterStackCheck(Check):
    name = "betterstack"

    def configured(self, env: Environment) -> bool:
        return bool(env.providers.betterstack_monitor_ids)

    def not_configured_reason(self, env: Environment) -> str:
        return "no Better Stack monitors are set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        token = await ctx.credentials.aget(env.name, "BETTERSTACK_API_TOKEN")
        if not token:
            return result(env.name, self.name, Status.UNKNOWN, "No Better Stack API token is stored for this environment")
        wanted = [str(m) for m in env.providers.betterstack_monitor_ids]
        clock = Stopwatch()
        client = build_client(env.providers, "betterstack", token, timeouts=_timeouts(ctx.timeout(env)),
                              retry=_retry(ctx.timeout(env)))
        assert isinstance(client, BetterStackClient)
        try:
            monitors = await client.list_monitors()
            found = {m.id: m for m in monitors if m.id in wanted}
            # One settle over every read (not one per kind inside another: a settle started as a task
            # and cancelled before its first step would leave its reads never awaited).
            answers: tuple[Any, ...] = await settle(
                *(client.monitor_sla(mid) for mid in found),
                *(client.list_incidents(open_only=True, monitor_id=mid) for mid in found))
            slas, incidents = answers[:len(found)], answers[len(found):]
        except ConnectionFailure as exc:
            return result(env.name, self.name, status_for_failure(exc), exc.sentence(), latency_ms=clock.ms)
        finally:
            await client.aclose()
        latency = clock.ms
        parts: list[Part] = []
        open_incidents = []
        for monitor, sla, opened in zip(found.values(), slas, incidents, strict=True):
            still_open = [i for i in opened if i.open]
            open_incidents += still_open
            status = {"up": Status.UP, "down": Status.DOWN, "maintenance": Status.UP}.get(monitor.status,
                                                                                           Status.DEGRADED)
            if status is Status.UP and still_open:
                status = Status.DEGRADED
            note = f"availability {sla.availability:.3f}%, {sla.incidents} incidents"
            if still_open:
                note += f"; open: {', '.join(i.cause or i.name for i in still_open)}"
            parts.append(Part(monitor.name, status, monitor.status, detail=note))
        unsure = monitors.skipped or monitors.more  # the list was not read whole: "not found" is unproven
        for mid in wanted:
            if mid not in found:
                parts.append(Part(f"monitor {mid}", Status.DEGRADED, "not found",
                                  detail="not among the monitors the console could read (Better Stack sent some it "
                                         "could not read, or more than it reads)" if unsure else
                                  "Better Stack has no monitor with this id (or the token cannot see it)"))
        metrics = {"monitors": float(len(found)), "open_incidents": float(len(open_incidents))}
        if slas:
            metrics["availability"] = min(s.availability for s in slas)
        down = [p for p in parts if p.status is Status.DOWN]
        weak = [p for p in parts if p.status is Status.DEGRADED]
        if down:
            return result(env.name, self.name, Status.DOWN,
                          "Better Stack sees it down: " + "; ".join(f"{p.name} ({p.detail})" for p in down),
                          latency_ms=latency, parts=parts, metrics=metrics)
        if weak:
            return result(env.name, self.name, Status.DEGRADED,
                          "; ".join(f"{p.name}: {p.value}" for p in weak)
                          + (f"; {len(open_incidents)} open incident(s)" if open_incidents else ""),
                          latency_ms=latency, parts=parts, metrics=metrics)
        availability = f", availability {metrics['availability']:.3f}%" if slas else ""
        return result(env.name, self.name, Status.UP, f"{len(found)} monitor(s) up, no open incidents{availability}",
                      latency_ms=latency, parts=parts, metrics=metrics)

"""The poller's own rules: concurrency, retries before a change counts, restore after a restart.

A scripted check (a Check subclass answering from a list) stands in for the network here: the thing
under test is the poller, and the real checks have their own tests against real servers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from services.core import workspace as ws
from services.health.checks import Check, CheckContext
from services.health.history import HealthHistory
from services.health.model import CheckResult, Status, Transition, result
from services.health.poller import HealthPoller
from tests.health.conftest import bare_env, secrets


class Scripted(Check):
    def __init__(self, name: str, statuses: list[Status], delay: float = 0.0) -> None:
        self.name = name  # type: ignore[misc]
        self.statuses = list(statuses)
        self.delay = delay
        self.calls = 0

    async def run(self, env: ws.Environment, ctx: CheckContext) -> CheckResult:
        self.calls += 1
        await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else Status.UP
        return result(env.name, self.name, status, f"call {self.calls}: {status.value}", latency_ms=self.delay * 1000)


async def _until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_change_counts_only_after_the_retries() -> None:
    env = bare_env("production", ws.EnvironmentKind.PRODUCTION)
    env.health.retries = 2
    env.health.interval_s = 3600  # the retries must use the short retry interval, or this test hangs
    U, D = Status.UP, Status.DOWN
    check = Scripted("platform", [U, D, D, U, D, D, D, U])
    transitions: list[Transition] = []
    poller = HealthPoller([env], CheckContext(secrets()), checks={"platform": check}, retry_interval_s=0.01,
                          on_transition=transitions.append)
    await poller.start()
    try:
        await _until(lambda: check.calls >= 1)
        for _ in range(7):  # the regular interval is an hour: wake the check for each step
            before = check.calls
            poller.check_now()
            await _until(lambda before=before: check.calls > before and not poller.states[("production", "platform")].retrying)
    finally:
        await poller.stop()
    assert [(t.old, t.new, t.detail) for t in transitions] == [
        (Status.UNKNOWN, U, "call 1: up"),
        (U, D, "call 7: down"),  # calls 2-3 were two downs only: not enough; 5, 6, 7 are three
        (D, U, "call 8: up"),
    ]


async def test_checks_run_concurrently_and_a_hanging_one_is_cut_off() -> None:
    env = bare_env("production")
    env.health.timeout_s = 0.5
    slow = {f"c{i}": Scripted(f"c{i}", [Status.UP], delay=0.3) for i in range(20)}
    slow["hang"] = Scripted("hang", [Status.UP], delay=30)
    poller = HealthPoller([env], CheckContext(secrets()), checks=slow)  # type: ignore[arg-type]
    started = time.perf_counter()
    results = await poller.run_round()
    elapsed = time.perf_counter() - started
    assert len(results) == 21 and elapsed < 2.0  # 20 x 0.3 s in sequence would be 6 s
    hung = next(r for r in results if r.check == "hang")
    assert hung.status is Status.DOWN and hung.detail == "No answer within 0.5 s (timeout)"


async def test_a_restart_restores_confirmed_states_and_does_not_report_them_again(tmp_path: Path) -> None:
    env = bare_env("production")
    hist = HealthHistory(tmp_path / "h.sqlite3")
    first = HealthPoller([env], CheckContext(secrets()), history=hist,
                         checks={"redis": Scripted("redis", [Status.DOWN])})
    await first.run_round()
    assert hist.confirmed_states()[("production", "redis")][0] is Status.DOWN

    seen: list[Transition] = []
    again = HealthPoller([env], CheckContext(secrets()), history=hist, on_transition=seen.append,
                         checks={"redis": Scripted("redis", [Status.DOWN, Status.UP])})
    await again._restore()
    state = again.states[("production", "redis")]
    assert state.restored and state.confirmed is Status.DOWN and state.last is not None
    await again.run_round()
    await again.run_round()
    # Only the recovery is a change: the down state was already known before the restart.
    assert [(t.old, t.new) for t in seen] == [(Status.DOWN, Status.UP)]
    incidents = hist.incidents("production", "redis")
    assert len(incidents) == 1 and not incidents[0].open


async def test_a_failing_callback_does_not_stop_polling() -> None:
    env = bare_env("production")
    env.health.interval_s = 0
    check = Scripted("platform", [])

    def broken(_state: object) -> None:
        raise RuntimeError("observer bug")

    poller = HealthPoller([env], CheckContext(secrets()), checks={"platform": check}, on_result=broken)
    await poller.start()
    try:
        await _until(lambda: check.calls >= 5)
    finally:
        await poller.stop()


async def test_the_site_state_follows_the_platform_not_sentry_or_the_monitoring_api() -> None:
    """Issue 11: "production site: degraded" came from Sentry's unresolved issues, and a Sentry time-out
    fired "production is down". The site state is the platform's /api/health; the rest are own lines."""
    env = bare_env("production", ws.EnvironmentKind.PRODUCTION)
    env.health.retries = 0
    poller = HealthPoller([env], CheckContext(secrets()), checks={
        "platform": Scripted("platform", []), "sentry": Scripted("sentry", []),
        "betterstack": Scripted("betterstack", []), "database": Scripted("database", [])})
    await poller.observe(result("production", "platform", Status.UP, "200 ok"))
    await poller.observe(result("production", "database", Status.UP, "ok"))
    await poller.observe(result("production", "sentry", Status.DEGRADED, "12 unresolved issues"))
    await poller.observe(result("production", "betterstack", Status.DOWN, "No answer within 10 s"))
    status, text = poller.site_status("production")
    assert status is Status.UP and "production" not in text  # one plain sentence, the name beside it
    lines = {check: (state, detail) for check, state, detail in poller.service_lines("production")}
    assert lines == {"sentry": (Status.DEGRADED, "12 unresolved issues"),
                     "betterstack": (Status.DOWN, "No answer within 10 s")}
    overall, _ = poller.environment_status("production")
    assert overall is Status.DOWN  # the Health board still shows every check as it is

    await poller.observe(result("production", "platform", Status.DOWN, "503 from /api/health"))
    status, text = poller.site_status("production")
    assert status is Status.DOWN and "503 from /api/health" in text and "Sentry" not in text

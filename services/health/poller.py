"""Polls every configured check of every environment, concurrently, each on its own interval.

* Each (environment, check) pair is its own asyncio task: a slow or hanging check delays nothing
  else, and ``run_check`` bounds it with the environment's timeout.
* Retries before a state change counts, as Uptime Kuma's "retries" and Gatus's failure threshold: a
  change to degraded or down is confirmed only after ``retries + 1`` results in a row say so (checked
  again every ``retry_interval_s`` meanwhile); a return to up, or "unknown", is confirmed at once.
* Results and confirmed changes go to the history (off the loop's thread) and to the callbacks, which
  run on the loop's thread and must be quick (the console turns them into Qt signals).
* Nothing here blocks the loop: network I/O is asynchronous, boto3 and SQLite run in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.core.concurrency import settle
from services.core.workspace import Environment
from services.health.checks import Check, CheckContext, all_checks
from services.health.history import HealthHistory
from services.health.model import CHECK_LABELS, CheckResult, Status, Transition, worst
from services.health.runner import planned, run_check

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0
# Results are written in batches: one worker-thread hop and one transaction per batch, not per result.
FLUSH_EVERY_S = 0.5


@dataclass
class CheckState:
    env: str
    check: str
    confirmed: Status = Status.UNKNOWN
    since: datetime | None = None
    last: CheckResult | None = None
    # Results in a row that disagree with ``confirmed`` (the retries used so far).
    streak: int = 0
    runs: int = 0
    # Restored from the history, not yet checked by this poller.
    restored: bool = False

    @property
    def retrying(self) -> bool:
        return self.streak > 0


@dataclass
class _Pair:
    env: Environment
    check: Check
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    # Set before cancelling: Python 3.11's wait_for can swallow a cancellation that races with the
    # inner await finishing, so the loop also checks this flag.
    stopped: bool = False


ResultCallback = Callable[[CheckState], None]
TransitionCallback = Callable[[Transition], None]


def interval_of(env: Environment, check: str) -> float:
    return float(env.health.intervals.get(check, env.health.interval_s))


class HealthPoller:
    def __init__(
        self,
        environments: Iterable[Environment],
        ctx: CheckContext,
        *,
        history: HealthHistory | None = None,
        checks: dict[str, Check] | None = None,
        retry_interval_s: float | None = None,
        on_result: ResultCallback | None = None,
        on_transition: TransitionCallback | None = None,
    ) -> None:
        self.ctx = ctx
        self.history = history
        self.checks = checks or all_checks()
        self.retry_interval_s = retry_interval_s
        self.on_result: list[ResultCallback] = [on_result] if on_result else []
        self.on_transition: list[TransitionCallback] = [on_transition] if on_transition else []
        self.states: dict[tuple[str, str], CheckState] = {}
        self._envs = list(environments)
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self._pruner: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._pending: list[CheckResult | Transition] = []
        self._flush_lock = asyncio.Lock()
        self.running = False
        self.rounds = 0

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.running:
            return
        self.running = True
        await self.ctx.aprepare(self._envs)
        await self._restore()
        self._start_pairs()
        if self.history is not None:
            self._pruner = asyncio.create_task(self._prune_loop(), name="health:prune")
            self._flusher = asyncio.create_task(self._flush_loop(), name="health:flush")

    async def stop(self) -> None:
        self.running = False
        pairs = list(self._pairs.values())
        self._pairs.clear()
        await _stop_pairs(pairs)
        for task in (self._pruner, self._flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._pruner = self._flusher = None
        await self.flush()
        await self.ctx.aclose()

    def _start_pairs(self) -> None:
        pairs = planned(self._envs, self.checks)
        # The first runs are spread over up to a second (as Uptime Kuma staggers its monitors), so a
        # big workspace does not fire every check in the same instant.
        spread = min(1.0, 0.01 * len(pairs))
        for i, (env, check) in enumerate(pairs):
            self._start_pair(env, check, delay=spread * i / max(1, len(pairs)))

    def _start_pair(self, env: Environment, check: Check, delay: float = 0.0) -> None:
        pair = _Pair(env, check)
        self.states.setdefault((env.name, check.name), CheckState(env.name, check.name))
        pair.task = asyncio.create_task(self._loop(pair, delay), name=f"health:{env.name}:{check.name}")
        self._pairs[(env.name, check.name)] = pair

    async def _restore(self) -> None:
        if self.history is None:
            return
        history = self.history
        try:
            confirmed = await asyncio.to_thread(history.confirmed_states)
            last = await asyncio.to_thread(history.last_known)
        except Exception:  # a broken history must not stop the polling
            log.exception("could not read the health history")
            return
        wanted = {(e.name, c.name) for e, c in planned(self._envs, self.checks)}
        for (env, check), (status, since) in confirmed.items():
            if (env, check) in wanted:
                self.states[(env, check)] = CheckState(env, check, status, since, restored=True)
        for res in last:
            key = (res.env, res.check)
            if key in wanted:
                state = self.states.setdefault(key, CheckState(res.env, res.check, restored=True))
                state.last = res

    # --- polling --------------------------------------------------------------------------------
    def check_now(self, env: str | None = None, check: str | None = None) -> None:
        """Wake the matching pairs so they run at once instead of at their next interval."""
        for (e, c), pair in self._pairs.items():
            if (env is None or e == env) and (check is None or c == check):
                pair.wake.set()

    async def run_round(self, env: str | None = None) -> list[CheckResult]:
        """Run every pair (of ``env``) once now and wait for them; the results are observed as usual."""
        pairs = [p for (e, _), p in self._pairs.items() if env is None or e == env]
        if not pairs:
            pairs = [_Pair(e, c) for e, c in planned(self._envs, self.checks) if env is None or e.name == env]
        results = await settle(*(run_check(p.check, p.env, self.ctx, p.env.health.timeout_s) for p in pairs))
        for res in results:
            await self.observe(res, retries=self._retries_of(res.env))
        self.rounds += 1
        return list(results)

    def _retries_of(self, env_name: str) -> int:
        for env in self._envs:
            if env.name == env_name:
                return max(0, env.health.retries)
        return 0

    async def _loop(self, pair: _Pair, delay: float = 0.0) -> None:
        env, check = pair.env, pair.check
        if delay:
            await asyncio.sleep(delay)
        while not pair.stopped:
            state: CheckState | None
            try:
                res = await run_check(check, env, self.ctx, env.health.timeout_s)
                state = await self.observe(res, retries=max(0, env.health.retries))
            except asyncio.CancelledError:
                raise
            except Exception:  # one broken observer must not stop this check
                log.exception("health poller: observing %s/%s failed", env.name, check.name)
                state = self.states.get((env.name, check.name))
            interval = interval_of(env, check.name)
            if state is not None and state.retrying:
                interval = self.retry_interval_s if self.retry_interval_s is not None else min(interval, 20.0)
            pair.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pair.wake.wait(), max(0.0, interval))

    async def observe(self, res: CheckResult, *, retries: int | None = None) -> CheckState:
        """Take one result as if a check had produced it: confirm, store, call back."""
        if retries is None:
            retries = self._retries_of(res.env)
        key = (res.env, res.check)
        state = self.states.setdefault(key, CheckState(res.env, res.check))
        state.last = res
        state.runs += 1
        state.restored = False
        transition: Transition | None = None
        if res.status == state.confirmed:
            state.streak = 0
        elif res.status in (Status.UP, Status.UNKNOWN):
            transition = self._confirm(state, res)
        else:
            state.streak += 1
            if state.streak > retries:
                transition = self._confirm(state, res)
        if self.history is not None:
            self._pending.append(res)
            if transition is not None:
                self._pending.append(transition)
            if not self.running:
                await self.flush()
        for callback in list(self.on_result):
            try:
                callback(state)
            except Exception:
                log.exception("health result callback failed")
        if transition is not None:
            for tcallback in list(self.on_transition):
                try:
                    tcallback(transition)
                except Exception:
                    log.exception("health transition callback failed")
        return state

    def _confirm(self, state: CheckState, res: CheckResult) -> Transition:
        old = state.confirmed
        state.confirmed = res.status
        state.since = res.checked_at
        state.streak = 0
        return Transition(res.env, res.check, old, res.status, res.checked_at, res.detail)

    async def flush(self) -> None:
        """Write the results and changes gathered since the last flush (in a worker thread)."""
        if self.history is None or not self._pending:
            return
        async with self._flush_lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                await asyncio.to_thread(self.history.record_batch, batch)
            except Exception:  # keep polling when the disk is full or the file locked
                log.exception("could not store %d health results", len(batch))

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            await self.flush()

    async def _prune_loop(self) -> None:
        assert self.history is not None
        while True:
            try:
                await asyncio.to_thread(self.history.prune)
            except Exception:
                log.exception("could not prune the health history")
            await asyncio.sleep(PRUNE_EVERY_S)

    # --- summaries ------------------------------------------------------------------------------
    def environment_status(self, env: str) -> tuple[Status, str]:
        """The environment's confirmed state (worst of its checks) and a sentence saying why."""
        return summarize(env, self.env_states(env))

    def site_status(self, env: str) -> tuple[Status, str]:
        """Whether the site is up: the platform's /api/health and reachability only (the checks of the
        platform's parts when no app URL is configured), never Sentry or the monitoring API."""
        states = self.env_states(env)
        site = [s for s in states if s.check in SITE_CHECKS]
        return summarize(env, site or [s for s in states if s.check not in SERVICE_CHECKS])

    def service_lines(self, env: str) -> list[tuple[str, Status, str]]:
        """Application errors and provider API trouble, each as a line of its own (check, state, detail)."""
        return [(s.check, s.confirmed, s.last.detail if s.last else "") for s in self.env_states(env)
                if s.check in SERVICE_CHECKS and s.confirmed is not Status.UP and s.last is not None]

    def env_states(self, env: str) -> list[CheckState]:
        return [self.states[(env, name)] for name in self.checks if (env, name) in self.states]


async def _stop_pairs(pairs: list[_Pair]) -> None:
    tasks = []
    for pair in pairs:
        pair.stopped = True
        pair.wake.set()
        if pair.task is not None:
            pair.task.cancel()
            tasks.append(pair.task)
    while tasks:
        _done, pending = await asyncio.wait(tasks, timeout=1.0)
        for task in pending:
            task.cancel()  # a cancellation swallowed by wait_for: ask again
        tasks = list(pending)


# What says whether the site is up: the platform's own /api/health (which also fails when the site
# cannot be reached). Application errors (Sentry) and the monitoring provider's API are lines of their
# own: they never make the site "down" or fire a site alert.
SITE_CHECKS: tuple[str, ...] = ("platform",)
SERVICE_CHECKS: tuple[str, ...] = ("sentry", "betterstack")


def summarize(env: str, states: list[CheckState]) -> tuple[Status, str]:
    """The worst confirmed state of ``states`` and one plain sentence saying why (without the
    environment's name: callers show it beside the sentence)."""
    known = [s for s in states if s.confirmed is not Status.UNKNOWN]
    pending = [s for s in states if s.retrying or (s.confirmed is Status.UNKNOWN and s.last is not None)]
    if not known:
        return Status.UNKNOWN, "not checked yet" if not pending else "first results are being confirmed"
    status = worst([s.confirmed for s in known])
    if status is Status.UP:
        if pending:
            names = ", ".join(CHECK_LABELS.get(s.check, s.check) for s in pending)
            return status, f"{names} being checked again"
        return status, "all checks up"
    bad = [s for s in known if s.confirmed is status]
    reasons = "; ".join(f"{CHECK_LABELS.get(s.check, s.check)} — {s.last.detail if s.last else status.value}"
                        for s in bad)
    return status, f"{status.words}: {reasons}"


def utc_age(when: datetime, now: datetime | None = None) -> str:
    """'3 min 05 s ago' style age of a timestamp (services.core.units, like every other duration)."""
    from services.core.units import human_age

    return human_age(when, now or datetime.now(UTC))

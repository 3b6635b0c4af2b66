"""The operation: read every source of every asked environment concurrently, keep what each said,
fall back to the last-known events of a source that cannot be read (naming the gap), link incidents
to the changes before them, filter, and order newest first."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.core.app_context import AppContext
from services.core.concurrency import settle, tell
from services.core.errors import ConfigError, OpsError
from services.core.guard import Authorization
from services.core.operation import Progress, operation
from services.core.workspace import Environment
from services.timeline.cache import TimelineCache
from services.timeline.correlate import correlate
from services.timeline.model import Event, Gap, Kind, Timeline
from services.timeline.sources import SOURCES, Source

log = logging.getLogger(__name__)
SOURCE_TIMEOUT_S = 30.0
MAX_SPAN = timedelta(days=400)


@dataclass(frozen=True)
class TimelineRequest:
    environment: str | None = None  # None: every environment of the workspace
    since: timedelta = timedelta(days=7)
    kinds: tuple[Kind, ...] = ()  # empty: every kind
    window_min: int = 30  # an incident this soon after a change is linked to it


def parse_since(text: str) -> timedelta:
    """'7d', '36h', '90m', '2w' → a span; anything else is refused, naming what was given."""
    text = text.strip().lower()
    units = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    if len(text) >= 2 and text[-1] in units and text[:-1].isdigit():
        span = timedelta(seconds=int(text[:-1]) * units[text[-1]])
        if timedelta(0) < span <= MAX_SPAN:
            return span
    raise ConfigError(f"'{text[:20]}' is not a time span", hint="Use a number and m, h, d or w, e.g. 7d (at most 400 d)")


def _takes_early(fn: Source) -> bool:
    try:
        return "early" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _assemble(found: dict[int, tuple[list[Event], Gap | None]], request: TimelineRequest, now: datetime,
              pending: tuple[str, ...] = ()) -> Timeline:
    merged: dict[str, Event] = {}
    gaps = []
    for index in sorted(found):
        events, gap = found[index]
        for e in events:
            merged.setdefault(e.id, e)
        if gap is not None:
            gaps.append(gap)
    linked = correlate(list(merged.values()), timedelta(minutes=request.window_min))
    if request.kinds:
        linked = [e for e in linked if e.kind in request.kinds]
    linked.sort(key=lambda e: (e.time, e.id), reverse=True)
    return Timeline(tuple(linked), tuple(gaps), request.window_min, now, pending)


@operation
async def build_timeline(ctx: AppContext, request: TimelineRequest, authorization: Authorization | None = None,
                         progress: Progress | None = None, *, sources: dict[str, Source] | None = None,
                         now: datetime | None = None,
                         on_partial: Callable[[Timeline], None] | None = None,
                         partial_after: float | None = None) -> Timeline:
    """``authorization`` is not needed: the timeline only reads. ``on_partial`` hears the timeline so far
    once every source has answered at least the first step of its read (a source in two steps, GitHub's
    runs then the failed runs' jobs, answers early), and again at each answer until the last; with
    ``partial_after`` (seconds), also at each answer from then on, when a source is slow to answer at all
    (a provider that does not answer holds nothing else back)."""
    if not 0 < request.window_min <= 24 * 60:
        raise ConfigError(f"The correlation window must be 1 to 1440 minutes, not {request.window_min}")
    if request.since <= timedelta(0) or request.since > MAX_SPAN:
        raise ConfigError("The timeline covers more than nothing and at most 400 days")
    envs = ([ctx.workspace.environment(request.environment)] if request.environment
            else list(ctx.workspace.environments.values()))
    now = now or datetime.now(UTC)
    since = now - request.since
    cache = await asyncio.to_thread(TimelineCache, ctx.paths.data / "timeline.sqlite3")
    readers = sources or SOURCES
    jobs = [(name, env, fn) for env in envs for name, fn in readers.items()]
    if progress is not None:
        progress.set_total(len(jobs))

    loop = asyncio.get_running_loop()
    asked = loop.time()
    found: dict[int, tuple[list[Event], Gap | None]] = {}  # each source's events so far (early or final)
    done: set[int] = set()

    def answered(index: int, events: list[Event], gap: Gap | None, final: bool) -> None:
        found[index] = (events, gap)
        if final:
            done.add(index)
        late = partial_after is not None and loop.time() - asked >= partial_after
        if on_partial is not None and (len(found) == len(jobs) or late) and len(done) < len(jobs):
            pending = tuple(dict.fromkeys(
                (f"{name} ({env.name})" if len(envs) > 1 else name)
                for i, (name, env, _) in enumerate(jobs) if i not in done))
            tell(on_partial, _assemble(found, request, now, pending))

    async def one(index: int, name: str, env_name: str, fn: Source, env: Environment) -> None:
        try:
            if _takes_early(fn):
                read = fn(ctx, env, since, early=lambda events: answered(index, events, None, False))  # type: ignore[call-arg]
            else:
                read = fn(ctx, env, since)
            events = await asyncio.wait_for(read, SOURCE_TIMEOUT_S)
        except (OpsError, TimeoutError, OSError) as exc:
            reason = exc.sentence() if isinstance(exc, OpsError) else (
                f"no answer within {SOURCE_TIMEOUT_S:.0f} s" if isinstance(exc, TimeoutError) else type(exc).__name__)
            cached, at = await asyncio.to_thread(cache.load, name, env_name, since)
            answered(index, cached, Gap(name, env_name, reason.rstrip("."), at), True)
            return
        except Exception as exc:  # a bug in one source must not hide the others
            log.exception("timeline source %s failed for %s", name, env_name)
            cached, at = await asyncio.to_thread(cache.load, name, env_name, since)
            answered(index, cached, Gap(name, env_name, f"unexpected error ({type(exc).__name__}; see the log)", at),
                     True)
            return
        finally:
            if progress is not None:
                progress.advance(1)
        await asyncio.to_thread(cache.store, name, env_name, events, since)
        answered(index, events, None, True)

    await settle(*(one(i, name, env.name, fn, env) for i, (name, env, fn) in enumerate(jobs)))
    return _assemble(found, request, now)

"""Take today's snapshot: run every source concurrently and store what each returned, idempotently
(per environment, source and day). Used by ``realtor-ops costs collect`` (cron, CI) and by the console
while it runs. The outcome of each source is kept, so the screen can say why a provider is missing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.core.concurrency import tell
from services.core.workspace import Environment
from services.costs.prices import PriceTable, load_table
from services.costs.settings import CostSettings, load_settings
from services.costs.sources.base import CollectContext, SourceResult, SourceStatus
from services.costs.sources.supabase import PLAN_COLLECTOR
from services.costs.store import CostStore

if TYPE_CHECKING:
    from services.core.app_context import AppContext

STORE_NAME = "costs.sqlite3"
LAST_COLLECT = "last_collect"


@dataclass(frozen=True)
class CollectOutcome:
    day: date
    results: tuple[SourceResult, ...]
    rows_written: int

    @property
    def ok(self) -> bool:
        return not any(r.status is SourceStatus.FAILED for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "rows_written": self.rows_written,
                "sources": [r.to_json() for r in self.results]}


@dataclass(frozen=True)
class CollectProgress:
    """A collect under way: how many of its sources answered (their rows stored) and which are still
    being read; ``first_reads_done`` once only reads that wait on another's answer are left."""

    answered: int
    total: int
    pending: tuple[str, ...]
    first_reads_done: bool


SOURCE_LABELS = {"vercel": "Vercel", "r2": "Cloudflare R2", "github-actions": "GitHub Actions",
                 "supabase": "Supabase", PLAN_COLLECTOR: "the Supabase organization's plan", "upstash": "Upstash",
                 "s3-backups": "the backup bucket"}


def open_store(data_dir: Path) -> CostStore:
    return CostStore(Path(data_dir) / STORE_NAME)


def _flatten(item: object, name: str, env: str) -> list[SourceResult]:
    if isinstance(item, SourceResult):
        return [item]
    if isinstance(item, list):
        return [r for r in item if isinstance(r, SourceResult)]
    if isinstance(item, BaseException):
        # A bug in a source must not stop the others; it is reported by its type, never with data.
        return [SourceResult(name, env, SourceStatus.FAILED, f"{name} stopped unexpectedly ({type(item).__name__})")]
    return []


async def collect(ctx: AppContext, env_names: Sequence[str] | None = None, *, today: date | None = None,
                  table: PriceTable | None = None, settings: CostSettings | None = None,
                  client_overrides: dict[str, Any] | None = None,
                  on_progress: Callable[[CollectProgress], None] | None = None) -> CollectOutcome:
    from services.costs.sources.cost_explorer import collect_cost_explorer
    from services.costs.sources.github_actions import collect_github_actions
    from services.costs.sources.plans import collect_external, collect_plans
    from services.costs.sources.r2 import collect_r2
    from services.costs.sources.s3_backups import collect_s3_backups
    from services.costs.sources.supabase import collect_supabase_plan, collect_supabase_project
    from services.costs.sources.upstash import collect_upstash
    from services.costs.sources.vercel import collect_vercel

    names = list(env_names) if env_names else list(ctx.workspace.environments)
    envs = [ctx.environment(n) for n in names]
    data_dir = Path(ctx.paths.data)
    today = today or datetime.now(UTC).date()
    sandbox = bool(ctx.workspace.sandbox)

    def prepare() -> tuple[CostStore, PriceTable, CostSettings]:
        # SQLite and two files: a worker thread's work, never the caller's loop's (the console's Qt thread).
        store = open_store(data_dir)
        try:
            return store, table or load_table(data_dir), settings or load_settings(data_dir, sandbox=sandbox)
        except BaseException:
            store.close()
            raise

    store, prices, cost_settings = await asyncio.to_thread(prepare)
    started: list[asyncio.Future[Any]] = []
    try:
        cc = CollectContext(ctx.credentials, prices, cost_settings, store, today, envs, data_dir,
                            dict(client_overrides or {}))
        # AWS Cost Explorer (when on) is asked alongside every other source; only the backup buckets wait
        # for its answer, since AWS's own figures, when it answered (today), replace their priced estimate
        # for the month so far.
        explorer_read = asyncio.ensure_future(collect_cost_explorer(cc))
        started.append(explorer_read)

        async def explorer_answered() -> bool:
            try:
                explorer = await explorer_read
            except Exception:
                return False  # reported with the explorer's own result; the bucket is priced instead
            return explorer is not None and explorer.status is SourceStatus.OK

        async def s3_backups(env: Environment) -> SourceResult | None:
            if await explorer_answered():
                return None  # said in ``skipped``, in its place
            return await collect_s3_backups(cc, env)

        # (collector, environment, the read, whether it waits for another read's answer first)
        jobs: list[tuple[str, str, Awaitable[Any], bool]] = [
            ("vercel", "shared", collect_vercel(cc), False), ("r2", "shared", collect_r2(cc), False),
            ("github-actions", "shared", collect_github_actions(cc), False)]
        # Two environments on the same Supabase project or Upstash database count it once (the first).
        seen_ref: dict[str, str] = {}
        skipped: list[tuple[int, SourceResult]] = []  # (the environment's rank, why it is not read)
        rank = {"production": 0, "staging": 1, "development": 2}
        ordered = sorted(envs, key=lambda e: rank.get(e.kind.value, 3))
        for index, env in enumerate(ordered):
            for name, ref, job in (("supabase", env.providers.supabase_project_ref, collect_supabase_project),
                                   ("upstash", env.providers.upstash_database_id, collect_upstash)):
                owner = seen_ref.setdefault(f"{name}:{ref}", env.name) if ref else env.name
                if owner != env.name:
                    skipped.append((index, SourceResult(name, env.name, SourceStatus.NOT_CONFIGURED,
                                                        f"the same {name} resource as '{owner}': counted there",
                                                        tuple(cc.days_to_fill(env.name, name)), ())))
                else:
                    jobs.append((name, env.name, job(cc, env), False))
                    if name == "supabase":
                        # The plan is the organization's, and only the project says which one: the one
                        # read that waits for another's answer.
                        jobs.append((PLAN_COLLECTOR, env.name, collect_supabase_plan(cc, env), True))
            jobs.append(("s3-backups", env.name, s3_backups(env), False))
        written = 0
        answered: dict[int, list[SourceResult]] = {}

        async def one(index: int, name: str, env_name: str, job: Awaitable[Any]) -> None:
            # Each source's rows are stored as soon as it answers (each source's days are replaced at
            # once), so a screen can show what is known while the slowest source is still being read.
            nonlocal written
            try:
                item: object = await job
            except Exception as exc:  # a bug in one source must not stop the others
                item = exc
            found = _flatten(item, name, env_name)
            written += await asyncio.to_thread(_write_rows, store, found)
            answered[index] = found
            if on_progress is not None:
                tell(on_progress, CollectProgress(
                    len(answered), len(jobs),
                    tuple(_label(n, e) for i, (n, e, _, _) in enumerate(jobs) if i not in answered),
                    all(i in answered for i, job in enumerate(jobs) if not job[3])))

        # The reads that wait for another start first; every source is read at once.
        order = sorted(range(len(jobs)), key=lambda i: not jobs[i][3])
        reading = [asyncio.ensure_future(one(i, *jobs[i][:3])) for i in order]
        started.extend(reading)
        await asyncio.gather(explorer_read, *reading, return_exceptions=True)
        explorer_item = None if explorer_read.cancelled() else (explorer_read.exception() or explorer_read.result())
        if await explorer_answered():
            for index, env in enumerate(ordered):
                skipped.append((index, SourceResult("s3-backups", env.name, SourceStatus.NOT_CONFIGURED,
                                                    "AWS Cost Explorer reports S3 instead",
                                                    tuple(cc.month_days_to_date()), ())))
        skipped.sort(key=lambda item: item[0])  # stable: an environment's own lines stay in their order
        first: list[SourceResult] = [r for _, r in skipped] + (
            _flatten(explorer_item, "cost-explorer", "shared") if explorer_item is not None else [])
        last = collect_plans(cc) + collect_external(cc)
        rest = first + last  # stored at the end, with the outcome
        results = first + [r for index in range(len(jobs)) for r in answered.get(index, [])] + last
        # Environments sharing an organization report its plan once.
        unique: dict[tuple[str, str], SourceResult] = {}
        for r in results:
            unique.setdefault((r.collector, r.environment), r)
        results = list(unique.values())
        day = today

        def write() -> CollectOutcome:
            # What was not stored as it answered, and the outcome, in one worker-thread hop.
            outcome = CollectOutcome(day, tuple(results), written + _write_rows(store, rest))
            store.set_meta(LAST_COLLECT, json.dumps({"at": datetime.now(UTC).isoformat(), **outcome.to_json()}))
            return outcome

        return await asyncio.to_thread(write)
    finally:
        for future in started:  # left running only when something above failed
            future.cancel()
        store.close()


def _write_rows(store: CostStore, results: Sequence[SourceResult]) -> int:
    return sum(store.replace_days(r.environment, r.collector, r.days, r.rows) for r in results if r.days)


def _label(collector: str, env: str) -> str:
    what = SOURCE_LABELS.get(collector, collector)
    return what if env == "shared" else f"{what} ({env})"


def last_collect(store: CostStore) -> dict[str, Any] | None:
    raw = store.get_meta(LAST_COLLECT)
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None

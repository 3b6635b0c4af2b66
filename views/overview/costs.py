"""The Overview's cost card: this month's cost so far and where it is heading against the budget, from the
cost snapshots; on a first launch, the figures of the sources read so far while the rest are read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.core.concurrency import settle
from views.overview.card import Card
from views.overview.view import ENVS, PARTIAL_AFTER_S, OverviewView, age_text


async def load_costs(view: OverviewView, card: Card) -> None:
    import asyncio

    from services.core.errors import OpsError
    from services.costs.collect import CollectProgress, collect
    from services.costs.dashboard import source_statuses

    # Nothing known (a first launch): once every source but those that wait on another read answered,
    # their figures show, the rest named (the Supabase organization's plan waits for the project).
    partial: list[CollectProgress] = []
    answered = asyncio.Event()

    asked = asyncio.get_running_loop().time()

    def progress(p: CollectProgress) -> None:
        late = asyncio.get_running_loop().time() - asked >= PARTIAL_AFTER_S  # a source slow to answer at all
        if (p.first_reads_done or late) and p.pending and not card.fresh and not card.known_at_text:
            partial.append(p)
            answered.set()

    async def show_partials(collecting: asyncio.Future[Any]) -> None:
        while not collecting.done():
            await answered.wait()
            answered.clear()
            if partial and not card.fresh and not collecting.done():
                await show_costs(view, card, pending=partial[-1].pending)

    try:
        when, _ = await source_statuses(view.session.ctx)
        today = datetime.now(UTC).date().isoformat()
        collected_today = bool(when) and str(when)[:10] == today
        if when and not collected_today:
            # Yesterday's (or older) snapshots at once, with their age, while today's is collected.
            await show_costs(view, card, known_age=age_text(datetime.fromisoformat(str(when))))
            await collect(view.session.ctx)
        elif not when:  # the console keeps the snapshots current: today's, once a day
            collecting = asyncio.ensure_future(collect(view.session.ctx, on_progress=progress))
            showing = asyncio.ensure_future(show_partials(collecting))
            try:
                await collecting
            finally:
                showing.cancel()
                await asyncio.wait({showing})  # a partial never lands after the whole
        await show_costs(view, card)
    except OpsError as exc:
        card.refresh_failed(exc.sentence())

async def show_costs(view: OverviewView, card: Card, known_age: str = "", pending: tuple[str, ...] = ()) -> None:

    from services.costs.dashboard import load_report

    names = [n for n in (view.env_named(kind) for kind in ENVS) if n is not None]
    # The workspace's report and production's and staging's, read at once (three local reads).
    report, *env_reports = await settle(load_report(view.session.ctx),
                                                *(load_report(view.session.ctx, env=n) for n in names))

    def show(state: str, headline: str, detail: str) -> None:
        if known_age:
            card.show_known(state, headline, detail, known_age, note="collecting today's figures")
        elif pending:
            card.show_partial(state, headline, detail, ", ".join(pending))
        else:
            card.show_state(state, headline, detail)

    if not report.rows:
        show("unknown", "No figures yet", "No cost snapshot for this month yet: open Costs (or run "
             "`realtor-ops costs collect`).")
        return
    cur = report.currency
    text = f"Forecast {report.total_forecast:,.2f} {cur} for {report.month}."
    per_env = [f"{name} {env_report.total_mtd:,.2f}" for name, env_report in zip(names, env_reports, strict=True)]
    if per_env:
        text += f" So far: {', '.join(per_env)} {cur} (the rest is shared or other environments)."
    budget = report.budget
    if budget is None:
        state, note = "unknown", " No budget set."
    elif budget.state == "exceeded":
        state, note = "down", f" Over the {budget.limit:,.2f} budget."
    elif budget.state == "at_risk":
        days = f" in {budget.days_until_exceeded} day(s)" if budget.days_until_exceeded is not None else ""
        state, note = "degraded", f" Forecast over the {budget.limit:,.2f} budget: exceeded{days} at this rate."
    else:
        state, note = "up", f" Within the {budget.limit:,.2f} budget."
    show(state, f"{report.total_mtd:,.2f} {cur} so far", text + note)

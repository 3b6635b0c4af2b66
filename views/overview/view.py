"""Overview: what the broker needs at a glance, without a click — is the site up, did last night's
backup run (and was it verified), what does this month cost, did a deployment fail. Read-only."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from console.session import Session
from console.widgets import STATE_COLOURS
from views.base import OpsView, heading


class Card(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet("#card { background: white; border: 1px solid #dadce0; border-radius: 8px; }")
        layout = QVBoxLayout(self)
        self.title = QLabel(f"<span style='color:#5f6368'>{title}</span>")
        self.state = "unknown"
        self.headline = QLabel("…")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = QLabel("Loading the workspace (a new sandbox starts its database and storage first)…")
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.title, self.headline, self.detail):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_state(self, state: str, headline: str, detail: str, *, rich: bool = False) -> None:
        colour = STATE_COLOURS.get(state, STATE_COLOURS["unknown"])
        self.state = state
        self.headline.setText(f"<span style='color:{colour}'>●</span> {html.escape(headline)}")
        self.detail.setText(detail if rich else html.escape(detail))


class OverviewView(OpsView):
    key = "overview"
    title = "Overview"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Overview"))
        self.subtitle = QLabel("")
        layout.addWidget(self.subtitle)
        grid = QGridLayout()
        self.cards: dict[str, Card] = {
            "production": Card("Production site"),
            "staging": Card("Staging site"),
            "backup": Card("Last backup (production)"),
            "deployments": Card("Deployments (production)"),
            "costs": Card("This month's cost"),
            "attention": Card("Needs attention (last 24 h)"),
        }
        for index, card in enumerate(self.cards.values()):
            grid.addWidget(card, index // 3, index % 3)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.cards["costs"].show_state("unknown", "…", "Reading the cost snapshots…")
        session.lights_changed.connect(self.show_lights)

    def _env_named(self, kind: str) -> str | None:
        for name, env in self.session.ctx.workspace.environments.items():
            if env.kind.value == kind:
                return name
        return None

    def show_lights(self) -> None:
        if not self.session.ready:
            return
        for kind in ("production", "staging"):
            name = self._env_named(kind)
            card = self.cards[kind]
            light = self.session.lights.get(name or "")
            if name is None:
                card.show_state("unknown", "No environment", f"This workspace has no {kind} environment.")
            elif light is None or light.state == "unknown":
                card.show_state("unknown", "Not checked yet", f"{name}: waiting for the first health check.")
            else:
                detail = html.escape(f"{name}: {light.text}")
                extra = self._service_lines(name)
                if extra:  # application errors, the monitoring API: their own lines, never the site's state
                    detail += "<br><small>" + "<br>".join(extra) + "</small>"
                card.show_state(light.state, light.state.capitalize(), detail, rich=True)

    def _service_lines(self, env: str) -> list[str]:
        from console.health_monitor import monitor_for
        from services.health_names import CHECK_LABELS

        monitor = monitor_for(self.session)
        poller = monitor.poller if monitor is not None else None
        if poller is None:
            return []
        return [f"{CHECK_LABELS.get(check, check)}: {html.escape(detail)}"
                for check, _status, detail in poller.service_lines(env)]

    async def load(self) -> None:
        import asyncio

        ctx = self.session.ctx
        self.subtitle.setText(f"Workspace <b>{ctx.workspace.name}</b> — read-only summary; nothing here changes anything.")
        self.show_lights()
        prod = self._env_named("production")
        costs = asyncio.ensure_future(self._load_costs())
        if prod is None:
            await costs
            self.cards["backup"].show_state("unknown", "No production", "There is no production environment.")
            self.cards["deployments"].show_state("unknown", "No production", "There is no production environment.")
            return
        await asyncio.gather(self._load_backup(prod), self._load_deployments(prod), self._load_attention(), costs)

    async def _load_attention(self) -> None:
        """What the timeline of production and staging marks for attention in the last day."""
        from datetime import timedelta

        from services.errors import OpsError
        from services.timeline import TimelineRequest, build_timeline

        card = self.cards["attention"]
        names = [n for n in (self._env_named("production"), self._env_named("staging")) if n]
        try:
            timelines = [await build_timeline(self.session.ctx, TimelineRequest(environment=n, since=timedelta(days=1)))
                         for n in names]
        except OpsError as exc:
            card.show_state("unknown", "Unknown", exc.sentence())
            return
        events = sorted((e for t in timelines for e in t.events if e.attention), key=lambda e: e.time, reverse=True)
        gaps = [g for t in timelines for g in t.gaps]
        tail = f" ({len(gaps)} source(s) could not be read; see Timeline)" if gaps else ""
        if not events:
            card.show_state("up" if not gaps else "unknown", "Nothing", "Nothing on the timeline needs attention." + tail)
            return
        lines = [html.escape(f"{e.time:%H:%M} {e.environment}: {e.summary}") for e in events[:3]]
        more = f" … and {len(events) - 3} more (see Timeline)" if len(events) > 3 else ""
        card.show_state("down", f"{len(events)} event{'s' if len(events) > 1 else ''}",
                        "<br>".join(lines) + html.escape(more + tail), rich=True)

    async def _load_backup(self, env: str) -> None:
        from services.backup.attempts import last_failed_attempt
        from services.backup.catalog import last_known_catalog, list_backups
        from services.errors import OpsError
        from services.health.poller import utc_age

        card = self.cards["backup"]
        failed = await last_failed_attempt(self.session.ctx, env)
        known = await last_known_catalog(self.session.ctx, env)
        if known is not None and card.state == "unknown":
            # The last-known state at once, with its age, while the bucket is read: never a bare "…".
            age = utc_age(known.listed_at)
            card.show_state("up" if known.freshness.level == "fresh" else "down",
                            {"fresh": "On time", "stale": "Overdue", "none": "None yet"}.get(known.freshness.level, "?"),
                            f"{known.freshness.sentence} (last known, {age}; checking now)")
        try:
            catalog = await list_backups(self.session.ctx, env, offline_ok=True)
        except OpsError as exc:
            if failed is not None:
                card.show_state("down", "Last attempt failed", f"{failed.sentence()[:1].upper()}{failed.sentence()[1:]}. "
                                                               f"The catalog could not be read: {exc.sentence()}")
            else:
                card.show_state("unknown", "Unknown", exc.sentence())
            return
        fresh = catalog.freshness
        if failed is not None and (fresh.last_good_at is None or failed.at > fresh.last_good_at):
            sentence = failed.sentence()
            card.show_state("down", "Last attempt failed",
                            f"{sentence[:1].upper()}{sentence[1:]}. Before it: {fresh.sentence}")
            return
        state = "up" if fresh.level == "fresh" else "down"
        headline = {"fresh": "On time", "stale": "Overdue", "none": "None yet"}.get(fresh.level, fresh.level)
        note = fresh.sentence
        if any(j.kind == "backup" and j.environment == env for j in self.session.jobs.running()):
            note += " — a backup is running now (see Jobs)"
        if catalog.from_cache:
            note += f" (last known: {catalog.offline_reason})"
        card.show_state(state, headline, note)

    async def _load_deployments(self, env: str) -> None:
        from services.deployment_summary import deployment_summary
        from services.errors import OpsError

        card = self.cards["deployments"]
        try:
            summary: Any = await deployment_summary(self.session.ctx, env)
        except OpsError as exc:
            card.show_state("unknown", "Unknown", exc.sentence())
            return
        if not summary.configured:
            card.show_state("unknown", "Not configured", summary.sentence)
            return
        current = summary.current
        live = (f"Live: {current.commit_sha[:7]} “{current.commit_message[:60]}” by {current.commit_author}"
                if current else "No current production deployment found")
        headline = "Rolled back" if summary.rolled_back else "Failures" if summary.failed_last_day else "OK"
        failed = "".join(f" Failed: {d.commit_sha[:7]} “{d.commit_message.splitlines()[0][:60] if d.commit_message else d.id}”"
                         f" by {d.creator or d.commit_author}, {d.created_at:%H:%M} UTC." for d in summary.failed_last_day[:2])
        card.show_state("down" if summary.failed_last_day or summary.rolled_back else "up", headline,
                        f"{summary.sentence}.{failed} {live}.")

    async def _load_costs(self) -> None:
        from services.costs.collect import collect
        from services.costs.dashboard import collected_today, load_report
        from services.errors import OpsError

        card = self.cards["costs"]
        try:
            # The console keeps the cost snapshots current while it runs: today's, once a day.
            if not await collected_today(self.session.ctx):
                await collect(self.session.ctx)
            report = await load_report(self.session.ctx)
        except OpsError as exc:
            card.show_state("unknown", "Unknown", exc.sentence())
            return
        if not report.rows:
            card.show_state("unknown", "No figures yet", "No cost snapshot for this month yet: open Costs (or run "
                            "`realtor-ops costs collect`).")
            return
        cur = report.currency
        text = f"Forecast {report.total_forecast:,.2f} {cur} for {report.month}."
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
        card.show_state(state, f"{report.total_mtd:,.2f} {cur} so far", text + note)

"""Overview: what the broker needs at a glance, without a click — is the site up, did last night's
backup run (and was it verified), what does this month cost, did a deployment fail. Read-only."""

from __future__ import annotations

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
        self.headline = QLabel("…")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.title, self.headline, self.detail):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_state(self, state: str, headline: str, detail: str) -> None:
        colour = STATE_COLOURS.get(state, STATE_COLOURS["unknown"])
        self.state = state
        self.headline.setText(f"<span style='color:{colour}'>●</span> {headline}")
        self.detail.setText(detail)


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
                card.show_state(light.state, light.state.capitalize(), f"{name}: {light.text}")

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
        await asyncio.gather(self._load_backup(prod), self._load_deployments(prod), costs)

    async def _load_backup(self, env: str) -> None:
        from services.backup.catalog import list_backups
        from services.errors import OpsError

        card = self.cards["backup"]
        try:
            catalog = await list_backups(self.session.ctx, env, offline_ok=True)
        except OpsError as exc:
            card.show_state("unknown", "Unknown", exc.sentence())
            return
        fresh = catalog.freshness
        state = "up" if fresh.level == "fresh" else "down"
        headline = {"fresh": "On time", "stale": "Overdue", "none": "None yet"}.get(fresh.level, fresh.level)
        note = fresh.sentence
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
        card.show_state("down" if summary.failed_last_day else "up",
                        "Failures" if summary.failed_last_day else "OK", f"{summary.sentence}. {live}.")

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

"""The Deployments tab: the environment's Vercel deployments (paged as one scrolls, filterable), an
inspect panel with a build log that follows a running build, and promote / roll back / redeploy /
cancel with their caveats, grades and the guard. After a rollback a banner says new deployments will
not go live, with Undo (promote the deployment rolled back from).

Slots are one line spawning a plain coroutine method; tests await the methods.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.jobs import Job
from console.production_guard import authorize_in_ui, open_and_wait
from console.session import Session
from services.core.errors import OpsError
from services.core.guard import can_change
from services.core.progress import Progress
from services.deployments import vercel_ops as ops
from services.deployments.caveats import promote_caveats, rollback_caveats
from services.deployments.common import vercel_target
from services.deployments.grade import GradeComparison, compare_with_production
from services.providers.vercel_deployments import EventLine, ProductionState
from views.deployments.dialogs import WorseGradeDialog, comparison_lines
from views.deployments.log_viewer import LogViewer
from views.deployments.model import ROW_ROLE, AuthorFilter, DeploymentsModel

PAGE = 50
VIEWER_TIP = "Your workspace profile is 'viewer': deployments can be looked at, not changed"


class DeploymentsTab(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.env_name = ""
        self.production: ProductionState | None = None
        self.inspection: ops.Inspection | None = None
        self.last_job: Job | None = None
        self.last_comparison: GradeComparison | None = None
        self._follow: asyncio.Task[Any] | None = None
        self._listening = False

        self.state_filter = QComboBox()
        self.state_filter.addItem("All states", "")
        for state in ops.STATES:
            self.state_filter.addItem(state.capitalize(), state)
        self.state_filter.setAccessibleName("Filter by state")
        self.branch_filter = QLineEdit()
        self.branch_filter.setPlaceholderText("branch (exact)")
        self.branch_filter.setAccessibleName("Filter by branch")
        self.author_filter = QLineEdit()
        self.author_filter.setPlaceholderText("author contains…")
        self.author_filter.setAccessibleName("Filter by author")
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:"))
        for w in (self.state_filter, self.branch_filter, self.author_filter):
            filters.addWidget(w)
        self.target_label = QLabel("")
        filters.addWidget(self.target_label, 1)

        self.banner = QFrame()
        self.banner.setObjectName("rolledBackBanner")
        self.banner.setStyleSheet("#rolledBackBanner { background: #fef7e0; border: 1px solid #f9ab00; "
                                  "border-radius: 6px; }")
        banner_layout = QHBoxLayout(self.banner)
        self.banner_text = QLabel("")
        self.banner_text.setWordWrap(True)
        self.undo_button = QPushButton("Undo (promote it again)")
        self.undo_button.setObjectName("undoRollback")
        banner_layout.addWidget(self.banner_text, 1)
        banner_layout.addWidget(self.undo_button)
        self.banner.hide()

        self.model = DeploymentsModel(self)
        self.model.pager = self._request_page
        self.proxy = AuthorFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("deploymentsTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no size hint per row: long lists stay cheap
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((95, 85, 65, 320, 120, 105, 45, 55)):
            self.table.setColumnWidth(col, width)

        self.summary = QLabel("Select a deployment to inspect it.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log = LogViewer()
        self.log.setObjectName("buildLog")
        panel = QWidget()
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(self.summary)
        panel_layout.addWidget(self.log, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(panel)
        split.setSizes([330, 260])

        self.promote_button = QPushButton("Promote…")
        self.rollback_button = QPushButton("Roll back to this…")
        self.redeploy_button = QPushButton("Redeploy")
        self.cancel_button = QPushButton("Cancel build")
        self.grade_button = QPushButton("Grade")
        actions = QHBoxLayout()
        for b in (self.promote_button, self.rollback_button, self.redeploy_button, self.cancel_button,
                  self.grade_button):
            actions.addWidget(b)
        actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        layout.addLayout(actions)

        spawn = self.session.spawn
        self.state_filter.currentIndexChanged.connect(lambda _i: spawn(self.load(self.env_name), name="deployments"))
        self.branch_filter.editingFinished.connect(lambda: spawn(self.load(self.env_name), name="deployments"))
        self.author_filter.textChanged.connect(self.proxy.set_text)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: spawn(self.inspect_selected(), name="inspect deployment"))
        self.promote_button.clicked.connect(lambda: spawn(self.promote_selected(), name="promote"))
        self.rollback_button.clicked.connect(lambda: spawn(self.rollback_selected(), name="rollback"))
        self.redeploy_button.clicked.connect(lambda: spawn(self.redeploy_selected(), name="redeploy"))
        self.cancel_button.clicked.connect(lambda: spawn(self.cancel_selected(), name="cancel deployment"))
        self.grade_button.clicked.connect(lambda: spawn(self.grade_selected(), name="grade"))
        self.undo_button.clicked.connect(lambda: spawn(self.undo_rollback(), name="undo rollback"))
        self._apply_guards()

    # -- loading ------------------------------------------------------------------------------------
    def request(self, until: int | None = None) -> ops.ListRequest:
        return ops.ListRequest(self.env_name, limit=PAGE, until=until,
                               state=str(self.state_filter.currentData() or "") or None,
                               branch=self.branch_filter.text().strip() or None,
                               known_production=self.production if until is not None else None)

    async def load(self, env_name: str) -> None:
        self.stop_following()
        self.env_name = env_name
        self.inspection = None
        self.log.set_text("")
        self.summary.setText("Select a deployment to inspect it.")
        try:
            page = await ops.list_page(self.session.ctx, self.request())
        except OpsError as exc:
            self.model.reset(None)
            self.target_label.setText(f"<span style='color:#d93025'>●</span> {html.escape(exc.sentence())}")
            self._apply_guards()
            return
        self.model.reset(page)
        self.target_label.setText(f"Vercel target <b>{page.target}</b>")
        self.show_production(page.production)
        self._apply_guards()

    def _request_page(self, until: int | None) -> None:
        self.session.spawn(self.load_more(until), name="more deployments")

    async def load_more(self, until: int | None) -> None:
        try:
            page = await ops.list_page(self.session.ctx, self.request(until))
        except BaseException:
            self.model.page_failed()
            raise
        self.model.append_page(page)

    def show_production(self, production: ProductionState | None) -> None:
        self.production = production
        if production is None or not production.rolled_back or production.last_alias_request is None:
            self.banner.hide()
            return
        req = production.last_alias_request
        why = f" Reason: “{html.escape(production.rollback_description)}”" if production.rollback_description else ""
        by = f" by {html.escape(production.rollback_by)}" if production.rollback_by else ""
        self.banner_text.setText(
            f"<b>Rolled back — new deployments will not go live</b> until one is promoted. Production serves "
            f"{req.to_deployment_id}{by}, rolled back from {req.from_deployment_id}.{why}")
        self.banner.show()

    # -- selection and inspect ----------------------------------------------------------------------
    def selected(self) -> ops.DeploymentRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = self.proxy.data(rows[0], ROW_ROLE)
        return row if isinstance(row, ops.DeploymentRow) else None

    async def inspect_selected(self) -> ops.Inspection | None:
        self._apply_guards()
        row = self.selected()
        if row is None:
            return None
        self.stop_following()
        seen = await ops.inspect(self.session.ctx, self.env_name, row.id)
        if self.selected() is None or self.selected() is not row:
            return seen  # the user moved on while it loaded
        self.inspection = seen
        d = seen.deployment
        build = f"{seen.build_seconds:.0f} s" if seen.build_seconds is not None else "still building" \
            if seen.building else "—"
        checks = ", ".join(f"{c.name}: {c.conclusion or c.status}" for c in seen.checks) or "none"
        aliases = ", ".join(a.alias for a in seen.aliases) or "none"
        self.summary.setText(
            f"<b>{d.id}</b> — {d.state}{' — <b>live in production</b>' if seen.current else ''}<br>"
            f"https://{html.escape(d.url)} · target {d.target or 'preview'} · build {build}<br>"
            f"Commit {d.commit_sha[:7]} on {html.escape(d.branch)} by {html.escape(d.commit_author)}: "
            f"{html.escape(d.commit_message)}<br>Aliases: {html.escape(aliases)}<br>Checks: {html.escape(checks)}"
            + (f"<br><span style='color:#d93025'>{html.escape(d.error_message)}</span>" if d.error_message else ""))
        self.log.set_text("\n".join(e.text for e in seen.events))
        if seen.building:
            since = max((e.created_ms for e in seen.events), default=None)
            self._follow = self.session.spawn(self.follow(d.id, since), name="follow build")
        self._apply_guards()
        return seen

    async def follow(self, deployment_id: str, since_ms: int | None, poll_s: float = 1.0) -> ops.FollowOutcome:
        def show(lines: tuple[EventLine, ...]) -> None:
            self.log.append_lines(e.text for e in lines)

        outcome = await ops.follow_events(self.session.ctx, self.env_name, deployment_id, show, since_ms=since_ms,
                                          poll_s=poll_s)
        self.log.flush()
        self.summary.setText(self.summary.text() + f"<br><b>Build finished: {outcome.deployment.state}</b>")
        return outcome

    def stop_following(self) -> None:
        if self._follow is not None and not self._follow.done():
            self._follow.cancel()
        self._follow = None

    def _apply_guards(self) -> None:
        admin = self.session.ready and can_change(self.session.ctx.workspace)
        row = self.selected()
        d = row.deployment if row else None
        env = self.session.ctx.workspace.environments.get(self.env_name) if self.session.ready else None
        production_env = bool(env and vercel_target(env) == "production")
        usable = {
            self.promote_button: bool(d and d.state == "READY" and not row.current) if row else False,
            self.rollback_button: bool(production_env and d and d.state == "READY" and not row.current
                                       and d.target == "production") if row else False,
            self.redeploy_button: d is not None,
            self.cancel_button: bool(d and d.state in ops.BUILDING_STATES),
            self.grade_button: d is not None,
        }
        for button, ok in usable.items():
            change = button is not self.grade_button
            button.setEnabled(ok and (admin or not change))
            button.setToolTip(VIEWER_TIP if change and not admin else "")
        self.undo_button.setEnabled(bool(admin))

    # -- changes ------------------------------------------------------------------------------------
    async def grade_selected(self) -> GradeComparison | None:
        row = self.selected()
        if row is None:
            return None
        comparison = await compare_with_production(self.session.ctx, self.env_name, row.id)
        self.last_comparison = comparison
        self.summary.setText(self.summary.text() + "<br>" + "<br>".join(comparison_lines(comparison)))
        return comparison

    async def promote_selected(self, deployment_id: str | None = None) -> Job | None:
        ctx, env_name = self.session.ctx, self.env_name
        chosen = self.selected()
        target_id = deployment_id or (chosen.id if chosen else None)
        if target_id is None:
            return None
        env = ctx.workspace.environment(env_name)
        comparison = await compare_with_production(ctx, env_name, target_id)
        self.last_comparison = comparison
        if comparison.worse:
            second = WorseGradeDialog(comparison, self)
            accepted = await open_and_wait(second) == WorseGradeDialog.DialogCode.Accepted
            second.deleteLater()
            if not accepted:
                return None
        candidate = await ops.deployment(ctx, env_name, target_id)
        caveats = await promote_caveats(ctx, env, candidate)
        consequences = [f"point production's domains at <b>{candidate.id}</b> "
                        f"({html.escape(candidate.commit_message[:80])})", *comparison_lines(comparison),
                        *[html.escape(line) for line in caveats.lines]]
        auth = await authorize_in_ui(self.session, env_name, "deploy promote", consequences=consequences, parent=self)
        if auth is None:
            return None
        request = ops.PromoteRequest(env_name, candidate.id, rebuild_preview=candidate.target != "production")

        async def work(progress: Progress) -> Any:
            return await ops.promote(ctx, request, auth, progress)

        return self._start(f"Promote {candidate.id}", work)

    async def rollback_selected(self) -> Job | None:
        row = self.selected()
        if row is None:
            return None
        return await self.rollback_to(row.deployment)

    async def rollback_to_id(self, env_name: str, deployment_id: str) -> Job | None:
        """The guarded rollback of ``env_name`` to a deployment named elsewhere (the timeline's incident row)."""
        return await self.rollback_to(await ops.deployment(self.session.ctx, env_name, deployment_id), env_name)

    async def rollback_to(self, target: Any, env_name: str | None = None) -> Job | None:
        ctx, env_name = self.session.ctx, env_name or self.env_name
        env = ctx.workspace.environment(env_name)
        caveats = await rollback_caveats(ctx, env, target)
        consequences = [f"roll production back to <b>{target.id}</b> "
                        f"({html.escape(target.commit_message[:80])}); your reason goes to Vercel as the "
                        "rollback's description", *[html.escape(line) for line in caveats.lines]]
        auth = await authorize_in_ui(self.session, env_name, "deploy rollback", consequences=consequences, parent=self)
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await ops.rollback(ctx, ops.RollbackRequest(env_name, target.id), auth, progress)

        return self._start(f"Roll {env_name} back to {target.id}", work)

    async def undo_rollback(self) -> Job | None:
        req = self.production.last_alias_request if self.production else None
        if req is None:
            return None
        return await self.promote_selected(req.from_deployment_id)

    async def redeploy_selected(self) -> Job | None:
        row = self.selected()
        if row is None:
            return None
        ctx, env_name = self.session.ctx, self.env_name
        auth = await authorize_in_ui(self.session, env_name, "deploy redeploy", parent=self, consequences=[
            f"build {row.id}'s source again as a new {row.deployment.target or 'preview'} deployment"])
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await ops.redeploy(ctx, ops.RedeployRequest(env_name, row.id), auth, progress)

        return self._start(f"Redeploy {row.id}", work)

    async def cancel_selected(self) -> Job | None:
        row = self.selected()
        if row is None:
            return None
        ctx, env_name = self.session.ctx, self.env_name
        auth = await authorize_in_ui(self.session, env_name, "deploy cancel", parent=self,
                                     consequences=[f"stop the build of {row.id}"])
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await ops.cancel(ctx, ops.RedeployRequest(env_name, row.id), auth, progress)

        return self._start(f"Cancel {row.id}", work)

    def _start(self, title: str, work: Any) -> Job:
        job = self.session.jobs.start(title, work, environment=self.env_name, kind="deploy")
        self.last_job = job
        return job

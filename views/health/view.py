"""Health: a board of environments × checks (colour and words), a check's history with its latency
chart, the incident list and the security-header report.

The poller lives in :class:`HealthMonitor` (started with the workspace, so the status bar and the tray
follow production even when this view is not open). Slots are one line that spawn a plain coroutine
of this class; tests await those coroutines.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.health_monitor import HealthMonitor, monitor_for
from console.session import Session
from services.core.concurrency import settle
from services.health import CHECK_LABELS, CheckState, Status, Transition, all_checks
from services.health.checks.headers import report_from_result
from services.health.history import WINDOWS, HealthHistory, LatencyPoint
from services.health.observatory import OBSERVATORY_VERSION, Hop
from services.health.poller import interval_of
from views.base import OpsView, heading
from views.health.latency_chart import LatencyChart
from views.health.models import (
    BoardModel,
    Cell,
    HeadersModel,
    IncidentsModel,
    ObservatoryTestsModel,
    PartsModel,
    ResultsModel,
    state_words,
)

CHART_SPAN = timedelta(hours=24)


def _table(model: object, *, stretch_last: bool = True) -> QTableView:
    table = QTableView()
    table.setModel(model)  # type: ignore[arg-type]
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(stretch_last)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    return table


def _chain_text(chain: tuple[Hop, ...]) -> str:
    if not chain:
        return ""
    if len(chain) == 1:
        return f"Graded page: {chain[0].url} ({chain[0].status}), no redirects."
    steps = " → ".join(f"{h.url} ({h.status})" for h in chain)
    return f"Redirects followed ({len(chain) - 1}): {steps}. The last page is the one graded."


def _uptime(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.2f}%"


class HealthView(OpsView):
    key = "health"
    title = "Health"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        # The shell starts the monitor at boot (status lights, tray); a view built on its own starts one.
        existing = monitor_for(session)
        self.monitor = existing or HealthMonitor(session, self)
        if existing is None and session.ready:
            self.monitor.restart()
        self.selected: tuple[str, str] | None = None
        self._board_for: object = None
        self._result_arrived = asyncio.Event()
        self._detail_task: asyncio.Task[None] | None = None

        self.summary = QLabel("Not checked yet")
        self.summary.setWordWrap(True)
        self.check_now_button = QPushButton("Check now")
        self.check_now_button.clicked.connect(lambda: self.session.spawn(self.check_now(), name="health:check now"))

        self.board_model = BoardModel(self)
        self.board = QTableView()
        self.board.setObjectName("healthBoard")
        self.board.setModel(self.board_model)
        self.board.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Stretched, not sized to contents: with ResizeToContents every result would make Qt ask
        # every cell for its size. Full texts are in the tooltips.
        # Columns as wide as their words (the board scrolls sideways on a small screen; nothing is cut).
        self.board.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.board.horizontalHeader().setStretchLastSection(True)
        self.board.horizontalHeader().setMinimumSectionSize(96)
        self.board.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.board.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.board.setWordWrap(False)
        self.board.clicked.connect(self._on_cell_clicked)

        # History of the selected check.
        self.detail_title = QLabel("Select a check on the board to see its history.")
        self.uptime_label = QLabel("")
        self.chart = LatencyChart()
        self.parts_model = PartsModel(self)
        self.parts_table = _table(self.parts_model)
        self.results_model = ResultsModel(self)
        self.results_table = _table(self.results_model)
        history_tab = QWidget()
        hl = QVBoxLayout(history_tab)
        hl.addWidget(self.detail_title)
        hl.addWidget(self.uptime_label)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.chart)
        split.addWidget(self.parts_table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        hl.addWidget(split, 2)
        hl.addWidget(self.results_table, 1)

        self.incidents_model = IncidentsModel(self)
        self.incidents_table = _table(self.incidents_model)

        self.headers_title = QLabel("Security headers: not checked yet")
        self.headers_title.setWordWrap(True)
        self.headers_model = HeadersModel(self)
        self.headers_table = _table(self.headers_model)
        self.headers_table.setWordWrap(True)
        self.headers_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((170, 120, 260, 220, 220)):
            self.headers_table.setColumnWidth(column, width)
        self.chain_label = QLabel("")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tests_model = ObservatoryTestsModel(self)
        self.tests_table = _table(self.tests_model)
        self.tests_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((195, 372, 46, 265, 160)):
            self.tests_table.setColumnWidth(column, width)
        self.tests_table.doubleClicked.connect(self._open_rule)
        self.tests_table.verticalHeader().setDefaultSectionSize(22)
        self.tests_table.setMinimumHeight(22 * 10 + 30)
        headers_tab = QWidget()
        hdl = QVBoxLayout(headers_tab)
        hdl.addWidget(self.headers_title)
        hdl.addWidget(self.chain_label)
        header_split = QSplitter(Qt.Orientation.Vertical)
        header_split.addWidget(self.tests_table)
        header_split.addWidget(self.headers_table)
        header_split.setStretchFactor(0, 5)
        header_split.setStretchFactor(1, 2)
        hdl.addWidget(header_split)

        self.tabs = QTabWidget()
        self.tabs.addTab(history_tab, "Check history")
        self.tabs.addTab(self.incidents_table, "Incidents")
        self.tabs.addTab(headers_tab, "Security headers")

        top = QHBoxLayout()
        top.addWidget(heading(self.title))
        top.addStretch(1)
        top.addWidget(self.check_now_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.board)
        body.addWidget(self.tabs)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 2)
        layout.addWidget(body, 1)

        self.monitor.result.connect(self._on_result)
        self.monitor.transition.connect(self._on_transition)
        self.monitor.started.connect(self._rebuild_board)
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(250)
        self._summary_timer.timeout.connect(self._refresh_summary)
        self._ages = QTimer(self)
        self._ages.setInterval(15_000)
        self._ages.timeout.connect(self.board_model.tick)
        self._ages.start()

    # --- loading ----------------------------------------------------------------------------------
    async def load(self) -> None:
        await self.monitor.ready()
        if self._board_for is not self.monitor.poller:
            self._rebuild_board()
        env = self.env_name
        await self._first_results(env)
        if self.selected is None or self.selected[0] != env:
            self.selected = (env, "platform") if env else None
        await settle(self.load_incidents(), self.load_detail(), self.load_headers())

    async def _first_results(self, env: str) -> None:
        """Wait (at most the environment's timeout) until every configured check of ``env`` has a
        result, so that "loaded" means the board shows real states."""
        poller = self.monitor.poller
        if poller is None or not env or not self.session.ready:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.session.ctx.environment(env).health.timeout_s + 1.0
        while any(s.last is None for s in poller.env_states(env)):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._result_arrived.clear()
            try:
                await asyncio.wait_for(self._result_arrived.wait(), remaining)
            except TimeoutError:
                return

    def _rebuild_board(self) -> None:
        if not self.session.ready:
            return
        workspace = self.session.ctx.workspace
        checks = all_checks()
        states = self.monitor.poller.states if self.monitor.poller else {}
        cells: dict[tuple[str, str], Cell] = {}
        for env in workspace.environments.values():
            for name, check in checks.items():
                cells[(env.name, name)] = Cell(env.name, name, check.configured(env),
                                               check.not_configured_reason(env), states.get((env.name, name)),
                                               interval_of(env, name))
        self.board_model.reset(list(workspace.environments), cells)
        self._board_for = self.monitor.poller
        # Tall enough for up to eight environments without scrolling.
        rows = min(8, max(1, len(workspace.environments)))
        height = (self.board.horizontalHeader().sizeHint().height() + rows * self.board.verticalHeader().defaultSectionSize()
                  + 2 * self.board.frameWidth() + self.board.horizontalScrollBar().sizeHint().height())
        self.board.setMinimumHeight(height)
        self._refresh_summary()

    def _refresh_summary(self) -> None:
        poller = self.monitor.poller
        if poller is None or not self.session.ready:
            return
        lines = []
        for env in self.session.ctx.workspace.environments:
            status, text = poller.environment_status(env)
            lines.append(f"<b>{env}</b>: {status.words.upper()} — {text}")
        self.summary.setText("<br>".join(lines))

    # --- signals from the monitor -------------------------------------------------------------------
    def _on_result(self, state: CheckState) -> None:
        self._result_arrived.set()
        self.board_model.update(state)
        if not self._summary_timer.isActive():
            self._summary_timer.start()  # many results arrive together: one summary for all
        if self.selected == (state.env, state.check) and self.isVisible():
            self._spawn_detail()
        if state.check == "headers" and state.env == self.env_name:
            self._show_headers(state)

    def _on_transition(self, _tr: Transition) -> None:
        if self.isVisible() and not self.session.tasks.closing:
            self.session.spawn(self.load_incidents(), name="health:incidents")

    # --- drill-down ----------------------------------------------------------------------------------
    def _on_cell_clicked(self, index: QModelIndex) -> None:
        self.select(index.row(), index.column())

    def select(self, row: int, column: int) -> None:
        cell = self.board_model.cell(row, column)
        if cell is not None:
            self.selected = (cell.env, cell.check)
            self.tabs.setCurrentIndex(0)
            self._spawn_detail()

    def _spawn_detail(self) -> None:
        if self.session.tasks.closing:
            return
        if self._detail_task is not None and not self._detail_task.done():
            return  # one refresh at a time; the next result will refresh again
        self._detail_task = self.session.spawn(self.load_detail(), name="health:detail")

    async def load_detail(self) -> None:
        history = self.monitor.history
        if self.selected is None or history is None:
            return
        env, check = self.selected
        if self.monitor.poller is not None:
            await self.monitor.poller.flush()  # results are written in batches: include the newest
        now = datetime.now(UTC)
        recent, uptimes, points = await settle(
            asyncio.to_thread(history.recent, env, check, 200),
            asyncio.to_thread(history.uptimes, env, check, now),
            asyncio.to_thread(history.latency, env, check, now - CHART_SPAN, now))
        self.show_detail(env, check, recent, uptimes, points)

    def show_detail(self, env: str, check: str, recent: list, uptimes: dict[str, float | None],  # type: ignore[type-arg]
                    points: list[LatencyPoint]) -> None:
        label = CHECK_LABELS.get(check, check)
        state = self.monitor.poller.states.get((env, check)) if self.monitor.poller else None
        now_words = state_words(state)  # the board's words, so the two never disagree
        if state is not None and state.last is not None:
            now_words += f" — {state.last.detail}"
        self.detail_title.setText(f"<b>{env} · {label}</b>: {now_words}")
        self.uptime_label.setText("Uptime: " + ",  ".join(f"{name} {_uptime(uptimes.get(name))}" for name in WINDOWS)
                                  + f"  ·  {len(recent)} recent results")
        self.chart.set_points(points, f"{env} · {label} — latency, last 24 h")
        self.results_model.set_results(recent)
        self.parts_model.set_result(recent[0] if recent else (state.last if state else None))

    async def load_incidents(self) -> None:
        history = self.monitor.history
        if history is None:
            return
        if self.monitor.poller is not None:
            await self.monitor.poller.flush()
        incidents = await asyncio.to_thread(history.incidents, None, None, limit=300)
        self.incidents_model.set_incidents(incidents)

    async def load_headers(self) -> None:
        poller = self.monitor.poller
        env = self.env_name
        state = poller.states.get((env, "headers")) if poller else None
        if state is not None:
            self._show_headers(state)
        else:
            self.headers_title.setText(f"Security headers of {env}: not checked (no app URL is set)")
            self.chain_label.setText("")
            self.headers_model.set_report(None)
            self.tests_model.set_report(None)

    def _show_headers(self, state: CheckState) -> None:
        res = state.last
        report = report_from_result(res) if res is not None else None
        if res is None or report is None or not report.tests:
            self.headers_title.setText(f"Security headers of {state.env}: "
                                       + (res.detail if res is not None else "not checked yet"))
            self.chain_label.setText(_chain_text(report.chain) if report is not None else "")
            self.headers_model.set_report(None)
            self.tests_model.set_report(None)
            return
        url = report.url or (self.session.ctx.environment(state.env).app_url if self.session.ready else "")
        bonus = "" if report.score == report.uncurved else f" (before bonuses {report.uncurved})"
        problems = len(report.problems)
        deductions = report.deductions
        self.headers_title.setText(
            f"<b>{state.env}</b> ({url}): Mozilla HTTP Observatory grade <b>{report.grade}</b>, score "
            f"{report.score}{bonus} · algorithm {report.algorithm} (Observatory v{OBSERVATORY_VERSION}) — "
            f"{len(deductions)} deduction{'' if len(deductions) == 1 else 's'}"
            + (f" ({', '.join(f'{t.title} {t.modifier:+d}' for t in deductions)})" if deductions else "")
            + ". " + ("Every header is at least as strict as the seed's policy." if not problems
                      else f"{problems} header{'s' if problems > 1 else ''} missing or weaker than the seed's policy."))
        self.chain_label.setText(_chain_text(report.chain) + " Double-click a test to open its rule.")
        self.tests_model.set_report(report)
        self.headers_model.set_report(report)

    def _open_rule(self, index: QModelIndex) -> None:
        link = self.tests_model.link(index.row())
        if link:
            QDesktopServices.openUrl(QUrl(link))

    async def check_now(self) -> None:
        poller = self.monitor.poller
        if poller is not None:
            await poller.run_round(self.env_name or None)

    # Exposed for tests and the overview.
    @property
    def history(self) -> HealthHistory | None:
        return self.monitor.history

    def cell_text(self, env: str, check: str) -> str:
        row, column = self.board_model.envs.index(env), self.board_model.checks.index(check)
        return str(self.board_model.data(self.board_model.index(row, column)))

    def cell_status(self, env: str, check: str) -> Status:
        cell = self.board_model.cells.get((env, check))
        return cell.status if cell is not None else Status.UNKNOWN

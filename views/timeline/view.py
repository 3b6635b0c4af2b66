"""Timeline: what happened to the environment (or to all), newest first — the first place to look when
production goes down ("what changed?"). An incident linked to the change before it offers what undoes
that change: the guarded rollback, or the restore of the backup taken before the migration."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.session import Session
from console.table_model import ColumnsModel
from console.widgets import FlowLayout
from services.core.errors import OpsError
from services.timeline import Event, Kind, Timeline, TimelineRequest, build_timeline
from views.base import OpsView, heading

Index = QModelIndex | QPersistentModelIndex
SPANS = (("last 24 hours", timedelta(days=1)), ("last 7 days", timedelta(days=7)), ("last 30 days", timedelta(days=30)))
REFRESH_MS = 60_000


class TimelineModel(ColumnsModel[Event]):
    COLUMNS = ("Time (UTC)", "Environment", "Kind", "Who", "What", "Linked")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.cached: set[str] = set()  # events shown from the last-known store (their source is down)

    def set_rows(self, rows: list[Event], cached: set[str] | None = None) -> None:
        self.beginResetModel()
        self._rows = rows
        self.cached = cached or set()
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        e = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f"{e.time:%Y-%m-%d %H:%M}"
            if col == 1:
                return e.environment
            if col == 2:
                return e.kind.value
            if col == 3:
                return e.actor
            if col == 4:
                return ("[last known] " if e.id in self.cached else "") + e.summary
            if col == 5:
                return f"{len(e.related)} linked" if e.related else ""
        if role == Qt.ItemDataRole.ForegroundRole and e.attention and col in (2, 4):
            return QColor("#d93025")
        if role == Qt.ItemDataRole.FontRole and e.related:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return e.summary
        if role == Qt.ItemDataRole.UserRole:
            return e
        return None


class TimelineView(OpsView):
    key = "timeline"
    title = "Timeline"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.timeline: Timeline | None = None
        self.scope = QComboBox()
        self.scope.addItems(["this environment", "all environments"])
        self.kind_filter = QComboBox()
        self.kind_filter.addItem("every kind", "")
        for kind in Kind:
            self.kind_filter.addItem(kind.value, kind.value)
        self.span = QComboBox()
        for label, _span in SPANS:
            self.span.addItem(label)
        self.span.setCurrentIndex(1)
        self.refresh_button = QPushButton("Refresh")
        self.status = QLabel("Loading…")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.model = TimelineModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.details = QLabel("Select an event to see what it is linked to.")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.open_button = QPushButton("Open its screen")
        self.rollback_button = QPushButton("Roll back to the deployment before it…")
        self.restore_button = QPushButton("Restore the backup taken before the migration…")
        for b in (self.open_button, self.rollback_button, self.restore_button):
            b.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(heading(self.title))
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        filters = FlowLayout()
        for w in (QLabel("Show"), self.scope, self.kind_filter, self.span):
            filters.addWidget(w)
        actions = FlowLayout()
        for b in (self.open_button, self.rollback_button, self.restore_button):
            actions.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(actions)

        for combo in (self.scope, self.kind_filter, self.span):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.refresh_button.clicked.connect(self.reload)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_selected())
        self.table.doubleClicked.connect(lambda _i: self.open_screen())
        self.open_button.clicked.connect(self.open_screen)
        self.rollback_button.clicked.connect(lambda: self.session.spawn(self.offer("rollback"), name="timeline rollback"))
        self.restore_button.clicked.connect(lambda: self.session.spawn(self.offer("restore"), name="timeline restore"))
        # Live while the console runs: a finished job reloads every view; a timer picks up the rest.
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(lambda: self.reload() if self.isVisible() else None)
        self._timer.start()

    def clear(self) -> None:
        self.timeline = None
        self.model.set_rows([])
        self.status.setText("Loading…")
        self.show_selected()

    def request(self) -> TimelineRequest:
        kind = str(self.kind_filter.currentData() or "")
        return TimelineRequest(environment=self.env_name if self.scope.currentIndex() == 0 else None,
                               since=SPANS[self.span.currentIndex()][1], kinds=(Kind(kind),) if kind else ())

    async def load(self) -> None:
        if not self.session.ready or not self.env_name:
            return
        self.data_env = self.env_name
        request = self.request()
        timeline = await build_timeline(self.session.ctx, request)
        self.timeline = timeline
        cached = self._cached_ids(timeline)
        self.model.set_rows(list(timeline.events), cached)
        attention = [e for e in timeline.events if e.attention and e.time > datetime.now(UTC) - timedelta(days=1)]
        scope = request.environment or "all environments"
        words = [f"<b>{len(timeline.events)}</b> events for {html.escape(scope)}",
                 f"<span style='color:#d93025'><b>{len(attention)}</b> need attention in the last 24 h</span>"
                 if attention else "nothing needs attention in the last 24 h",
                 f"incidents are linked to a change within {timeline.window_min} min before them"]
        text = " · ".join(words)
        for gap in timeline.gaps:
            text += f"<br><span style='color:#b06000'>● {html.escape(gap.sentence())}</span>"
        self.status.setText(text)
        self.show_selected()

    @staticmethod
    def _cached_ids(timeline: Timeline) -> set[str]:
        # Events of a source that could not be read this time come from the last-known store.
        down = {(g.source, g.environment) for g in timeline.gaps if g.cached_at is not None}
        prefix: dict[str, tuple[str, ...]] = {
            "Vercel": ("deployment:",), "GitHub Actions": ("ci:",), "migrations": ("migration:",),
            "backup catalog": ("backup:", "verification:"), "health history": ("incident:",), "audit log": ("audit:",)}
        marks: set[str] = set()
        for source, env in down:
            starts = prefix.get(source, ("\0",))
            marks |= {e.id for e in timeline.events if e.environment == env and e.id.startswith(starts)}
        return marks

    def selected(self) -> Event | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def show_selected(self) -> None:
        e = self.selected()
        offers = dict(e.offers) if e else {}
        self.open_button.setEnabled(e is not None)
        self.rollback_button.setEnabled("rollback" in offers)
        self.restore_button.setEnabled("restore" in offers)
        if e is None or self.timeline is None:
            self.details.setText("Select an event to see what it is linked to.")
            return
        lines = [f"<b>{html.escape(e.summary)}</b> — {e.time:%Y-%m-%d %H:%M} UTC, {html.escape(e.actor)}"]
        for rid in e.related:
            other = self.timeline.find(rid)
            if other is not None:
                lines.append(f"Linked: {other.kind.value} {other.time:%H:%M} — {html.escape(other.summary)}")
        for action, target in e.offers:
            other = self.timeline.find(target)
            if other is not None:
                lines.append(f"Offers: {action} to {html.escape(other.ref or other.id)} ({other.time:%Y-%m-%d %H:%M})")
        self.details.setText("<br>".join(lines))

    def open_screen(self) -> None:
        e = self.selected()
        window = self.window()
        if e is not None and hasattr(window, "show_view"):
            if e.environment != self.session.current_env:
                self.session.select_environment(e.environment)
            window.show_view(e.screen)

    async def offer(self, action: str) -> object:
        """Run what the incident offers, through the screen that guards it (typed name and reason)."""
        e = self.selected()
        if e is None or self.timeline is None:
            return None
        target = self.timeline.find(dict(e.offers).get(action, ""))
        window = self.window()
        if target is None or not hasattr(window, "show_view"):
            return None
        if e.environment != self.session.current_env:
            self.session.select_environment(e.environment)
        try:
            if action == "rollback":
                view = window.show_view("deployments")
                return await view.deployments.rollback_to_id(e.environment, target.ref)
            view = window.show_view("backups")
            await view.load()
            return await view.restore_backup_id(target.ref)
        except OpsError as exc:
            self.session.errors.report(exc, f"timeline {action}")
            return None

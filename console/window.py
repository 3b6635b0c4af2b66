"""The main window: sidebar, environment switcher, banners, the views, jobs panel, status bar.

Start-up shows the shell first (title, menus, the sidebar, the environment switcher) and builds the
rest (banners, the jobs panel, the screen on show) right after its first paint: ``shell_first``.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.session import Session

# The shell names no ``Qt`` enum and imports neither the widgets below nor any screen: building
# the ``Qt`` namespace alone takes ~15 ms, which the first paint does not wait for.
if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from console.widgets import Banner, ErrorBar, JobsPanel, Light
    from services.core.errors import ErrorReport
    from views.base import OpsView


class ViewSpec(NamedTuple):
    key: str
    title: str
    module: str  # imported when the view is first shown, so start-up pays only for the one on screen
    cls: str

    def load(self) -> type[OpsView]:
        return getattr(importlib.import_module(self.module), self.cls)  # type: ignore[no-any-return]


VIEW_SPECS: tuple[ViewSpec, ...] = (
    ViewSpec("overview", "Overview", "views.overview.view", "OverviewView"),
    ViewSpec("environments", "Environments", "views.environments.view", "EnvironmentsView"),
    ViewSpec("deployments", "Deployments", "views.deployments.view", "DeploymentsView"),
    ViewSpec("backups", "Backups", "views.backups.view", "BackupsView"),
    ViewSpec("health", "Health", "views.health.view", "HealthView"),
    ViewSpec("costs", "Costs", "views.costs.view", "CostsView"),
    ViewSpec("timeline", "Timeline", "views.timeline.view", "TimelineView"),
)
VIEW_KEYS = tuple(spec.key for spec in VIEW_SPECS)


class MainWindow(QMainWindow):
    # Emitted once, at the first paint: slow start-up work waits for it so the window appears at once.
    first_painted = Signal()
    # Built with the rest of the window (ensure_complete).
    sandbox_banner: Banner
    workspace_banner: Banner
    error_bar: ErrorBar
    jobs_panel: JobsPanel
    jobs_dock: QDockWidget

    def __init__(self, session: Session, *, shell_first: bool = False) -> None:
        """``shell_first``: build only the shell now and the rest right after the first paint (or
        when something needs it first); otherwise the whole window at once."""
        super().__init__()
        self.painted = False
        self.complete = False
        self.session = session
        self.setWindowTitle("Realtor Ops Console")
        self.resize(1280, 800)

        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(170)
        self.sidebar.setStyleSheet("QListWidget { font-size: 11pt; } QListWidget::item { padding: 8px 10px; }")
        self.stack = QStackedWidget()
        # Views are built when first shown: start-up pays only for the one on screen. Each gets a
        # page in the stack now; its scroll area and the view come with it.
        self.views: dict[str, OpsView] = {}
        self._pages: dict[str, QWidget] = {}
        for spec in VIEW_SPECS:
            page = QWidget()
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
            self._pages[spec.key] = page
            self.stack.addWidget(page)
            self.sidebar.addItem(spec.title)
        self.sidebar.currentRowChanged.connect(self._on_row)

        self.env_switcher = QComboBox()
        self.env_switcher.setMinimumWidth(180)
        self.env_switcher.currentTextChanged.connect(session.select_environment)
        self.profile_label = QLabel()

        top = QHBoxLayout()
        top.addWidget(QLabel("Environment:"))
        top.addWidget(self.env_switcher)
        top.addStretch(1)
        top.addWidget(self.profile_label)

        centre = QWidget()
        self._column = QVBoxLayout(centre)
        self._column.addLayout(top)  # the banners go below, once built
        self._column.addWidget(self.stack, 1)
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sidebar)
        row.addWidget(centre, 1)
        self.setCentralWidget(body)

        self.lights: dict[str, Light] = {}
        self._build_menus()
        session.errors.shown.connect(self.show_error)
        session.context_ready.connect(self._on_context)
        session.lights_changed.connect(self._refresh_lights)
        session.environment_changed.connect(self._on_environment)
        session.sandbox_status.connect(self._on_sandbox_status)
        self.sidebar.setCurrentRow(0)
        if not shell_first:
            self.ensure_complete()

    def ensure_complete(self) -> None:
        """Build what the shell leaves out: banners, the error bar, the jobs panel, the screen on show."""
        if self.complete:
            return
        self.complete = True
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QDockWidget

        from console.widgets import Banner, ErrorBar, JobsPanel

        self._quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.sandbox_banner = Banner("#e8f0fe")
        self.workspace_banner = Banner("#fef7e0")
        self.error_bar = ErrorBar()
        for index, banner in enumerate((self.sandbox_banner, self.workspace_banner, self.error_bar)):
            self._column.insertWidget(1 + index, banner)

        self.jobs_panel = JobsPanel(self.session.jobs)
        dock = QDockWidget("Jobs", self)
        dock.setObjectName("jobs")
        dock.setWidget(self.jobs_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.resizeDocks([dock], [150], Qt.Orientation.Vertical)
        self.jobs_dock = dock
        self._on_row(self.sidebar.currentRow())

    def _build_menus(self) -> None:
        # setShortcuts([key]), which is setShortcut(key): PySide's setShortcut builds the ``Qt`` namespace.
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("&Preferences…", self.open_preferences)
        file_menu.addSeparator()
        self._quit_action = file_menu.addAction("&Quit", self.close)
        self._quit_action.setShortcuts([QKeySequence("Ctrl+Q")])  # application-wide once the window is complete
        view_menu = self.menuBar().addMenu("&View")
        refresh = view_menu.addAction("&Refresh", self.refresh_current)
        refresh.setShortcuts([QKeySequence("F5")])
        find = view_menu.addAction("&Filter…", self.focus_filter)
        find.setShortcuts([QKeySequence("Ctrl+F")])
        view_menu.addSeparator()
        for index, spec in enumerate(VIEW_SPECS):
            action = view_menu.addAction(spec.title, functools.partial(self.show_view, spec.key))
            action.setShortcuts([QKeySequence(f"Ctrl+{index + 1}")])
        view_menu.addSeparator()
        view_menu.addAction("Jobs panel", self.toggle_jobs_panel)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About", self.show_about)

    def toggle_jobs_panel(self) -> None:
        self.ensure_complete()
        self.jobs_dock.setVisible(not self.jobs_dock.isVisible())

    def open_preferences(self) -> None:
        from console.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.session, self)
        self.session.spawn(dialog.load(), name="load preferences")
        dialog.open()

    def show_about(self) -> None:
        from console.about_dialog import AboutDialog

        dialog = AboutDialog(self.session, self)
        self.session.spawn(dialog.load(), name="about")
        dialog.open()

    # --- navigation -------------------------------------------------------------------------
    def view(self, key: str) -> OpsView:
        self.ensure_complete()
        if key not in self.views:
            from PySide6.QtWidgets import QAbstractItemView, QFrame, QScrollArea

            spec = next(s for s in VIEW_SPECS if s.key == key)
            view = spec.load()(self.session)
            self.views[key] = view
            # A screen taller or wider than a small laptop's scrolls instead of forcing the window bigger.
            slot = QWidget()
            QVBoxLayout(slot).setContentsMargins(0, 0, 0, 0)
            slot.layout().addWidget(view)  # type: ignore[union-attr]
            scroller = QScrollArea()
            scroller.setWidgetResizable(True)
            scroller.setFrameShape(QFrame.Shape.NoFrame)
            scroller.setWidget(slot)
            self._pages[key].layout().addWidget(scroller)  # type: ignore[union-attr]
            for table in view.findChildren(QAbstractItemView):
                table.setTabKeyNavigation(False)  # Tab moves on to the next control, never trapped in cells
        return self.views[key]

    def focus_order(self) -> list[QWidget]:
        """Tab follows the screen's reading order: sidebar, environment, the screen's controls top to
        bottom and left to right (as they are now: a load may add some), then the jobs panel."""
        chain: list[QWidget] = [self.sidebar, self.env_switcher, *self.current_view().focus_chain()]
        if self.jobs_dock.isVisible():
            chain += [w for w in (self.jobs_panel.table, self.jobs_panel.cancel_button) if w.isEnabled()]
        return chain

    def focusNextPrevChild(self, next: bool) -> bool:
        from PySide6.QtCore import Qt

        chain = self.focus_order()
        widget: QWidget | None = self.focusWidget()
        while widget is not None and widget not in chain:
            widget = widget.parentWidget()  # e.g. the line edit inside an editable combo box
        if widget is None:
            return super().focusNextPrevChild(next)
        target = chain[(chain.index(widget) + (1 if next else -1)) % len(chain)]
        target.setFocus(Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason)
        return True

    def refresh_current(self) -> None:
        self.current_view().reload()

    def focus_filter(self) -> None:
        from PySide6.QtCore import Qt

        target = self.current_view().filter_widget()
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if hasattr(target, "selectAll"):
                target.selectAll()

    def _on_row(self, row: int) -> None:
        if self.complete:  # the shell shows the row's empty page; the screen comes with the rest
            self.view(VIEW_KEYS[row])
        self.stack.setCurrentIndex(row)

    def select_view(self, key: str) -> None:
        """Open on ``key``: its row now, the screen itself once the window is complete."""
        self.sidebar.setCurrentRow(VIEW_KEYS.index(key))

    def show_view(self, key: str) -> OpsView:
        view = self.view(key)
        self.sidebar.setCurrentRow(VIEW_KEYS.index(key))
        return view

    def current_view(self) -> OpsView:
        return self.view(VIEW_KEYS[self.stack.currentIndex()])

    # --- session events ---------------------------------------------------------------------
    def _on_context(self) -> None:
        self.ensure_complete()
        ctx = self.session.ctx
        self.env_switcher.blockSignals(True)
        self.env_switcher.clear()
        self.env_switcher.addItems(list(ctx.workspace.environments))
        self.env_switcher.setCurrentText(self.session.current_env)
        self.env_switcher.blockSignals(False)
        self.profile_label.setText(f"Workspace: <b>{ctx.workspace.name}</b> — profile: <b>{ctx.workspace.profile}</b>")
        if ctx.workspace.sandbox:
            self.sandbox_banner.show_text(
                "<b>SANDBOX</b> — everything here runs on this computer (embedded PostgreSQL, a local S3 "
                "endpoint, local stand-ins of the platform and its providers). Nothing touches your real platform.")
            self.setWindowTitle("Realtor Ops Console — SANDBOX")
        if ctx.load_error is not None:
            self.workspace_banner.show_text(f"<b>Your workspace file could not be read.</b> {ctx.load_error.sentence()}")
        current = self.current_view()
        if current.isVisible():
            current.reload()

    def _on_sandbox_status(self, parts: list) -> None:  # type: ignore[type-arg]
        self.ensure_complete()
        lines = []
        for part in parts:
            mark = "running" if part.available else f"<b>unavailable</b> — {part.error.sentence() if part.error else ''}"
            lines.append(f"{part.name}: {mark}")
        self.sandbox_banner.show_text(
            "<b>SANDBOX</b> — everything here runs on this computer; nothing touches your real platform.<br>"
            + " · ".join(lines))

    def _on_environment(self, name: str) -> None:
        if self.env_switcher.currentText() != name:
            self.env_switcher.setCurrentText(name)

    def _refresh_lights(self) -> None:
        from console.widgets import Light

        bar = self.statusBar()
        for name, light in self.session.lights.items():
            widget = self.lights.get(name)
            if widget is None:
                widget = Light(name)
                self.lights[name] = widget
                bar.addPermanentWidget(widget)
            widget.set_state(light.state, light.text)
        for name in list(self.lights):
            if name not in self.session.lights:
                bar.removeWidget(self.lights.pop(name))

    def show_error(self, report: ErrorReport) -> None:
        self.ensure_complete()
        self.error_bar.show_report(report)

    def event(self, event: QEvent) -> bool:
        if not self.painted and event.type() == QEvent.Type.Paint:
            self.painted = True
            self.first_painted.emit()
            QTimer.singleShot(0, self.ensure_complete)  # the rest of a shell-first window, after this paint
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.session.tasks.closing = True
        super().closeEvent(event)

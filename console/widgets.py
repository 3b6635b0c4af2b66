"""Small widgets the shell uses: status-bar lights, the error bar, the jobs panel, banners."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLayoutItem,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.jobs import Job, JobManager, JobsModel
from services.core.errors import ErrorReport

STATE_COLOURS = {
    "up": "#1e8e3e",
    "degraded": "#e8a200",
    "down": "#d93025",
    "unknown": "#80868b",
    "stale": "#80868b",
}


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps them onto the next line when the width runs out, so a
    row of buttons never forces the window wider than a small laptop screen."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def addStretch(self, _stretch: int = 0) -> None:
        """Nothing to stretch in a flow: kept so a flow can stand in for a row."""

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m: QMargins = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y, line = area.x(), y + line + self._spacing, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


def flow_row(*widgets: QWidget) -> QWidget:
    """A widget holding ``widgets`` in a wrapping row (its height follows its width)."""
    holder = QWidget()
    flow = FlowLayout(holder)
    for w in widgets:
        flow.addWidget(w)
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    holder.setSizePolicy(policy)
    return holder


class Light(QLabel):
    """A coloured dot plus words: never colour alone."""

    def __init__(self, env: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.set_state("unknown", "not checked yet")

    def set_state(self, state: str, text: str) -> None:
        colour = STATE_COLOURS.get(state, STATE_COLOURS["unknown"])
        self.state = state
        self.setText(f'<span style="color:{colour}">●</span> <b>{self.env}</b>: {state}')
        self.setToolTip(text)
        self.setAccessibleName(f"{self.env} {state}: {text}")


class Banner(QFrame):
    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(f"Banner {{ background: {colour}; border-radius: 4px; }} QLabel {{ color: #202124; }}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.action_buttons: list[QPushButton] = []
        self.hide()

    def show_text(self, text: str, actions: list[tuple[str, Callable[[], object]]] | None = None) -> None:
        """Show ``text``, with a button per action (each one hides the banner's buttons once used)."""
        self.label.setText(text)
        for button in self.action_buttons:
            button.deleteLater()
        self.action_buttons = []
        for title, callback in actions or ():
            button = QPushButton(title)
            button.clicked.connect(lambda _=False, cb=callback: self._run(cb))
            self.layout().addWidget(button)  # type: ignore[union-attr]
            self.action_buttons.append(button)
        self.show()

    def _run(self, callback: Callable[[], object]) -> None:
        for button in self.action_buttons:
            button.hide()  # one choice: the buttons go once one is used
        callback()


class ErrorBar(Banner):
    """The one place an error sentence appears; details fold out; dismissable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("#fce8e6", parent)
        self.details = QPushButton("Details")
        self.details.setCheckable(True)
        self.close_button = QPushButton("Dismiss")
        self.layout().addWidget(self.details)  # type: ignore[union-attr]
        self.layout().addWidget(self.close_button)  # type: ignore[union-attr]
        self.close_button.clicked.connect(self.hide)
        self.details.toggled.connect(self._render)
        self.report: ErrorReport | None = None

    def show_report(self, report: ErrorReport) -> None:
        self.report = report
        self.details.setChecked(False)
        self.details.setVisible(bool(report.detail))
        self._render()
        self.show()

    def _render(self) -> None:
        if self.report is None:
            return
        text = f"<b>{self.report.title}.</b> {self.report.sentence}"
        if self.details.isChecked() and self.report.detail:
            text += f"<br><small>{self.report.detail}</small>"
        self.label.setText(text)


class JobsPanel(QWidget):
    def __init__(self, manager: JobManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.model = JobsModel(manager, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Three rows at least: the panel must stay readable when the window is small.
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 3
                                    + self.table.horizontalHeader().sizeHint().height() + 4)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table instead of walking its cells
        self.table.verticalHeader().hide()
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.clicked.connect(self.cancel_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        # Enabled only when there is something to cancel: the selected job, or else the latest running one.
        for signal in (self.model.dataChanged, self.model.rowsInserted, self.model.rowsRemoved,
                       self.model.modelReset, self.table.selectionModel().selectionChanged):
            signal.connect(self._update_cancel)
        self._update_cancel()

    def _target(self) -> Job | None:
        rows = self.table.selectionModel().selectedRows()
        job = self.model.row_at(rows[0].row()) if rows else None
        if job is None and self.manager.running():
            job = self.manager.running()[-1]
        return job if job is not None and job in self.manager.running() else None

    def _update_cancel(self, *_: object) -> None:
        job = self._target()
        self.cancel_button.setEnabled(job is not None)
        self.cancel_button.setToolTip(f"Cancel “{job.title}”" if job is not None else "No running job to cancel")

    def cancel_selected(self) -> None:
        job = self._target()
        if job is not None:
            self.manager.cancel(job.id)

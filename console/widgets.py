"""Small widgets the shell uses: status-bar lights, the error bar, the jobs panel, banners."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.jobs import JobManager, JobsModel
from services.errors import ErrorReport

STATE_COLOURS = {
    "up": "#1e8e3e",
    "degraded": "#e8a200",
    "down": "#d93025",
    "unknown": "#80868b",
    "stale": "#80868b",
}


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
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()


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
        self.table.setMinimumHeight(70)
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

    def cancel_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        job = self.model.job_at(rows[0].row()) if rows else None
        if job is None and self.manager.running():
            job = self.manager.running()[-1]
        if job is not None:
            self.manager.cancel(job.id)

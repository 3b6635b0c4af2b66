"""The Environments screen's Configuration tab: the selected environment's live configuration next to
what the seed prescribes (the rows of ``realtor-ops config diff``). It only reads; nothing is changed
from here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.session import Session
from services.config_drift import ConfigDiffRequest, ConfigReport, config_diff
from views.environments.config_model import ConfigItemsModel

MAX_COLUMN_PX = 190


class ConfigurationTab(QWidget):
    def __init__(self, session: Session, env_name: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._env_name = env_name
        self.report: ConfigReport | None = None
        self.compare_button = QPushButton("Compare with the seed")
        self.compare_button.setObjectName("compareWithSeed")
        self.compare_button.clicked.connect(lambda: self.session.spawn(self.compare(), name="config diff"))
        self.summary = QLabel("Reads the live configuration (nothing is changed) and holds it against the seed.")
        self.summary.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.model = ConfigItemsModel(self)
        self.table = QTableView()
        self.table.setObjectName("configurationTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.compare_button)
        row.addWidget(self.summary, 1)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)

    def _fit_columns(self) -> None:
        """Each column as wide as its contents but at most MAX_COLUMN_PX, so Status and Why stay in view
        at 1024 px; a value cut short (a whole CSP) is whole in its tooltip."""
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount() - 1):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN_PX))

    def show_environment(self, name: str) -> None:
        """Another environment was selected: its rows are not the ones shown, so they go."""
        if self.report is not None and self.report.environment != name:
            self.report = None
            self.model.set_items([])
            self.notes.setText("")
            self.summary.setText(f"Press Compare to read {name}'s live configuration.")

    async def compare(self) -> ConfigReport:
        name = self._env_name()
        self.compare_button.setEnabled(False)
        self.summary.setText(f"Reading {name}'s live configuration…")
        try:
            report = await config_diff(self.session.ctx, ConfigDiffRequest(name))
        finally:
            self.compare_button.setEnabled(True)
        if name != self._env_name():  # the selection moved on while reading
            return report
        self.report = report
        self.model.set_items(report.items)
        self._fit_columns()
        self.summary.setText(report.summary() + ("" if report.all_match else " — hover a row for where it was read"))
        self.notes.setText("<br>".join(f.sentence() for f in report.failures))
        return report

"""The Environments screen's Drift tab: the selected environment compared with another one, drift first;
values are compared by fingerprint and never shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.session import Session
from services.environments.drift import diff_environments
from views.environments.models import DriftModel, DriftRow
from views.environments.widgets import rows_table


class DriftTab(QWidget):
    def __init__(self, session: Session, env_name: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._env_name = env_name
        self.drift_other = QComboBox()
        self.drift_button = QPushButton("Compare")
        self.drift_button.clicked.connect(lambda: self.session.spawn(self.compare(), name="drift"))
        self.drift_summary = QLabel("Pick an environment to compare with.")
        self.drift_summary.setWordWrap(True)
        self.drift_model = DriftModel(self)
        self.drift_table = rows_table(self.drift_model)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare with:"))
        row.addWidget(self.drift_other)
        row.addWidget(self.drift_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.drift_summary)
        layout.addWidget(self.drift_table, 1)

    def set_others(self, others: list[str]) -> None:
        """The environments to compare with; the one picked stays picked while it is there."""
        current = self.drift_other.currentText()
        self.drift_other.clear()
        self.drift_other.addItems(others)
        if current in others:
            self.drift_other.setCurrentText(current)

    async def compare(self, other: str | None = None) -> int:
        other = other or self.drift_other.currentText()
        if not other:
            return 0
        name = self._env_name()
        self.drift_summary.setText(f"Comparing {name} with {other}…")
        report = await diff_environments(self.session.ctx, name, other)
        # Drift first in each comparison, then what differs as expected.
        rows = [DriftRow(s.title, s.left, s.right, item) for s in report.sections
                for item in sorted(s.items, key=lambda i: (not i.drift, i.key))]
        self.drift_model.set_rows(rows)
        lines = []
        for section in report.sections:
            expected = len(section.items) - len(section.drift)
            line = f"<b>{section.title}</b>: {len(section.drift)} difference(s)"
            if expected:
                line += f", {expected} expected"
            if section.error:
                line += f" — could not compare: {section.error}"
            lines.append(line)
        self.drift_summary.setText("<br>".join(lines) + "<br>Values are compared by fingerprint and never shown.")
        return report.drift_count

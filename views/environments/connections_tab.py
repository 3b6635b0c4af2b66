"""The Environments screen's Connections tab: a test button per service the selected environment has
configured, and what the last tests found. The tests themselves are the view's (``test_connections``):
they also update the environments list and the status line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from console.widgets import FlowLayout
from services.environments.connection_checks import services_of
from views.environments.models import ChecksModel
from views.environments.widgets import rows_table

if TYPE_CHECKING:
    from views.environments.view import EnvironmentsView


class ConnectionsTab(QWidget):
    def __init__(self, view: EnvironmentsView) -> None:
        super().__init__()
        self.view = view
        self.checks_model = ChecksModel(self)
        self.checks_table = rows_table(self.checks_model)
        self.check_buttons_row = FlowLayout()  # one button per service: wraps on a small screen
        self.check_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.addLayout(self.check_buttons_row)
        layout.addWidget(self.checks_table, 1)

    def show_environment(self) -> None:
        """One button per configured service of the view's environment."""
        while self.check_buttons_row.count():
            item = self.check_buttons_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.check_buttons.clear()
        env = self.view.current_env()
        if env is None:
            return
        self.check_buttons_row.addWidget(QLabel("Test:"))
        for service in services_of(env, self.view.secret_names.get(env.name, [])):
            if not service.configured:
                continue
            button = QPushButton(service.label)
            button.setObjectName(f"test_{service.service}")
            button.clicked.connect(lambda _=False, s=service.service: self.view.session.spawn(
                self.view.test_connections([s]), name=f"check {s}"))
            self.check_buttons[service.service] = button
            self.check_buttons_row.addWidget(button)

    def set_testing(self, services: list[str] | None) -> None:
        """Buttons of the services under test go disabled until ``done_testing``."""
        for key, button in self.check_buttons.items():
            if services is None or key in services:
                button.setEnabled(False)

    def done_testing(self) -> None:
        for button in self.check_buttons.values():
            button.setEnabled(True)

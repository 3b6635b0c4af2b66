"""The Environments screen's Secrets tab: which keyring entries the selected environment has, masked;
revealing one (recorded in the audit log) and storing a new value (through the guard)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.production_guard import open_and_wait
from services.core.credentials import SECRET_NAMES
from services.environments import environment_edits
from views.environments.dialogs import SecretDialog
from views.environments.models import SecretRow, SecretsModel
from views.environments.widgets import READ_ONLY_TIP, rows_table

if TYPE_CHECKING:
    from views.environments.view import EnvironmentsView


class SecretsTab(QWidget):
    def __init__(self, view: EnvironmentsView) -> None:
        super().__init__()
        self.view = view
        self._revealed: dict[tuple[str, str], str] = {}
        self.secrets_model = SecretsModel(self)
        self.secrets_table = rows_table(self.secrets_model)
        self.reveal_button = QPushButton("Reveal (logged)")
        self.hide_button = QPushButton("Hide")
        self.set_secret_button = QPushButton("Set…")
        self.reveal_button.clicked.connect(lambda: view.session.spawn(self.reveal_selected(), name="reveal secret"))
        self.hide_button.clicked.connect(self.hide_revealed)
        self.set_secret_button.clicked.connect(lambda: view.session.spawn(self.set_selected_secret(), name="set"))
        layout = QVBoxLayout(self)
        note = QLabel("Secrets live only in the OS keyring. Values stay masked; revealing one is recorded in the "
                      "audit log.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.secrets_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.reveal_button, self.hide_button, self.set_secret_button):
            row.addWidget(button)
        layout.addLayout(row)

    def set_read_only(self, read_only: bool) -> None:
        for button in (self.set_secret_button, self.reveal_button):
            button.setEnabled(not read_only)
            button.setToolTip(READ_ONLY_TIP if read_only else "")

    def show_environment(self) -> None:
        env_name = self.view.env_name
        stored = set(self.view.secret_names.get(env_name, []))
        self.secrets_model.set_rows([
            SecretRow(name, label, name in stored, self._revealed.get((env_name, name)))
            for name, label in SECRET_NAMES.items()])

    async def reveal_selected(self, secret: str | None = None) -> str | None:
        secret = secret or self._selected_secret()
        if secret is None:
            return None
        value = await environment_edits.reveal_secret(self.view.session.ctx, self.view.env_name, secret)
        if value is not None:
            self._revealed[(self.view.env_name, secret)] = value
        self.show_environment()
        return value

    def hide_revealed(self) -> None:
        self._revealed.clear()
        self.show_environment()

    async def set_selected_secret(self, secret: str | None = None, value: str | None = None) -> bool:
        secret = secret or self._selected_secret()
        if secret is None:
            return False
        view = self.view
        if value is None:
            dialog = SecretDialog(view.env_name, secret, SECRET_NAMES.get(secret, secret), parent=view)
            result = await open_and_wait(dialog)
            value = dialog.value_edit.text()
            dialog.deleteLater()
            if result != SecretDialog.DialogCode.Accepted or not value:
                return False
        auth = await view.authorize("set secret", [f"store a new value of {secret} in the OS keyring"])
        if auth is None:
            return False
        await environment_edits.set_secret(view.session.ctx, view.env_name, secret, value, auth)
        self._revealed.pop((view.env_name, secret), None)
        await view.load()
        return True

    def _selected_secret(self) -> str | None:
        rows = self.secrets_table.selectionModel().selectedRows()
        row = self.secrets_model.row_at(rows[0].row()) if rows else None
        return row.name if row else None

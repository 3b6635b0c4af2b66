"""Preferences: opt in to crash reports (the DSN goes to the keyring). Opened with open(), not exec()."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.session import Session


class SettingsDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Preferences")
        self.crash = QCheckBox("Send the console's own crash reports to Sentry (opt-in)")
        self.dsn = QLineEdit()
        self.dsn.setEchoMode(QLineEdit.EchoMode.Password)
        self.dsn.setPlaceholderText("https://…@o0.ingest.sentry.io/0 (kept in the OS keyring)")
        self.updates = QCheckBox("Check GitHub Releases for a newer version (Help → About; it never installs)")
        note = QLabel("Only unexpected errors are sent, with secrets, request data and local variables removed.")
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.crash)
        form.addRow("Sentry DSN", self.dsn)
        form.addRow(self.updates)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.accepted.connect(lambda: session.spawn(self.save(), name="save preferences"))

    async def load(self) -> None:
        import asyncio

        from services.core.console_settings import load_settings

        settings = await asyncio.to_thread(load_settings)
        self.crash.setChecked(settings.crash_reports)
        self.updates.setChecked(settings.update_check)

    async def save(self) -> None:
        import asyncio

        from console.app import enable_crash_reports_if_opted_in
        from services.core.console_settings import CONSOLE_SCOPE, DSN_SECRET, load_settings, save_settings

        dsn = self.dsn.text().strip()
        self.dsn.clear()
        if dsn and self.session.ready:
            await self.session.ctx.credentials.aset(CONSOLE_SCOPE, DSN_SECRET, dsn)
        settings = await asyncio.to_thread(load_settings)  # keep the settings this dialog does not show
        settings.crash_reports, settings.update_check = self.crash.isChecked(), self.updates.isChecked()
        await asyncio.to_thread(save_settings, settings)
        await enable_crash_reports_if_opted_in(self.session)

"""Help → About: version, keyring backend, folders, PostgreSQL clients; the opt-in update check.

Opened with open(), never exec(); its data comes from services.core.about (gathered off the Qt thread).
"""

from __future__ import annotations

import asyncio
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.session import Session


class AboutDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("About Realtor Ops Console")
        self.setMinimumWidth(560)
        self.title = QLabel("<b>Realtor Ops Console</b>")
        self.form = QFormLayout()
        self.update_label = QLabel("Update check: off (turn it on in Preferences)")
        self.update_label.setWordWrap(True)
        self.update_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.update_label.setOpenExternalLinks(True)
        self.check_button = QPushButton("Check for a newer version")
        self.check_button.setEnabled(False)
        self.check_button.clicked.connect(lambda: session.spawn(self.check_update(), name="update check"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addWidget(self.update_label)
        layout.addWidget(self.check_button)
        layout.addWidget(buttons)
        self.rows: dict[str, QLabel] = {}

    async def load(self) -> None:
        from services.core.about import about_lines, gather_about
        from services.core.console_settings import load_settings

        info = await asyncio.to_thread(gather_about)
        self.title.setText(f"<b>Realtor Ops Console</b> {info.version}")
        for label, value in about_lines(info):
            widget = QLabel(value)
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if label == "Keyring" and info.keyring_weak:
                widget.setStyleSheet("color: #b00020;")
            self.rows[label] = widget
            self.form.addRow(label, widget)
        workspace = QLabel(str(self.session.ctx.workspace_path) if self.session.ready else "—")
        workspace.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rows["Workspace"] = workspace
        self.form.insertRow(1, "Workspace", workspace)
        settings = await asyncio.to_thread(load_settings)
        self.check_button.setEnabled(settings.update_check)
        if settings.update_check:
            await self.check_update()

    async def check_update(self) -> None:
        from services.core.app_version import app_version
        from services.core.errors import OpsError
        from services.core.update_check import check_for_update

        self.update_label.setText("Checking GitHub Releases…")
        try:
            result = await check_for_update(app_version())
        except OpsError as exc:
            self.update_label.setText(f"Update check: {exc.sentence()}")
            return
        if result.newer and result.url:
            self.update_label.setText(f"Version {escape(result.latest)} is available (you have {result.current}): "
                                      f'<a href="{escape(result.url)}">release notes and downloads</a>')
        else:
            self.update_label.setText(escape(result.sentence))

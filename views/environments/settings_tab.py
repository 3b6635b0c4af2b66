"""The Environments screen's Settings & flags tab: the selected environment's settings and feature flags
in a form, what its imported .env holds besides them, and saving what was changed (through the guard)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from services.environments import env_variables, environment_edits
from views.environments.editor import SettingsEditor
from views.environments.models import KeptVariablesModel
from views.environments.widgets import rows_table

if TYPE_CHECKING:
    from views.environments.view import EnvironmentsView


class SettingsTab(QWidget):
    def __init__(self, view: EnvironmentsView) -> None:
        super().__init__()
        self.view = view
        self.editor = SettingsEditor()
        self.editor.changed.connect(self.update_save_button)
        self.save_button = QPushButton("Save changes")
        self.save_button.setObjectName("saveSettings")
        self.revert_button = QPushButton("Revert")
        self.save_button.clicked.connect(lambda: view.session.spawn(self.save_settings(), name="save settings"))
        self.revert_button.clicked.connect(self.show_environment)
        self.settings_note = QLabel()
        self.settings_note.setWordWrap(True)
        # What the environment holds from its imported .env, and where Next.js reads a value differently.
        self.kept_model = KeptVariablesModel(self)
        self.kept_table = rows_table(self.kept_model)
        self.kept_table.setObjectName("keptVariables")
        self.kept_box = QGroupBox("From the imported .env: other variables, and values Next.js reads differently "
                                  "from their text")
        kept_layout = QVBoxLayout(self.kept_box)
        kept_layout.addWidget(self.kept_table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.settings_note)
        layout.addWidget(self.kept_box)
        layout.addWidget(self.editor, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)

    def show_environment(self) -> None:
        """Fill the form with the view's environment as saved (also what Revert does)."""
        env = self.view.current_env()
        if env is None:
            return
        read_only = self.view.read_only()
        self.editor.load(env)
        self.editor.set_read_only(read_only)
        kept = env_variables.kept_variables(env, self.view.secret_names.get(env.name, []))
        self.kept_model.set_rows(kept)
        self.kept_box.setVisible(bool(kept))
        self.kept_table.setMaximumHeight(self.kept_table.horizontalHeader().sizeHint().height()
                                         + min(len(kept), 6) * self.kept_table.verticalHeader().defaultSectionSize()
                                         + 2 * self.kept_table.frameWidth() + 4)
        if read_only:
            self.settings_note.setText("Read-only: this workspace's profile is viewer.")
        elif env.is_production:
            self.settings_note.setText(f"<b>{env.name}</b> is production: saving asks you to type its name and "
                                       "a reason, which go into the audit log.")
        else:
            self.settings_note.setText(f"Settings of <b>{env.name}</b>. Secrets are on the Secrets tab.")
        self.update_save_button()

    def update_save_button(self) -> None:
        if not self.view.session.ready:
            return
        dirty = bool(self.editor.changes()) if self.view.current_env() is not None else False
        problems = self.editor.problems()
        self.save_button.setEnabled(dirty and not problems and not self.view.read_only())
        self.revert_button.setEnabled(dirty)

    async def save_settings(self) -> bool:
        env = self.view.current_env()
        if env is None:
            return False
        changes = self.editor.changes()
        if not changes or self.editor.problems():
            return False
        lines = []
        for path, value in changes.items():
            old = environment_edits.display(env, path) if not path.startswith("features.") else \
                str(getattr(env.features, path.split(".", 1)[1])).lower()
            lines.append(f"change {path}: {old or '(empty)'} → {str(value).lower() if isinstance(value, bool) else value}")
        auth = await self.view.authorize("edit environment", lines)
        if auth is None:
            return False
        await environment_edits.update_environment(self.view.session.ctx, env.name, changes, auth)
        self.view.status.setText(f"Saved {len(changes)} change(s) to {env.name}.")
        await self.view.load()
        return True

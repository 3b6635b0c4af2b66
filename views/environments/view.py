"""Environments: the list, each environment's settings, secrets, connection tests and drift.

Every slot is one line that spawns a plain coroutine of this class; tests await those coroutines.
Changes go through ``authorize_in_ui`` (viewer refused; production unlocked for one action by typing
its name and a reason) and then a service in ``services.environments.environment_edits`` / ``services.environments.env_import``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.production_guard import authorize_in_ui, open_and_wait
from console.session import Session
from console.widgets import FlowLayout
from services.core.credentials import SECRET_NAMES
from services.core.errors import GuardRefusedError, OpsError
from services.core.guard import Authorization, can_change
from services.core.workspace import Environment, EnvironmentKind
from services.environments import env_export, env_import, environment_edits
from services.environments.connection_checks import CheckResult, run_checks, services_of
from services.environments.drift import diff_environments
from views.base import OpsView, heading
from views.environments.config_tab import ConfigurationTab
from views.environments.dialogs import ImportPreviewDialog, NewEnvironmentDialog, SecretDialog
from views.environments.editor import SettingsEditor
from views.environments.models import (
    ChecksModel,
    DriftModel,
    DriftRow,
    EnvironmentRow,
    EnvironmentsModel,
    KeptVariablesModel,
    SecretRow,
    SecretsModel,
)

READ_ONLY_TIP = "Read-only: this workspace's profile is viewer"


def _table(model: Any) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    return table


class EnvironmentsView(OpsView):
    key = "environments"
    title = "Environments"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.last_checks: dict[str, dict[str, CheckResult]] = {}
        self._revealed: dict[tuple[str, str], str] = {}
        self._secret_names: dict[str, list[str]] = {}

        self.env_model = EnvironmentsModel(self)
        self.env_table = _table(self.env_model)
        self.env_table.setObjectName("environmentsTable")
        self.env_table.clicked.connect(lambda index: self.select_row(index.row()))

        self.add_button = QPushButton("Add…")
        self.duplicate_button = QPushButton("Duplicate…")
        self.remove_button = QPushButton("Remove…")
        self.import_button = QPushButton("Import .env…")
        self.export_button = QPushButton("Export .env template…")
        self.test_all_button = QPushButton("Test all connections")
        self.add_button.clicked.connect(lambda: self.session.spawn(self.add_environment(), name="add environment"))
        self.duplicate_button.clicked.connect(
            lambda: self.session.spawn(self.duplicate_environment(), name="duplicate environment"))
        self.remove_button.clicked.connect(
            lambda: self.session.spawn(self.remove_environment(), name="remove environment"))
        self.import_button.clicked.connect(lambda: self.session.spawn(self.import_dotenv(), name="import .env"))
        self.export_button.clicked.connect(lambda: self.session.spawn(self.export_template(), name="export"))
        self.test_all_button.clicked.connect(lambda: self.session.spawn(self.test_connections(), name="checks"))
        self.change_buttons = [self.add_button, self.duplicate_button, self.remove_button, self.import_button]

        buttons = FlowLayout()
        for button in (self.add_button, self.duplicate_button, self.remove_button, self.import_button,
                       self.export_button, self.test_all_button):
            buttons.addWidget(button)

        # Settings tab
        self.editor = SettingsEditor()
        self.editor.changed.connect(self._update_save_button)
        self.save_button = QPushButton("Save changes")
        self.save_button.setObjectName("saveSettings")
        self.revert_button = QPushButton("Revert")
        self.save_button.clicked.connect(lambda: self.session.spawn(self.save_settings(), name="save settings"))
        self.revert_button.clicked.connect(self._load_editor)
        self.settings_note = QLabel()
        self.settings_note.setWordWrap(True)
        # What the environment holds from its imported .env, and where Next.js reads a value differently.
        self.kept_model = KeptVariablesModel(self)
        self.kept_table = _table(self.kept_model)
        self.kept_table.setObjectName("keptVariables")
        self.kept_box = QGroupBox("From the imported .env: other variables, and values Next.js reads differently "
                                  "from their text")
        kept_layout = QVBoxLayout(self.kept_box)
        kept_layout.addWidget(self.kept_table)
        settings_tab = QWidget()
        settings_layout = QVBoxLayout(settings_tab)
        settings_layout.addWidget(self.settings_note)
        settings_layout.addWidget(self.kept_box)
        settings_layout.addWidget(self.editor, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        settings_layout.addLayout(row)

        # Secrets tab
        self.secrets_model = SecretsModel(self)
        self.secrets_table = _table(self.secrets_model)
        self.reveal_button = QPushButton("Reveal (logged)")
        self.hide_button = QPushButton("Hide")
        self.set_secret_button = QPushButton("Set…")
        self.reveal_button.clicked.connect(lambda: self.session.spawn(self.reveal_selected(), name="reveal secret"))
        self.hide_button.clicked.connect(self.hide_revealed)
        self.set_secret_button.clicked.connect(lambda: self.session.spawn(self.set_selected_secret(), name="set"))
        secrets_tab = QWidget()
        secrets_layout = QVBoxLayout(secrets_tab)
        note = QLabel("Secrets live only in the OS keyring. Values stay masked; revealing one is recorded in the "
                      "audit log.")
        note.setWordWrap(True)
        secrets_layout.addWidget(note)
        secrets_layout.addWidget(self.secrets_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.reveal_button, self.hide_button, self.set_secret_button):
            row.addWidget(button)
        secrets_layout.addLayout(row)

        # Connections tab
        self.checks_model = ChecksModel(self)
        self.checks_table = _table(self.checks_model)
        self.check_buttons_row = FlowLayout()  # one button per service: wraps on a small screen
        self.check_buttons: dict[str, QPushButton] = {}
        connections_tab = QWidget()
        connections_layout = QVBoxLayout(connections_tab)
        connections_layout.addLayout(self.check_buttons_row)
        connections_layout.addWidget(self.checks_table, 1)

        # Drift tab
        self.drift_other = QComboBox()
        self.drift_button = QPushButton("Compare")
        self.drift_button.clicked.connect(lambda: self.session.spawn(self.compare(), name="drift"))
        self.drift_summary = QLabel("Pick an environment to compare with.")
        self.drift_summary.setWordWrap(True)
        self.drift_model = DriftModel(self)
        self.drift_table = _table(self.drift_model)
        drift_tab = QWidget()
        drift_layout = QVBoxLayout(drift_tab)
        row = QHBoxLayout()
        row.addWidget(QLabel("Compare with:"))
        row.addWidget(self.drift_other)
        row.addWidget(self.drift_button)
        row.addStretch(1)
        drift_layout.addLayout(row)
        drift_layout.addWidget(self.drift_summary)
        drift_layout.addWidget(self.drift_table, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(settings_tab, "Settings && flags")
        self.tabs.addTab(secrets_tab, "Secrets")
        self.tabs.addTab(connections_tab, "Connections")
        self.tabs.addTab(drift_tab, "Drift")
        self.config_tab = ConfigurationTab(session, lambda: self.env_name)
        self.tabs.addTab(self.config_tab, "Configuration")

        self.status = QLabel()
        self.status.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.env_table)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([170, 530])
        self.env_table.setMinimumHeight(120)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.title))
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    # --- state ---------------------------------------------------------------------------------
    def _env(self) -> Environment | None:
        if not self.session.ready:
            return None
        return self.session.ctx.workspace.environments.get(self.env_name)

    def _read_only(self) -> bool:
        return not can_change(self.session.ctx.workspace)

    async def load(self) -> None:
        ctx = self.session.ctx
        names = {env: await ctx.credentials.anames(env) for env in ctx.workspace.environments}
        self._secret_names = names
        self.env_model.set_rows([self._row(env, names.get(env.name, []))
                                 for env in ctx.workspace.environments.values()])
        for i, row in enumerate(self.env_model.rows()):
            if row.name == self.env_name:
                self.env_table.selectRow(i)
        self._load_editor()
        self._load_secrets()
        self._load_check_buttons()
        self.config_tab.show_environment(self.env_name)
        others = [n for n in ctx.workspace.environments if n != self.env_name]
        current = self.drift_other.currentText()
        self.drift_other.clear()
        self.drift_other.addItems(others)
        if current in others:
            self.drift_other.setCurrentText(current)
        read_only = self._read_only()
        for button in [*self.change_buttons, self.set_secret_button, self.reveal_button]:
            button.setEnabled(not read_only)
            button.setToolTip(READ_ONLY_TIP if read_only else "")
        self.duplicate_button.setEnabled(not read_only and self._env() is not None)
        self.remove_button.setEnabled(not read_only and self._env() is not None)
        self.status.setText(self._status_text())

    def _status_text(self) -> str:
        ctx = self.session.ctx
        env = self._env()
        backend = ctx.credentials.backend_info()
        where = f"<b>not safely stored</b>: {backend.reason}" if backend.weak else (
            "read from the process environment" if ctx.credentials.reads_environment else "kept in the OS keyring")
        parts = [f"{len(ctx.workspace.environments)} environment(s); secrets {where}"]
        if self._read_only():
            parts.append("<b>read-only</b> (viewer profile)")
        elif env is not None and env.is_production:
            parts.append(f"<b>{env.name}</b> is production: each change asks you to type its name and a reason")
        return " — ".join(parts)

    def _row(self, env: Environment, secrets: Sequence[str]) -> EnvironmentRow:
        checks = self.last_checks.get(env.name, {})

        def state(service: str, configured: bool) -> str:
            result = checks.get(service)
            if result is not None and result.state == "ok":
                return f"up ({result.latency_ms:.0f} ms)" if result.latency_ms is not None else "up"
            if result is not None and result.state == "failed" and result.kind is not None:
                return result.kind.value
            return "configured" if configured else "not set"

        buckets = [r for s, r in checks.items() if s.startswith("bucket:")]
        if buckets and all(r.state == "ok" for r in buckets):
            storage = f"up ({len(buckets)} buckets)"
        elif any(r.state == "failed" for r in buckets):
            storage = next(r.kind.value for r in buckets if r.state == "failed" and r.kind is not None)
        else:
            storage = "configured" if env.storage.configured or env.backup.configured else "not set"
        provider_checks = [r for s, r in checks.items() if s.startswith("provider:")]
        tokens = [s for s in services_of(env, secrets) if s.service.startswith("provider:") and s.configured]
        if provider_checks:
            ok = sum(r.state == "ok" for r in provider_checks)
            providers = f"up {ok}/{len(provider_checks)}" if ok == len(provider_checks) else \
                f"failed {len(provider_checks) - ok}/{len(provider_checks)}"
        else:
            providers = f"tokens {len(tokens)}/7" if tokens else "not set"
        return EnvironmentRow(env.name, env.kind.value, env.app_url, state("database", env.database.configured),
                              state("redis", env.redis.configured), storage, providers, len(secrets))

    def select_row(self, row: int) -> None:
        item = self.env_model.row_at(row)
        if item is not None:
            self.session.select_environment(item.name)
            self.reload()

    def _load_editor(self) -> None:
        env = self._env()
        if env is None:
            return
        self.editor.load(env)
        self.editor.set_read_only(self._read_only())
        kept = env_import.kept_variables(env, self._secret_names.get(env.name, []))
        self.kept_model.set_rows(kept)
        self.kept_box.setVisible(bool(kept))
        self.kept_table.setMaximumHeight(self.kept_table.horizontalHeader().sizeHint().height()
                                         + min(len(kept), 6) * self.kept_table.verticalHeader().defaultSectionSize()
                                         + 2 * self.kept_table.frameWidth() + 4)
        if self._read_only():
            self.settings_note.setText("Read-only: this workspace's profile is viewer.")
        elif env.is_production:
            self.settings_note.setText(f"<b>{env.name}</b> is production: saving asks you to type its name and "
                                       "a reason, which go into the audit log.")
        else:
            self.settings_note.setText(f"Settings of <b>{env.name}</b>. Secrets are on the Secrets tab.")
        self._update_save_button()

    def _update_save_button(self) -> None:
        if not self.session.ready:
            return
        dirty = bool(self.editor.changes()) if self._env() is not None else False
        problems = self.editor.problems()
        self.save_button.setEnabled(dirty and not problems and not self._read_only())
        self.revert_button.setEnabled(dirty)

    def _load_secrets(self) -> None:
        stored = set(self._secret_names.get(self.env_name, []))
        self.secrets_model.set_rows([
            SecretRow(name, label, name in stored, self._revealed.get((self.env_name, name)))
            for name, label in SECRET_NAMES.items()])

    def _load_check_buttons(self) -> None:
        while self.check_buttons_row.count():
            item = self.check_buttons_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.check_buttons.clear()
        env = self._env()
        if env is None:
            return
        self.test_all_button.setText(f"Test all {env.name} connections")
        self.check_buttons_row.addWidget(QLabel("Test:"))
        for service in services_of(env, self._secret_names.get(env.name, [])):
            if not service.configured:
                continue
            button = QPushButton(service.label)
            button.setObjectName(f"test_{service.service}")
            button.clicked.connect(lambda _=False, s=service.service: self.session.spawn(
                self.test_connections([s]), name=f"check {s}"))
            self.check_buttons[service.service] = button
            self.check_buttons_row.addWidget(button)

    async def _authorize(self, action: str, consequences: Sequence[str], *, env_name: str | None = None,
                         new_kind: EnvironmentKind | None = None, ask: bool = False) -> Authorization | None:
        """The guard for one action. Outside production the dialog appears only when ``ask`` (removal);
        elsewhere the user has just seen what changes (the form, the import preview)."""
        name = env_name or self.env_name
        env = self.session.ctx.workspace.environments.get(name)
        production = (env.is_production if env is not None else new_kind == EnvironmentKind.PRODUCTION)
        try:
            return await authorize_in_ui(self.session, name, action,
                                         consequences=consequences if (ask or production) else [],
                                         parent=self, new_kind=new_kind)
        except GuardRefusedError as exc:
            self.status.setText(exc.sentence())
            raise

    # --- changes -------------------------------------------------------------------------------
    async def save_settings(self) -> bool:
        env = self._env()
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
        auth = await self._authorize("edit environment", lines)
        if auth is None:
            return False
        await environment_edits.update_environment(self.session.ctx, env.name, changes, auth)
        self.status.setText(f"Saved {len(changes)} change(s) to {env.name}.")
        await self.load()
        return True

    async def add_environment(self, name: str | None = None, kind: EnvironmentKind | None = None) -> bool:
        ctx = self.session.ctx
        if name is None or kind is None:
            dialog = NewEnvironmentDialog(list(ctx.workspace.environments), parent=self)
            result = await open_and_wait(dialog)
            name, kind = dialog.name_edit.text().strip(), dialog.kind
            dialog.deleteLater()
            if result != NewEnvironmentDialog.DialogCode.Accepted:
                return False
        auth = await self._authorize("add environment", [f"add environment '{name}' ({kind.value}) with the "
                                                         "seed's defaults"], env_name=name, new_kind=kind)
        if auth is None:
            return False
        await environment_edits.add_environment(ctx, name, kind, auth)
        self.session.set_context(ctx)
        self.session.select_environment(name)
        await self.load()
        return True

    async def duplicate_environment(self, new_name: str | None = None, kind: EnvironmentKind | None = None,
                                    copy_secrets: bool = False) -> bool:
        ctx = self.session.ctx
        source = self.env_name
        if new_name is None or kind is None:
            dialog = NewEnvironmentDialog(list(ctx.workspace.environments), duplicate_of=source, parent=self)
            result = await open_and_wait(dialog)
            new_name, kind = dialog.name_edit.text().strip(), dialog.kind
            copy_secrets = dialog.copy_secrets.isChecked()
            dialog.deleteLater()
            if result != NewEnvironmentDialog.DialogCode.Accepted:
                return False
        what = [f"create '{new_name}' ({kind.value}) with the settings of '{source}'"]
        if copy_secrets:
            what.append(f"copy its {len(self._secret_names.get(source, []))} keyring entries")
        auth = await self._authorize("duplicate environment", what, env_name=new_name, new_kind=kind)
        if auth is None:
            return False
        await environment_edits.duplicate_environment(ctx, source, new_name, kind, auth, copy_secrets=copy_secrets)
        self.session.set_context(ctx)
        self.session.select_environment(new_name)
        await self.load()
        return True

    async def remove_environment(self) -> bool:
        ctx = self.session.ctx
        name = self.env_name
        entries = await environment_edits.keyring_entries(ctx, name)
        what = [f"remove environment '{name}' from the workspace"]
        what.append("delete these keyring entries: " + ", ".join(entries) if entries else
                    "delete no keyring entries (none are stored)")
        auth = await self._authorize("remove environment", what, ask=True)
        if auth is None:
            return False
        await environment_edits.remove_environment(ctx, name, auth)
        self.last_checks.pop(name, None)
        self.session.set_context(ctx)
        await self.load()
        return True

    async def reveal_selected(self, secret: str | None = None) -> str | None:
        secret = secret or self._selected_secret()
        if secret is None:
            return None
        value = await environment_edits.reveal_secret(self.session.ctx, self.env_name, secret)
        if value is not None:
            self._revealed[(self.env_name, secret)] = value
        self._load_secrets()
        return value

    def hide_revealed(self) -> None:
        self._revealed.clear()
        self._load_secrets()

    async def set_selected_secret(self, secret: str | None = None, value: str | None = None) -> bool:
        secret = secret or self._selected_secret()
        if secret is None:
            return False
        if value is None:
            dialog = SecretDialog(self.env_name, secret, SECRET_NAMES.get(secret, secret), parent=self)
            result = await open_and_wait(dialog)
            value = dialog.value_edit.text()
            dialog.deleteLater()
            if result != SecretDialog.DialogCode.Accepted or not value:
                return False
        auth = await self._authorize("set secret", [f"store a new value of {secret} in the OS keyring"])
        if auth is None:
            return False
        await environment_edits.set_secret(self.session.ctx, self.env_name, secret, value, auth)
        self._revealed.pop((self.env_name, secret), None)
        await self.load()
        return True

    def _selected_secret(self) -> str | None:
        rows = self.secrets_table.selectionModel().selectedRows()
        row = self.secrets_model.row_at(rows[0].row()) if rows else None
        return row.name if row else None

    async def import_dotenv(self, path: str | None = None) -> bool:
        ctx = self.session.ctx
        if path is None:
            dialog = QFileDialog(self, "Import a .env file")
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            dialog.setNameFilters([".env files (*.env .env* *.env.*)", "All files (*)"])
            result = await open_and_wait(dialog)
            files = dialog.selectedFiles()
            dialog.deleteLater()
            if result != QFileDialog.DialogCode.Accepted or not files:
                return False
            path = files[0]
        text, source = await env_import.aread_dotenv_file(path)
        plan = await env_import.aplan_import(ctx, self.env_name, text, source=source)
        preview = ImportPreviewDialog(plan, parent=self)
        self.preview_dialog = preview
        preview.flips_changed.connect(
            lambda: self.session.spawn(self.replan_preview(preview, text, source), name="import preview"))
        result = await open_and_wait(preview)
        plan = preview.plan
        preview.deleteLater()
        if result != ImportPreviewDialog.DialogCode.Accepted or plan.is_noop:
            self.status.setText(plan.summary() if plan.is_noop else "Import cancelled; nothing changed.")
            return False
        auth = await self._authorize("import .env", [plan.summary()])
        if auth is None:
            return False
        result_info = await env_import.aapply_import(ctx, plan, auth)
        self.status.setText(f"Imported {source}: {result_info.settings_changed} setting(s), "
                            f"{len(result_info.secrets_written)} secret(s) to the keyring.")
        await self.load()
        return True

    async def replan_preview(self, preview: ImportPreviewDialog, text: str, source: str) -> None:
        """The user ticked or cleared a Secret box in the preview: plan again with their choices."""
        secret, plain = preview.choices()
        try:
            plan = await env_import.aplan_import(self.session.ctx, preview.plan.environment, text, source=source,
                                                 secret=secret, plain=plain)
        except OpsError as exc:
            preview.show_problem(exc.sentence())
            return
        preview.set_plan(plan)

    async def export_template(self, path: str | None = None) -> str | None:
        env = self._env()
        if env is None:
            return None
        if path is None:
            dialog = QFileDialog(self, f"Export a .env template of {env.name}")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.selectFile(f"{env.name}.env.template")
            result = await open_and_wait(dialog)
            files = dialog.selectedFiles()
            dialog.deleteLater()
            if result != QFileDialog.DialogCode.Accepted or not files:
                return None
            path = files[0]
        text = env_export.dotenv_template(env, stored_secrets=self._secret_names.get(env.name, []))
        written = await env_export.awrite_export(path, text)
        self.status.setText(f"Wrote {written} (settings filled in, every secret empty).")
        return str(written)

    # --- checks and drift ----------------------------------------------------------------------
    async def test_connections(self, services: list[str] | None = None) -> list[CheckResult]:
        name = self.env_name
        for key, button in self.check_buttons.items():
            if services is None or key in services:
                button.setEnabled(False)
        self.status.setText(f"Testing {name}'s connections…")
        try:
            results = await run_checks(self.session.ctx, name, services=services)
        finally:
            for button in self.check_buttons.values():
                button.setEnabled(True)
        known = self.last_checks.setdefault(name, {})
        known.update({r.service: r for r in results})
        if name == self.env_name:
            self.checks_model.set_rows(list(known.values()))
        failed = [r for r in results if r.state == "failed"]
        self.status.setText(f"{name}: {len(results) - len(failed)} of {len(results)} check(s) passed."
                            if results else f"{name}: nothing is configured to test.")
        self.env_model.set_rows([self._row(env, self._secret_names.get(env.name, []))
                                 for env in self.session.ctx.workspace.environments.values()])
        # A connection test says whether this console can reach each part; it never changes the health
        # lights, which follow the platform's own checks.
        return results

    async def compare(self, other: str | None = None) -> int:
        other = other or self.drift_other.currentText()
        if not other:
            return 0
        self.drift_summary.setText(f"Comparing {self.env_name} with {other}…")
        report = await diff_environments(self.session.ctx, self.env_name, other)
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

    async def wait_idle(self) -> None:
        """For tests: let queued UI work run."""
        await asyncio.sleep(0)

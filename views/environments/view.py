"""Environments: the list, each environment's settings, secrets, connection tests and drift.

Every slot is one line that spawns a plain coroutine of this class or of a tab; tests await those
coroutines. Changes go through ``authorize_in_ui`` (viewer refused; production unlocked for one action by
typing its name and a reason) and then a service in ``services.environments.environment_edits`` /
``services.environments.env_import``. One widget per tab, each in its own module: ``settings_tab``,
``secrets_tab``, ``connections_tab``, ``drift_tab``, ``config_tab``; the view composes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.production_guard import authorize_in_ui, open_and_wait
from console.session import Session
from console.widgets import FlowLayout
from services.core.errors import GuardRefusedError, OpsError
from services.core.guard import Authorization, can_change
from services.core.workspace import Environment, EnvironmentKind
from services.environments import env_export, env_import, environment_edits, import_apply
from services.environments.connection_checks import CheckResult, run_checks, services_of
from views.base import OpsView, heading
from views.environments.config_tab import ConfigurationTab
from views.environments.connections_tab import ConnectionsTab
from views.environments.dialogs import ImportPreviewDialog, NewEnvironmentDialog
from views.environments.drift_tab import DriftTab
from views.environments.models import EnvironmentRow, EnvironmentsModel
from views.environments.secrets_tab import SecretsTab
from views.environments.settings_tab import SettingsTab
from views.environments.widgets import READ_ONLY_TIP, rows_table


class EnvironmentsView(OpsView):
    key = "environments"
    title = "Environments"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.last_checks: dict[str, dict[str, CheckResult]] = {}
        self.secret_names: dict[str, list[str]] = {}

        self.env_model = EnvironmentsModel(self)
        self.env_table = rows_table(self.env_model)
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

        self.settings_tab = SettingsTab(self)
        self.secrets_tab = SecretsTab(self)
        self.connections_tab = ConnectionsTab(self)
        self.drift_tab = DriftTab(session, lambda: self.env_name)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.settings_tab, "Settings && flags")
        self.tabs.addTab(self.secrets_tab, "Secrets")
        self.tabs.addTab(self.connections_tab, "Connections")
        self.tabs.addTab(self.drift_tab, "Drift")
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
    def current_env(self) -> Environment | None:
        if not self.session.ready:
            return None
        return self.session.ctx.workspace.environments.get(self.env_name)

    def read_only(self) -> bool:
        return not can_change(self.session.ctx.workspace)

    async def load(self) -> None:
        ctx = self.session.ctx
        names = {env: await ctx.credentials.anames(env) for env in ctx.workspace.environments}
        self.secret_names = names
        self.show_rows()
        for i, row in enumerate(self.env_model.rows()):
            if row.name == self.env_name:
                self.env_table.selectRow(i)
        self.settings_tab.show_environment()
        self.secrets_tab.show_environment()
        env = self.current_env()
        if env is not None:
            self.test_all_button.setText(f"Test all {env.name} connections")
        self.connections_tab.show_environment()
        self.config_tab.show_environment(self.env_name)
        self.drift_tab.set_others([n for n in ctx.workspace.environments if n != self.env_name])
        read_only = self.read_only()
        for button in self.change_buttons:
            button.setEnabled(not read_only)
            button.setToolTip(READ_ONLY_TIP if read_only else "")
        self.secrets_tab.set_read_only(read_only)
        self.duplicate_button.setEnabled(not read_only and self.current_env() is not None)
        self.remove_button.setEnabled(not read_only and self.current_env() is not None)
        self.status.setText(self._status_text())

    def show_rows(self) -> None:
        """The environments list, with what the last connection tests found."""
        self.env_model.set_rows([self._row(env, self.secret_names.get(env.name, []))
                                 for env in self.session.ctx.workspace.environments.values()])

    def _status_text(self) -> str:
        ctx = self.session.ctx
        env = self.current_env()
        backend = ctx.credentials.backend_info()
        where = f"<b>not safely stored</b>: {backend.reason}" if backend.weak else (
            "read from the process environment" if ctx.credentials.reads_environment else "kept in the OS keyring")
        parts = [f"{len(ctx.workspace.environments)} environment(s); secrets {where}"]
        if self.read_only():
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

    async def authorize(self, action: str, consequences: Sequence[str], *, env_name: str | None = None,
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
    async def add_environment(self, name: str | None = None, kind: EnvironmentKind | None = None) -> bool:
        ctx = self.session.ctx
        if name is None or kind is None:
            dialog = NewEnvironmentDialog(list(ctx.workspace.environments), parent=self)
            result = await open_and_wait(dialog)
            name, kind = dialog.name_edit.text().strip(), dialog.kind
            dialog.deleteLater()
            if result != NewEnvironmentDialog.DialogCode.Accepted:
                return False
        auth = await self.authorize("add environment", [f"add environment '{name}' ({kind.value}) with the "
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
            what.append(f"copy its {len(self.secret_names.get(source, []))} keyring entries")
        auth = await self.authorize("duplicate environment", what, env_name=new_name, new_kind=kind)
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
        auth = await self.authorize("remove environment", what, ask=True)
        if auth is None:
            return False
        await environment_edits.remove_environment(ctx, name, auth)
        self.last_checks.pop(name, None)
        self.session.set_context(ctx)
        await self.load()
        return True

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
        auth = await self.authorize("import .env", [plan.summary()])
        if auth is None:
            return False
        result_info = await import_apply.aapply_import(ctx, plan, auth)
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
        env = self.current_env()
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
        text = env_export.dotenv_template(env, stored_secrets=self.secret_names.get(env.name, []))
        written = await env_export.awrite_export(path, text)
        self.status.setText(f"Wrote {written} (settings filled in, every secret empty).")
        return str(written)

    # --- connection tests ----------------------------------------------------------------------
    async def test_connections(self, services: list[str] | None = None) -> list[CheckResult]:
        name = self.env_name
        self.connections_tab.set_testing(services)
        self.status.setText(f"Testing {name}'s connections…")
        try:
            results = await run_checks(self.session.ctx, name, services=services)
        finally:
            self.connections_tab.done_testing()
        known = self.last_checks.setdefault(name, {})
        known.update({r.service: r for r in results})
        if name == self.env_name:
            self.connections_tab.checks_model.set_rows(list(known.values()))
        failed = [r for r in results if r.state == "failed"]
        self.status.setText(f"{name}: {len(results) - len(failed)} of {len(results)} check(s) passed."
                            if results else f"{name}: nothing is configured to test.")
        self.show_rows()
        # A connection test says whether this console can reach each part; it never changes the health
        # lights, which follow the platform's own checks.
        return results

    async def wait_idle(self) -> None:
        """For tests: let queued UI work run."""
        await asyncio.sleep(0)

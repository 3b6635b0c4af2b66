"""The Environments view driven like a user: a viewer changes nothing; an admin's production change is
refused until the name (and a reason) is typed, then goes through once and is audited."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from console.error_presenter import ErrorPresenter
from console.production_guard import UnlockDialog, current_unlock_dialog
from console.session import Session
from services.core import workspace as ws
from services.core.app_context import AppContext, AppPaths, build_context
from services.core.credentials import CredentialStore, describe_backend
from services.core.errors import GuardRefusedError, KeyringUnavailableError
from services.environments.drift import FINGERPRINT_SCOPE
from tests.qt.conftest import wait_for
from views.environments.dialogs import ImportPreviewDialog
from views.environments.view import EnvironmentsView


def _workspace(profile: ws.Profile) -> ws.Workspace:
    work = ws.Workspace(name="View test", id=f"test-{uuid.uuid4().hex}", profile=profile)
    for kind in (ws.EnvironmentKind.STAGING, ws.EnvironmentKind.PRODUCTION):
        work.environments[kind.value] = ws.seed_environment(kind.value, kind)
    return work


@pytest.fixture
def make_ctx(app_dirs: dict[str, Path]) -> Iterator[object]:
    if describe_backend().weak:
        pytest.fail("no real keyring in this test run; run through scripts/test")
    made: list[AppContext] = []

    def make(profile: ws.Profile) -> AppContext:
        ctx = build_context(_workspace(profile), app_dirs["config"] / f"ws-{len(made)}.toml", paths=AppPaths.from_os())
        ctx.save_workspace()
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        store = CredentialStore(ctx.workspace.id)
        for env in [*ctx.workspace.environments, "staging", "production", "qa", FINGERPRINT_SCOPE]:
            try:
                store.delete_environment(env)
            except KeyringUnavailableError:
                pass


def _view(qtbot, ctx: AppContext, env: str) -> tuple[Session, EnvironmentsView]:  # type: ignore[no-untyped-def]
    session = Session(ErrorPresenter())
    view = EnvironmentsView(session)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    session.current_env = env
    session.set_context(ctx)
    view.show()
    return session, view


async def _dialog() -> UnlockDialog:
    await wait_for(lambda: current_unlock_dialog() is not None)
    dialog = current_unlock_dialog()
    assert dialog is not None
    return dialog


def test_a_viewer_cannot_trigger_any_change(qtbot, qloop, make_ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx: AppContext = make_ctx(ws.Profile.VIEWER)
    session, view = _view(qtbot, ctx, "staging")
    before = ctx.workspace_path.read_bytes()
    dotenv = tmp_path / "x.env"
    dotenv.write_text("MLS_API_KEY=viewer-planted-value\nNEXT_PUBLIC_APP_URL=https://changed.example.com\n")

    async def scenario() -> None:
        await view.load()
        assert "read-only" in view.status.text()
        secrets = view.secrets_tab
        for button in [*view.change_buttons, view.settings_tab.save_button, secrets.set_secret_button,
                       secrets.reveal_button]:
            assert not button.isEnabled(), button.text()
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # a click on a disabled button does nothing
        url_edit = view.settings_tab.editor.inputs["app_url"]
        assert isinstance(url_edit, QLineEdit) and url_edit.isReadOnly()
        assert not view.settings_tab.editor.flags["debugMode"].isEnabled()
        await asyncio.sleep(0.1)
        assert session.tasks.running == []

        # Even reached directly, every change is refused by the guard.
        view.settings_tab.editor.set_text("app_url", "https://changed.example.com")
        attempts = [view.settings_tab.save_settings(), view.add_environment("qa", ws.EnvironmentKind.OTHER),
                    view.duplicate_environment("qa", ws.EnvironmentKind.OTHER), view.remove_environment(),
                    view.secrets_tab.set_selected_secret("MLS_API_KEY", "viewer-planted-value"),
                    view.secrets_tab.reveal_selected("MLS_API_KEY")]
        for attempt in attempts:
            with pytest.raises(GuardRefusedError):
                await attempt

        # Importing: the preview may be looked at; applying is refused.
        task = asyncio.ensure_future(view.import_dotenv(str(dotenv)))
        await wait_for(lambda: getattr(view, "preview_dialog", None) is not None and view.preview_dialog.isVisible())
        assert "MLS_API_KEY" in view.preview_dialog.text.toPlainText()
        assert "viewer-planted-value" not in view.preview_dialog.text.toPlainText()
        view.preview_dialog.accept()
        with pytest.raises(GuardRefusedError):
            await task

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
    assert ctx.workspace_path.read_bytes() == before
    assert CredentialStore(ctx.workspace.id).names("staging") == []
    outcomes = {e.outcome for e in ctx.audit.entries()}
    assert outcomes <= {"refused: viewer profile", "refused: viewer"}


def test_admin_production_change_needs_the_typed_name_then_succeeds_once(qtbot, qloop, make_ctx) -> None:  # type: ignore[no-untyped-def]
    ctx: AppContext = make_ctx(ws.Profile.ADMIN)
    _session, view = _view(qtbot, ctx, "production")
    new_url = "https://www.realtor-platform.com"

    async def scenario() -> None:
        await view.load()
        assert "production" in view.settings_tab.settings_note.text()
        # Validation as one types: a bad URL disables Save and says why.
        view.settings_tab.editor.set_text("app_url", "not a url")
        assert not view.settings_tab.save_button.isEnabled()
        error = view.settings_tab.editor.errors["app_url"]
        assert error.isVisibleTo(view) and "http(s)" in error.text()
        view.settings_tab.editor.set_text("app_url", new_url)
        assert view.settings_tab.save_button.isEnabled()

        # First try: the dialog refuses until the name is typed; cancelled, nothing changes.
        qtbot.mouseClick(view.settings_tab.save_button, Qt.MouseButton.LeftButton)
        dialog = await _dialog()
        assert not dialog.ok_button.isEnabled()
        assert new_url in " ".join(label.text() for label in dialog.findChildren(QLabel))  # consequence named
        dialog.name_edit.setText("prod")
        assert not dialog.ok_button.isEnabled() and "not 'production'" in dialog.problem.text()
        dialog.reason_edit.setText("new domain")
        assert not dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
        assert dialog.isVisible()
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        await wait_for(lambda: current_unlock_dialog() is None)
        await asyncio.sleep(0.05)
        assert ws.load(ctx.workspace_path).environments["production"].app_url != new_url

        # Second try: name and reason typed; it goes through, once.
        qtbot.mouseClick(view.settings_tab.save_button, Qt.MouseButton.LeftButton)
        dialog = await _dialog()
        dialog.name_edit.setText("production")
        assert not dialog.ok_button.isEnabled()  # production also needs a reason
        dialog.reason_edit.setText("moving to the www domain")
        assert dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: ws.load(ctx.workspace_path).environments["production"].app_url == new_url)
        await wait_for(lambda: not view.settings_tab.save_button.isEnabled())

        # The unlock was for that one action: the next change asks again.
        view.settings_tab.editor.flags["debugMode"].setChecked(True)
        assert view.settings_tab.save_button.isEnabled()
        qtbot.mouseClick(view.settings_tab.save_button, Qt.MouseButton.LeftButton)
        dialog = await _dialog()
        assert not dialog.ok_button.isEnabled()
        dialog.reject()
        await wait_for(lambda: current_unlock_dialog() is None)
        # The cancellation is written to the audit log off the Qt thread: wait for its line.
        await wait_for(lambda: len([e for e in ctx.audit.entries() if e.action == "edit environment"]) == 3)

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
    saved = ws.load(ctx.workspace_path).environments["production"]
    assert saved.app_url == new_url and saved.features.debugMode is False
    edits = [e for e in ctx.audit.entries() if e.action == "edit environment"]
    assert sorted(e.outcome for e in edits) == ["cancelled at the unlock dialog"] * 2 + ["done"]
    edits = [e for e in edits if e.outcome == "done"]
    assert (edits[0].environment, edits[0].reason, edits[0].outcome) == ("production", "moving to the www domain",
                                                                        "done")
    # The TLS domain derived from the old URL follows the new one.
    assert edits[0].details["changed"] == ["app_url", "health.tls_domains"]
    assert saved.health.tls_domains == []
    cancelled = [e for e in ctx.audit.entries() if e.outcome == "cancelled at the unlock dialog"]
    assert len(cancelled) == 2


def test_admin_imports_reveals_tests_and_compares(qtbot, qloop, make_ctx, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  redis_url: str) -> None:
    ctx: AppContext = make_ctx(ws.Profile.ADMIN)
    _session, view = _view(qtbot, ctx, "staging")
    secret = f"mls-{uuid.uuid4().hex}"
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    dotenv = tmp_path / "staging.env"
    dotenv.write_text(f"MLS_API_KEY='{secret}'\nREDIS_URL=redis://127.0.0.1:{port}/0\n"
                      "DATABASE_URL=postgresql://app:pw@db.realtor-nowhere.invalid:5432/realtor\n")

    async def scenario() -> None:
        await view.load()
        task = asyncio.ensure_future(view.import_dotenv(str(dotenv)))
        await wait_for(lambda: isinstance(getattr(view, "preview_dialog", None), ImportPreviewDialog)
                       and view.preview_dialog.isVisible())
        preview = view.preview_dialog.text.toPlainText()
        assert "secret MLS_API_KEY: new value" in preview and secret not in preview
        view.preview_dialog.accept()
        assert await task is True
        assert CredentialStore(ctx.workspace.id).get("staging", "MLS_API_KEY") == secret

        rows = {r.name: r for r in view.secrets_tab.secrets_model.rows()}
        assert rows["MLS_API_KEY"].stored and secret not in view.secrets_tab.secrets_model.cells(rows["MLS_API_KEY"])[2]
        assert await view.secrets_tab.reveal_selected("MLS_API_KEY") == secret
        revealed = {r.name: r for r in view.secrets_tab.secrets_model.rows()}["MLS_API_KEY"]
        assert view.secrets_tab.secrets_model.cells(revealed)[2] == secret
        view.secrets_tab.hide_revealed()
        secrets_model = view.secrets_tab.secrets_model
        assert secret not in str([secrets_model.cells(r) for r in secrets_model.rows()])

        assert set(view.connections_tab.check_buttons) >= {"database", "redis"}
        qtbot.mouseClick(view.connections_tab.check_buttons["redis"], Qt.MouseButton.LeftButton)
        await wait_for(lambda: any(r.service == "redis" for r in view.connections_tab.checks_model.rows()), timeout=15)
        results = await view.test_connections(["database"])
        assert results[0].kind is not None and results[0].kind.value == "DNS failure"
        row = {r.name: r for r in view.env_model.rows()}["staging"]
        assert row.redis.startswith("up") and row.database == "DNS failure"

        view.drift_tab.drift_other.setCurrentText("production")
        count = await view.drift_tab.compare()
        keys = {(r.item.key, r.item.drift) for r in view.drift_tab.drift_model.rows()}
        assert ("MLS_API_KEY", True) in keys and ("testIntegrations", True) in keys
        assert count >= 2
        assert secret not in str([view.drift_tab.drift_model.cells(r) for r in view.drift_tab.drift_model.rows()])

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
    reveals = [e for e in ctx.audit.entries() if e.action == "reveal secret"]
    assert len(reveals) == 1 and reveals[0].target == "MLS_API_KEY" and reveals[0].outcome == "shown"
    for path in (ctx.workspace_path, ctx.audit.path):
        assert secret.encode() not in path.read_bytes()


def test_removal_asks_and_names_the_keyring_entries(qtbot, qloop, make_ctx) -> None:  # type: ignore[no-untyped-def]
    ctx: AppContext = make_ctx(ws.Profile.ADMIN)
    ctx.credentials.set("staging", "JWT_SECRET", f"jwt-{uuid.uuid4().hex}")
    ctx.credentials.set("staging", "VERCEL_TOKEN", f"tok-{uuid.uuid4().hex}")
    _session, view = _view(qtbot, ctx, "staging")

    async def scenario() -> None:
        await view.load()
        qtbot.mouseClick(view.remove_button, Qt.MouseButton.LeftButton)
        dialog = await _dialog()
        text = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "remove environment 'staging'" in text
        assert f"{ctx.credentials.service} / staging/JWT_SECRET" in text and "staging/VERCEL_TOKEN" in text
        assert dialog.ok_button.isEnabled()  # not production: a plain confirmation
        dialog.reject()
        await wait_for(lambda: current_unlock_dialog() is None)
        assert "staging" in ws.load(ctx.workspace_path).environments

        qtbot.mouseClick(view.remove_button, Qt.MouseButton.LeftButton)
        dialog = await _dialog()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: any(e.action == "remove environment" and e.outcome == "done"
                                   for e in ctx.audit.entries()))
        assert "staging" not in ws.load(ctx.workspace_path).environments

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
    assert CredentialStore(ctx.workspace.id).names("staging") == []
    entry = next(e for e in ctx.audit.entries() if e.action == "remove environment" and e.outcome == "done")
    assert sorted(entry.details["secrets_removed"]) == ["JWT_SECRET", "VERCEL_TOKEN"]


def test_import_preview_shows_nexts_reading_and_lets_the_user_flip_a_variable(  # type: ignore[no-untyped-def]
        qtbot, qloop, make_ctx, tmp_path: Path) -> None:
    from PySide6.QtTest import QAbstractItemModelTester

    ctx: AppContext = make_ctx(ws.Profile.ADMIN)
    _session, view = _view(qtbot, ctx, "staging")
    marker = uuid.uuid4().hex[:12]
    dotenv = tmp_path / "next.env"
    dotenv.write_text("NEXTAUTH_URL=https://staging.example.org/app#section\n"
                      f"JWT_SECRET=jwt{marker}#cut{marker}\nFEATURE_COLOR=blue\nSTRIPE_SECRET_KEY=sk_live_{marker}\n")

    async def scenario() -> None:
        await view.load()
        task = asyncio.ensure_future(view.import_dotenv(str(dotenv)))
        await wait_for(lambda: isinstance(getattr(view, "preview_dialog", None), ImportPreviewDialog)
                       and view.preview_dialog.isVisible())
        preview = view.preview_dialog
        QAbstractItemModelTester(preview.extras_model, QAbstractItemModelTester.FailureReportingMode.Fatal)
        readings = preview.readings.text()
        assert "NEXTAUTH_URL (line 1): Next.js will read this as 'https://staging.example.org/app'" in readings
        assert "JWT_SECRET (line 2): Next.js will read a different value" in readings and marker not in readings
        assert marker not in preview.text.toPlainText()
        kinds = {r.name: r.secret for r in preview.extras_model.rows()}
        assert kinds == {"FEATURE_COLOR": False, "STRIPE_SECRET_KEY": True}
        # Tick FEATURE_COLOR's Secret box with the mouse: the preview is planned again.
        row = [r.name for r in preview.extras_model.rows()].index("FEATURE_COLOR")
        rect = preview.extras.visualRect(preview.extras_model.index(row, 2))
        qtbot.mouseClick(preview.extras.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        await wait_for(lambda: {r.name: r.secret for r in preview.extras_model.rows()}["FEATURE_COLOR"])
        assert "FEATURE_COLOR (line 3): secret, kept in the keyring (as you asked)" in preview.text.toPlainText()
        await wait_for(lambda: preview.buttons.button(preview.buttons.StandardButton.Ok).isEnabled())
        preview.accept()
        assert await task is True
        store = CredentialStore(ctx.workspace.id)
        assert store.get("staging", "FEATURE_COLOR") == "blue"

        # The environment's settings show what it kept and how Next.js reads it.
        QAbstractItemModelTester(view.settings_tab.kept_model, QAbstractItemModelTester.FailureReportingMode.Fatal)
        kept = {r.name: view.settings_tab.kept_model.cells(r) for r in view.settings_tab.kept_model.rows()}
        assert kept["NEXTAUTH_URL"][1] == "extra setting"
        assert kept["NEXTAUTH_URL"][3].startswith("Next.js will read this as 'https://staging.example.org/app'")
        assert kept["FEATURE_COLOR"][1:3] == ("secret (keyring)", "••••••••  (in the keyring)")
        assert kept["JWT_SECRET"][1] == "secret (keyring)" and "character(s) instead of" in kept["JWT_SECRET"][3]
        assert marker not in str(kept)
        assert view.settings_tab.kept_box.isVisible()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))

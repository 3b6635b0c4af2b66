"""Start-up problems give a clear message and the console still starts."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from console.app import open_context
from console.error_presenter import ErrorPresenter
from console.session import Session
from console.window import MainWindow
from services.core.errors import ConfigError
from tests.qt.conftest import wait_for


def test_malformed_workspace_is_reported_and_never_overwritten(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "ws.toml"
    text = 'name = "Acme"\n[environments.production]\nkind = "production"\napp_url = 42\n'
    bad.write_text(text)
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    args = argparse.Namespace(workspace=str(bad), sandbox=False, secrets_from_env=False)

    async def scenario() -> None:
        await open_context(session, args, window)
        await wait_for(window.error_bar.isVisible)
        assert session.ctx.load_error is not None
        assert window.workspace_banner.isVisible()
        banner = window.workspace_banner.label.text()
        assert "line 4" in banner and "environments.production.app_url" in banner
        with pytest.raises(ConfigError):
            session.ctx.save_workspace()
        # The window still works: views can be switched.
        for key in ("health", "backups", "environments"):
            window.show_view(key)
            await asyncio.sleep(0)

    qloop.run_until_complete(scenario())
    assert bad.read_text() == text


def test_a_workspace_path_that_does_not_exist_yet_offers_to_create_it(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from services.core import workspace as ws

    path = tmp_path / "new" / "ops.toml"
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    args = argparse.Namespace(workspace=str(path), sandbox=False, secrets_from_env=False)

    async def scenario() -> None:
        await open_context(session, args, window)
        # One banner, no error: nothing went wrong, the file just is not there yet.
        assert window.workspace_banner.isVisible() and not window.error_bar.isVisible()
        assert "no workspace at" in window.workspace_banner.label.text()
        assert "Start the console once" not in window.workspace_banner.label.text()
        assert not path.exists()  # nothing written before the user chooses
        titles = [b.text() for b in window.workspace_banner.action_buttons]
        assert titles == ["Create an admin workspace here", "Create a read-only (viewer) workspace", "Open the sandbox"]
        window.workspace_banner.action_buttons[0].click()
        await wait_for(path.exists)
        await wait_for(lambda: session.ctx.workspace.profile is ws.Profile.ADMIN and session.ctx.workspace_path == path)
        assert ws.load(path).profile is ws.Profile.ADMIN
        assert "admin" in window.workspace_banner.label.text()
        assert not any(b.isVisible() for b in window.workspace_banner.action_buttons)

    qloop.run_until_complete(scenario())

"""The shell driven like a user would: views, environments, a cancelled job, an error sentence."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt

from console.error_presenter import ErrorPresenter
from console.jobs import JobState
from console.session import Session
from console.window import VIEW_KEYS, MainWindow
from services.core import workspace as ws
from services.core.app_context import build_context
from services.core.errors import ConnectionFailure, FailureKind
from services.core.progress import Progress
from tests.qt.conftest import wait_for


def make_window(qtbot) -> tuple[Session, MainWindow]:  # type: ignore[no-untyped-def]
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    return session, window


def two_env_workspace() -> ws.Workspace:
    w = ws.Workspace(name="Shell test", profile=ws.Profile.ADMIN)
    for kind in (ws.EnvironmentKind.DEVELOPMENT, ws.EnvironmentKind.PRODUCTION):
        w.environments[kind.value] = ws.seed_environment(kind.value, kind)
    return w


def test_shell_views_environments_jobs_and_errors(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session, window = make_window(qtbot)

    async def scenario() -> None:
        session.set_context(build_context(two_env_workspace(), tmp_path / "ws.toml"))
        assert [window.env_switcher.itemText(i) for i in range(window.env_switcher.count())] == [
            "development", "production"]
        assert session.current_env == "production"  # production first: it is what people check
        assert set(window.lights) == {"development", "production"}

        # Views: by the API and by clicking the sidebar.
        for key in VIEW_KEYS:
            view = window.show_view(key)
            assert view.isVisible() and window.stack.currentWidget().isAncestorOf(view)
        item = window.sidebar.item(VIEW_KEYS.index("backups"))
        rect = window.sidebar.visualItemRect(item)
        qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_view() is window.views["backups"] and window.views["backups"].isVisible()

        # Environment switcher drives the session.
        seen: list[str] = []
        session.environment_changed.connect(seen.append)
        window.env_switcher.setCurrentText("development")
        assert session.current_env == "development" and seen == ["development"]

        # A long job reports progress, survives view switches, and is cancelled from the panel.
        async def long_work(progress: Progress) -> str:
            progress.set_total(10_000_000)
            for _ in range(10_000):
                progress.advance(1000)
                await asyncio.sleep(0.002)
            return "finished"

        job = session.jobs.start("Copy test data", long_work, environment="development")
        await wait_for(lambda: job.snapshot is not None and job.snapshot.speed is not None, timeout=10)
        model = window.jobs_panel.model
        assert model.rowCount() == 1
        assert model.index(0, 0).data() == "Copy test data"
        assert "%" in model.index(0, 3).data() and "MiB" in model.index(0, 3).data()
        await wait_for(lambda: bool(model.index(0, 4).data()) and bool(model.index(0, 5).data()))
        assert model.index(0, 4).data().endswith("/s")
        for key in ("health", "costs", "environments"):
            window.show_view(key)
            await asyncio.sleep(0.02)
        assert job.state == JobState.RUNNING
        assert job.snapshot is not None
        done_before = job.snapshot.done
        window.jobs_panel.table.selectRow(0)
        assert window.jobs_panel.cancel_button.isEnabled()
        qtbot.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: job.state == JobState.CANCELLED)
        assert 0 < done_before < 10_000_000
        assert model.index(0, 2).data() == "cancelled"
        # Nothing left to cancel: the button says so instead of doing nothing.
        await wait_for(lambda: not window.jobs_panel.cancel_button.isEnabled(), timeout=5)

        # An error from a service task is shown once, as a sentence.
        async def failing() -> None:
            raise ConnectionFailure("The database at db.internal:5432 refused the connection",
                                    kind=FailureKind.REFUSED, hint="Check that PostgreSQL is running")

        session.spawn(failing(), name="check db")
        session.spawn(failing(), name="check db again")
        await wait_for(window.error_bar.isVisible)
        await asyncio.sleep(0.1)
        text = window.error_bar.label.text()
        assert "refused the connection" in text and "Check that PostgreSQL is running." in text
        assert len(session.errors.history) == 1

    qloop.run_until_complete(scenario())


def test_unexpected_errors_are_worded_plainly(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session, window = make_window(qtbot)

    async def scenario() -> None:
        session.set_context(build_context(two_env_workspace(), tmp_path / "ws.toml"))

        async def bug() -> None:
            raise KeyError("internal detail")

        session.spawn(bug(), name="bug")
        await wait_for(window.error_bar.isVisible)
        assert "Something unexpected went wrong" in window.error_bar.label.text()
        assert "internal detail" not in window.error_bar.label.text()
        window.error_bar.details.setChecked(True)
        assert "internal detail" in window.error_bar.label.text()

    qloop.run_until_complete(scenario())

"""The Deployments screen driven like a user against the stand-ins and a real PostgreSQL: the model under
QAbstractItemModelTester, paging as one scrolls, inspect with a live build, rollback with its caveats,
the rolled-back banner and Undo, the promote dialog with grades, Actions runs with a job log, migrations
with "Back up now"."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QLabel

from console.error_presenter import ErrorPresenter
from console.jobs import JobState
from console.production_guard import current_unlock_dialog
from console.session import Session
from console.window import MainWindow
from sandbox import migration_story
from sandbox.platform_standin import PlatformStandin
from sandbox.realtor_schema import install_realtor_schema_sync
from services.deployments.vercel_ops import DeploymentPage, DeploymentRow
from services.providers.vercel_client import VercelDeployment
from tests.deployments.conftest import DeployStandins, make_world
from tests.qt.conftest import wait_for
from views.deployments.dialogs import WorseGradeDialog
from views.deployments.model import AuthorFilter, DeploymentsModel
from views.deployments.view import DeploymentsView

SHOTS = os.environ.get("REALTOR_SCREENSHOTS")


def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / name))


def _row(i: int, *, current: bool = False) -> DeploymentRow:
    at = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=i)
    d = VercelDeployment(f"dpl_{i:06d}", "p", f"p-{i}.vercel.app", "READY", "production", at, at, at, "u",
                         f"{i:040x}", "main", f"change {i}", "Maria Chen", None, None)
    return DeploymentRow(d, current, False)


def test_model_pages_under_the_model_tester(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = DeploymentsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    asked: list[int | None] = []
    model.pager = asked.append
    model.reset(DeploymentPage("production", "production", tuple(_row(i, current=i == 0) for i in range(50)),
                               1000, None))
    assert model.rowCount() == 50 and model.canFetchMore()
    model.fetchMore()
    assert asked == [1000] and not model.canFetchMore(), "one page at a time"
    model.append_page(DeploymentPage("production", "production", tuple(_row(i) for i in range(45, 80)), None, None))
    assert model.rowCount() == 80, "rows already shown are not added twice"
    assert not model.canFetchMore() and model.exhausted
    assert model.index(0, 0).data() == "● live" and model.index(1, 0).data() == ""
    assert model.index(0, 1).data() == "READY" and model.index(5, 3).data() == "change 5"
    proxy = AuthorFilter()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    proxy.set_text("  MARIA ")
    assert proxy.rowCount() == 80, "the author filter ignores case and spaces"
    proxy.set_text("nobody")
    assert proxy.rowCount() == 0
    proxy.set_text("")
    assert proxy.rowCount() == 80
    model.reset(None)
    assert model.rowCount() == 0 and not model.canFetchMore()


def test_deployments_view(qtbot, qloop, scratch_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                          app_dirs: dict[str, Path]) -> None:
    install_realtor_schema_sync(scratch_db, rows_scale=0.02)
    migration_story.apply_story(scratch_db, "production")
    group = DeployStandins()
    world = make_world(tmp_path, app_dirs, group, database_dsn=scratch_db, vercel_kwargs={"extra_deployments": 300})
    data = world.vercel.data
    data.job_steps = 2
    data.lines_per_poll = 2
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    window.show()

    async def scenario() -> None:
        session.set_context(world.ctx)
        view = window.show_view("deployments")
        assert isinstance(view, DeploymentsView)
        await view.load()
        tab = view.deployments
        assert tab.model.rowCount() == 50
        live = [r for r in tab.model.rows() if r.current]
        assert [r.id for r in live] == [data.production_id]
        shot(window, "deployments-list.png")

        # Scrolling to the end pages in the rest, 50 at a time.
        tab.table.scrollToBottom()
        await wait_for(lambda: tab.model.rowCount() > 50, timeout=20)
        assert len({r.id for r in tab.model.rows()}) == tab.model.rowCount()

        # Filters: author (as one types) and state (from Vercel).
        tab.author_filter.setText("dokafor")
        assert 0 < tab.proxy.rowCount() < tab.model.rowCount()
        tab.author_filter.setText("")
        tab.state_filter.setCurrentIndex(tab.state_filter.findData("ERROR"))
        await wait_for(lambda: tab.model.rowCount() > 0 and all(r.deployment.state == "ERROR"
                                                                  for r in tab.model.rows()), timeout=20)
        tab.state_filter.setCurrentIndex(0)
        await wait_for(lambda: any(r.current for r in tab.model.rows()), timeout=20)

        # Inspect a staging build that is still running: the log grows until it fails.
        window.session.select_environment("staging")
        await view.load()
        building = next(d for d in data.deployments if d.state == "BUILDING")
        building.finish_as = "ERROR"
        index = next(i for i, r in enumerate(tab.model.rows()) if r.id == building.uid)
        tab.table.selectRow(tab.proxy.mapFromSource(tab.model.index(index, 0)).row())
        await wait_for(lambda: tab.inspection is not None and tab.inspection.deployment.id == building.uid, 20)
        assert tab.inspection.building and tab._follow is not None
        first = tab.log.lines_shown
        await wait_for(lambda: tab.log.lines_shown >= first + 4, 30)
        assert tab.inspection.deployment.state == "BUILDING" or not tab._follow.done()
        shot(window, "deployments-inspect-live-build.png")
        outcome = await tab._follow
        assert outcome.deployment.state == "ERROR" and tab.log.lines_shown > first
        assert "exited with 1" in tab.log.toPlainText() and "Build finished: ERROR" in tab.summary.text()

        # Rollback of production, with the caveats in the unlock dialog.
        window.session.select_environment("production")
        await view.load()
        before = data.production_id
        older = next(i for i, r in enumerate(tab.model.rows()) if not r.current and r.deployment.state == "READY")
        tab.table.selectRow(older)
        await wait_for(lambda: tab.rollback_button.isEnabled(), 20)
        target = tab.selected()
        assert target is not None
        qtbot.mouseClick(tab.rollback_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: current_unlock_dialog() is not None, 20)
        dialog = current_unlock_dialog()
        said = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "auto-assignment" in said and "cron jobs" in said and "Custom aliases" in said
        assert "not rolled back" in said and migration_story.RECENT in said, "the migration that stays applied"
        dialog.name_edit.setText("production")
        dialog.reason_edit.setText("RSVP form breaks checkout")
        shot(dialog, "deployments-rollback-dialog.png")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: tab.last_job is not None and tab.last_job.state != JobState.RUNNING, 30)
        assert tab.last_job.state == JobState.DONE, tab.last_job.error
        assert data.production_id == target.id
        await view.load()
        assert tab.banner.isVisible() and "new deployments will not go live" in tab.banner_text.text()
        assert "RSVP form breaks checkout" in tab.banner_text.text()
        shot(window, "deployments-rolled-back-banner.png")

        # Undo = promote the deployment rolled back from; it cannot be graded here (no real URL), so the
        # second confirmation comes first, then the unlock dialog with both grades.
        task = session.spawn(tab.undo_rollback())
        await wait_for(lambda: any(isinstance(w, WorseGradeDialog) and w.isVisible()
                                   for w in window.findChildren(WorseGradeDialog)), 30)
        worse = next(w for w in window.findChildren(WorseGradeDialog) if w.isVisible())
        assert not worse.ok_button.isEnabled()
        worse.accept_box.setChecked(True)
        qtbot.mouseClick(worse.ok_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: current_unlock_dialog() is not None, 30)
        dialog = current_unlock_dialog()
        said = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "Security grade of the candidate" in said and "Security grade of production now" in said
        dialog.name_edit.setText("production")
        dialog.reason_edit.setText("undo")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        job = await task
        await wait_for(lambda: job.state != JobState.RUNNING, 30)
        assert job.state == JobState.DONE, job.error
        assert data.production_id == before
        await view.load()
        assert not tab.banner.isVisible()

        # Actions: runs with jobs, the ordering risk, a failing job's log; dispatch off with the reason.
        runs = view.runs
        assert runs.tree.topLevelItemCount() == 20 and "Ordering risk" in runs.risk.text()
        assert not runs.dispatch_button.isEnabled() and "workflow_dispatch" in runs.dispatch_note.text()
        for i in range(runs.tree.topLevelItemCount()):
            item = runs.tree.topLevelItem(i)
            failing = [item.child(k) for k in range(item.childCount()) if item.child(k).text(1) == "failure"]
            if failing:
                runs.tree.setCurrentItem(failing[0])
                break
        assert runs.log_button.isEnabled()
        await runs.show_log()
        assert "exit code 1" in runs.log.toPlainText()
        view.tabs.setCurrentWidget(runs)
        shot(window, "deployments-actions.png")

        # Migrations: pending on production, so "Back up now" is offered with the last backup's age.
        mig = view.migrations
        assert mig.status is not None and mig.status.pending == ("20251001120000_add_listing_open_houses",)
        view.tabs.setCurrentWidget(mig)
        assert mig.backup_button.isVisible() and "will run at the next deploy" in mig.backup_note.text()
        shot(window, "deployments-migrations.png")

        # In the sandbox every deployment answers at the platform stand-in: the promote dialog shows both grades.
        platform = PlatformStandin().start()
        try:
            platform.force("healthy")
            world.ctx.workspace.sandbox = True
            world.ctx.workspace.environment("production").app_url = platform.url
            view.tabs.setCurrentWidget(tab)
            older = next(i for i, r in enumerate(tab.model.rows()) if not r.current and r.deployment.state == "READY")
            tab.table.selectRow(older)
            task = session.spawn(tab.promote_selected())
            await wait_for(lambda: current_unlock_dialog() is not None, 30)
            dialog = current_unlock_dialog()
            said = " ".join(label.text() for label in dialog.findChildren(QLabel))
            assert said.count("/api/health healthy") == 2 and "worse than production" not in said
            assert tab.last_comparison is not None and not tab.last_comparison.worse
            dialog.name_edit.setText("production")
            shot(dialog, "deployments-promote-dialog.png")
            dialog.reject()
            assert await task is None
            assert data.production_id == before, "cancelled: nothing changed"
        finally:
            platform.stop()
            world.ctx.workspace.sandbox = False

        # A viewer changes nothing.
        world.ctx.workspace.profile = type(world.ctx.workspace.profile)("viewer")
        tab._apply_guards()
        assert not tab.promote_button.isEnabled() and "viewer" in tab.promote_button.toolTip()

    try:
        qloop.run_until_complete(scenario())
    finally:
        group.finish()

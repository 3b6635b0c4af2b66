"""The console as its users meet it (issue 11): the environment of the data is the one acted on, cancel
cancels even when storage is frozen, failures show where they matter, the keyboard reaches everything."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import psycopg
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QAbstractItemModelTester, QTest
from PySide6.QtWidgets import QApplication, QWidget

from console.error_presenter import ErrorPresenter
from console.jobs import JobState
from console.session import Session
from console.window import VIEW_KEYS, MainWindow
from sandbox.local_s3 import LocalS3
from services.core import workspace as ws
from services.core.object_storage import make_client
from tests.backup.conftest import build, make_env
from tests.qt.conftest import wait_for

SHOTS = os.environ.get("REALTOR_SCREENSHOTS")


def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / name))


def make_window(qtbot, ctx) -> tuple[Session, MainWindow]:  # type: ignore[no-untyped-def]
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    session.set_context(ctx)
    return session, window


def second_db(pg_dsn: str, name: str) -> str:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return psycopg.conninfo.make_conninfo(pg_dsn, dbname=name)


def drop_db(pg_dsn: str, name: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_switch_behind_a_hidden_view_then_act(qtbot, qloop, scratch_db: str, pg_dsn: str,  # type: ignore[no-untyped-def]
                                              s3_location, s3_bucket: str, tmp_path: Path,
                                              app_dirs: dict[str, Path]) -> None:
    """Backups shows development's catalog; the user switches to staging on another screen and comes
    back: nothing of development is left, and "Back up now" backs up staging's own database."""
    import uuid

    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE dev_only (id int)")
    other = f"t_{uuid.uuid4().hex[:12]}"
    staging_dsn = second_db(pg_dsn, other)
    try:
        with psycopg.connect(staging_dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE staging_only (id int); INSERT INTO staging_only VALUES (1), (2)")
        dev = make_env("development", ws.EnvironmentKind.DEVELOPMENT, scratch_db, s3_location.endpoint_url, s3_bucket)
        stg = make_env("staging", ws.EnvironmentKind.STAGING, staging_dsn, s3_location.endpoint_url, s3_bucket)
        ctx, _path, _secrets = build(tmp_path, [dev, stg], app_dirs)
        session, window = make_window(qtbot, ctx)

        async def scenario() -> None:
            window.env_switcher.setCurrentText("development")
            view = window.show_view("backups")
            await wait_for(view.loaded.is_set)
            job = await view.back_up_now()
            await wait_for(lambda: job.state != JobState.RUNNING, timeout=120)
            assert job.state == JobState.DONE, job.error
            await wait_for(lambda: view.model.rowCount() == 1 and view.data_env == "development", timeout=30)
            view.table.selectRow(0)
            await view.prune_preview()
            assert "development" in view.details.toPlainText()

            # Switch while another screen shows: the hidden Backups view forgets development at once.
            window.show_view("health")
            window.env_switcher.setCurrentText("staging")
            assert view.model.rowCount() == 0 and view.catalog is None
            assert view.details.toPlainText() == "" and not view.outcome.isVisibleTo(view)
            assert not view.verify_button.isEnabled() and not view.restore_form.button.isEnabled()

            window.show_view("backups")
            await wait_for(lambda: view.loaded.is_set() and view.data_env == "staging", timeout=30)
            assert view.model.rowCount() == 0  # staging has no backup yet: development's is not listed
            job2 = await view.back_up_now()
            assert job2.environment == "staging"
            await wait_for(lambda: job2.state != JobState.RUNNING, timeout=120)
            assert job2.state == JobState.DONE, job2.error
            manifest = job2.result
            assert manifest.environment == "staging" and manifest.database == other
            assert {t.name for t in manifest.tables} == {"staging_only"}
            await wait_for(lambda: view.model.rowCount() == 1, timeout=30)

            # An action carries the environment of the data it was started from, not the switcher's.
            view.table.selectRow(0)
            session.current_env = "development"  # the switcher moved without the view hearing of it yet
            vjob = await view.verify_selected()
            assert vjob is not None and vjob.environment == "staging"
            await wait_for(lambda: vjob.state != JobState.RUNNING, timeout=60)
            assert vjob.state == JobState.DONE and vjob.result.ok, vjob.error

        qloop.run_until_complete(scenario())
    finally:
        drop_db(pg_dsn, other)


def _fill(dsn: str, megabytes: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE blobs (id int, body text)")
        rows = megabytes * 1024 * 1024 // 512
        # Random hex (no repeats), so the archive stays about half the data: several parts to upload.
        body = " || ".join(["md5(random()::text)"] * 16)
        conn.execute(f"INSERT INTO blobs SELECT g, {body} FROM generate_series(1, %s) g", (rows,))


def test_cancel_a_backup_stuck_on_frozen_storage(qtbot, qloop, scratch_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 app_dirs: dict[str, Path]) -> None:
    """The test's own S3 endpoint is frozen (SIGSTOP) mid-backup: the job row says it is stalled, Cancel
    shows "cancelling…" at once and the job is cancelled within a couple of seconds, not when S3 answers."""
    _fill(scratch_db, 40)
    s3 = LocalS3().start()
    try:
        from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
        from services.core.object_storage import S3Location

        loc = S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
        make_client(loc).create_bucket(Bucket="frozen")
        env = make_env("staging", ws.EnvironmentKind.STAGING, scratch_db, s3.endpoint_url, "frozen")
        ctx, _path, _secrets = build(tmp_path, [env], app_dirs)
        _session, window = make_window(qtbot, ctx)
        model = window.jobs_panel.model
        QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
        assert s3._proc is not None
        pid = s3._proc.pid

        async def scenario() -> None:
            view = window.show_view("backups")
            await wait_for(view.loaded.is_set)
            job = await view.back_up_now()
            await wait_for(lambda: job.snapshot is not None and "dumping" in job.snapshot.message, timeout=120)
            os.kill(pid, signal.SIGSTOP)
            try:
                await wait_for(lambda: "stalled" in str(model.index(0, 2).data()), timeout=40)
                assert job.state == JobState.RUNNING
                assert model.index(0, 2).data(Qt.ItemDataRole.ForegroundRole) == QColor("#b06000")
                window.jobs_panel.table.selectRow(0)
                QTest.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
                assert model.index(0, 2).data() == "cancelling…"  # at once, before the task has stopped
                # Stops within a couple of seconds although S3 is still frozen (it would wait 20 s+ per try).
                await wait_for(lambda: job.state != JobState.RUNNING, timeout=6)
                assert job.state == JobState.CANCELLED
                assert model.index(0, 2).data() == "cancelled"
            finally:
                os.kill(pid, signal.SIGCONT)
            # The worker let go of finishes its clean-up in the background once S3 answers again.
            await wait_for(lambda: not any(t.name.startswith("backup-part") for t in threading.enumerate()),
                           timeout=90)
            # Nothing is listed as good afterwards: the cancel came before the manifest.
            listed = make_client(loc).list_objects_v2(Bucket="frozen").get("Contents", [])
            assert not [o for o in listed if o["Key"].endswith(".json")]

        qloop.run_until_complete(scenario())
    finally:
        s3.stop()


def test_a_failed_backup_shows_where_it_matters(qtbot, qloop, scratch_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                app_dirs: dict[str, Path]) -> None:
    """With storage gone after a good backup, a new backup fails: red in the jobs panel with the reason,
    'BACKUP FAILED' in the Backups header and 'Last attempt failed' on the Overview until one succeeds."""
    from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
    from services.core.object_storage import S3Location

    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE listings (id int); INSERT INTO listings SELECT generate_series(1, 50)")
    s3 = LocalS3().start()
    port = s3.port
    loc = S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
    make_client(loc).create_bucket(Bucket="gone")
    env = make_env("production", ws.EnvironmentKind.PRODUCTION, scratch_db, s3.endpoint_url, "gone")
    ctx, _path, _secrets = build(tmp_path, [env], app_dirs)
    _session, window = make_window(qtbot, ctx)
    model = window.jobs_panel.model

    async def scenario() -> None:
        nonlocal s3
        view = window.show_view("backups")
        await wait_for(view.loaded.is_set)
        good = await view.back_up_now()
        await wait_for(lambda: good.state != JobState.RUNNING, timeout=120)
        assert good.state == JobState.DONE, good.error
        await wait_for(lambda: "Fresh" in view.freshness.text(), timeout=30)

        s3.stop()
        bad = await view.back_up_now()
        await wait_for(lambda: bad.state != JobState.RUNNING, timeout=120)
        assert bad.state == JobState.FAILED
        row = next(r for r in range(model.rowCount()) if model.row_at(r) is bad)
        state_text = model.index(row, 2).data()
        assert state_text.startswith("failed: Backup storage at ") and "refused the connection" in state_text
        assert model.index(row, 2).data(Qt.ItemDataRole.ForegroundRole) == QColor("#d93025")
        await wait_for(lambda: "BACKUP FAILED" in view.freshness.text(), timeout=30)
        assert "Backup storage at" in view.freshness.text()
        overview = window.show_view("overview")
        await overview.load()
        card = overview.cards["backup"]
        assert "Last attempt failed" in card.headline.text() and card.state == "down"
        assert "Backup storage at" in card.detail.text()
        window.resize(1024, 640)
        window.show_view("backups")
        await asyncio.sleep(0.3)
        shot(window, "failed-backup-backups-1024x640.png")
        window.show_view("overview")
        await asyncio.sleep(0.3)
        shot(window, "failed-backup-overview-1024x640.png")

        # Storage back: a later backup succeeds and the alarm goes.
        s3 = LocalS3(port=port).start()
        make_client(loc).create_bucket(Bucket="gone")
        window.show_view("backups")
        again = await view.back_up_now()
        await wait_for(lambda: again.state != JobState.RUNNING, timeout=120)
        assert again.state == JobState.DONE, again.error
        await wait_for(lambda: "Fresh" in view.freshness.text() and "BACKUP FAILED" not in view.freshness.text(),
                       timeout=30)
        await overview.load()
        assert overview.cards["backup"].headline.text().endswith("On time")

    try:
        qloop.run_until_complete(scenario())
    finally:
        s3.stop()


def _reachable(w: QWidget) -> bool:
    return (w.isVisible() and w.isEnabled() and bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus)
            and w.focusProxy() is None)


def test_tab_reaches_every_control_in_reading_order_and_shortcuts(qtbot, qloop, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  app_dirs: dict[str, Path]) -> None:
    w = ws.Workspace(name="Keyboard", profile=ws.Profile.ADMIN)
    for kind in (ws.EnvironmentKind.STAGING, ws.EnvironmentKind.PRODUCTION):
        w.environments[kind.value] = ws.seed_environment(kind.value, kind)
    from services.core.app_context import build_context

    ctx = build_context(w, tmp_path / "ws.toml")
    _session, window = make_window(qtbot, ctx)
    window.activateWindow()

    from console.app import VIEW_KEYS as START_KEYS

    assert START_KEYS == VIEW_KEYS  # --view accepts every screen (the list is kept apart for start-up speed)

    async def scenario() -> None:
        for index, key in enumerate(VIEW_KEYS):
            # Ctrl+1…6 open the screens.
            QTest.keyClick(window, Qt.Key(Qt.Key.Key_1 + index), Qt.KeyboardModifier.ControlModifier)
            await asyncio.sleep(0.05)
            assert window.current_view() is window.views[key], key
            view = window.views[key]
            await wait_for(view.loaded.is_set, timeout=30)
            await asyncio.sleep(0.2)
            wanted = [x for x in view.findChildren(QWidget) if _reachable(x)]
            window.sidebar.setFocus()
            seen: list[QWidget] = []
            for _ in range(400):
                QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
                focused = QApplication.focusWidget()
                assert focused is not None
                if focused is window.sidebar:
                    break
                seen.append(focused)
            else:
                raise AssertionError(f"{key}: Tab never came back to the sidebar (trapped in {seen[-1]!r})")
            assert seen[0] is window.env_switcher, key
            missing = [x for x in wanted if x not in seen]
            assert not missing, f"{key}: Tab never reaches {[type(m).__name__ + ':' + m.objectName() for m in missing]}"
            # The screen's controls come before the jobs panel, in reading order (top to bottom).
            in_view = [x for x in seen if view.isAncestorOf(x)]
            jobs_at = seen.index(window.jobs_panel.table)
            late = [f"{type(x).__name__}:{x.objectName()}:{getattr(x, 'text', lambda: '')()}" for x in in_view
                    if seen.index(x) > jobs_at]
            assert not late, f"{key}: after the jobs panel: {late}"
            tops = [view.reading_position(x)[0] for x in in_view]
            assert tops == sorted(tops), f"{key}: Tab jumps up and down the screen"

        # Ctrl+F goes to the screen's filter; F5 reloads it.
        backups = window.show_view("backups")
        QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert QApplication.focusWidget() is backups.filter_edit
        backups.loaded.set()
        QTest.keyClick(window, Qt.Key.Key_F5)
        assert not backups._loading.done() if backups._loading is not None else False

    qloop.run_until_complete(scenario())


def test_jobs_model_contract(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    from console.jobs import JobManager, JobsModel
    from services.core.errors import ConnectionFailure, FailureKind
    from services.core.progress import Progress

    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    manager: JobManager = session.jobs
    model = JobsModel(manager)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)

    async def scenario() -> None:
        async def work(progress: Progress) -> str:
            progress.set_total(100)
            for _ in range(100):
                progress.advance(1)
                await asyncio.sleep(0.01)
            return "ok"

        async def broken(progress: Progress) -> None:
            raise ConnectionFailure("Backup storage at http://127.0.0.1:9 refused the connection",
                                    kind=FailureKind.REFUSED)

        first = manager.start("one", work, environment="staging")
        manager.start("two", broken, environment="staging")
        await wait_for(lambda: first.state == JobState.DONE, timeout=10)
        assert model.rowCount(QModelIndex()) == 2
        assert model.index(0, 2).data().startswith("failed: Backup storage at")
        assert model.index(0, 2).data(Qt.ItemDataRole.ForegroundRole) == QColor("#d93025")
        assert model.index(1, 2).data() == "done"

    qloop.run_until_complete(scenario())


def test_every_screen_fits_a_small_laptop(qtbot, qloop, tmp_path: Path,  # type: ignore[no-untyped-def]
                                          app_dirs: dict[str, Path]) -> None:
    """1024×640: no screen forces the window wider or taller (rows of buttons wrap, tables scroll), and
    the jobs panel keeps at least three rows. Screenshots of every screen at 1024×640 and 1920×1080."""
    from services.core.app_context import build_context

    w = ws.Workspace(name="Small screen", profile=ws.Profile.ADMIN)
    for kind in (ws.EnvironmentKind.DEVELOPMENT, ws.EnvironmentKind.STAGING, ws.EnvironmentKind.PRODUCTION):
        w.environments[kind.value] = ws.seed_environment(kind.value, kind)
    session, window = make_window(qtbot, build_context(w, tmp_path / "ws.toml"))

    async def scenario() -> None:
        for key in VIEW_KEYS:
            view = window.show_view(key)
            await wait_for(view.loaded.is_set, timeout=30)
            for size in ((1024, 640), (1920, 1080)):
                window.resize(*size)
                await asyncio.sleep(0.15)
                hint = window.minimumSizeHint()
                assert hint.width() <= 1024 and hint.height() <= 640, f"{key} needs at least {hint.width()}×{hint.height()}"
                assert (window.width(), window.height()) == size, f"{key} forced the window to {window.size()}"
                shot(window, f"{key}-{size[0]}x{size[1]}.png")
            rows = window.jobs_panel.table.verticalHeader().defaultSectionSize()
            assert window.jobs_panel.table.height() >= 3 * rows, key
            if key == "environments":
                assert window.views[key].test_all_button.text().startswith("Test all ")
                assert session.current_env in window.views[key].test_all_button.text()

    qloop.run_until_complete(scenario())


def test_viewer_and_another_environments_backup_in_the_restore_dialog(qtbot, qloop, scratch_db: str,  # type: ignore[no-untyped-def]
                                                                      pg_dsn: str, s3_location, s3_bucket: str,
                                                                      tmp_path: Path,
                                                                      app_dirs: dict[str, Path]) -> None:
    from console.production_guard import current_unlock_dialog

    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int)")
    import uuid

    dev_db = f"t_{uuid.uuid4().hex[:12]}"
    dev_dsn = second_db(pg_dsn, dev_db)  # development has a database of its own, as a real one does
    stg = make_env("staging", ws.EnvironmentKind.STAGING, scratch_db, s3_location.endpoint_url, s3_bucket)
    dev = make_env("development", ws.EnvironmentKind.DEVELOPMENT, dev_dsn, s3_location.endpoint_url, s3_bucket)
    ctx, _path, _secrets = build(tmp_path, [stg, dev], app_dirs)
    _session, window = make_window(qtbot, ctx)

    async def scenario() -> None:
        window.env_switcher.setCurrentText("staging")
        view = window.show_view("backups")
        await wait_for(view.loaded.is_set)
        job = await view.back_up_now()
        await wait_for(lambda: job.state != JobState.RUNNING, timeout=120)
        assert job.state == JobState.DONE, job.error
        await wait_for(lambda: view.model.rowCount() == 1, timeout=30)
        view.table.selectRow(0)
        view.restore_form.target.setCurrentText("development")
        task = asyncio.ensure_future(view.restore_selected())
        await wait_for(lambda: current_unlock_dialog() is not None)
        dialog = current_unlock_dialog()
        assert dialog is not None
        warning = dialog.findChild(QWidget, "unlockWarning")
        assert warning is not None and "another environment: staging" in warning.text()
        assert f"{job.result.created_at:%Y-%m-%d %H:%M}" in warning.text() and "ago" in warning.text()
        assert dialog.windowTitle() == "Restore a backup of staging into development"
        assert dialog.width() >= 600
        shot(dialog, "backups-restore-from-another-environment.png")
        QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Escape cancels, nothing restored
        assert await asyncio.wait_for(task, 10) is None

        # A viewer: the restore options are disabled like the buttons.
        ctx.workspace.profile = ws.Profile.VIEWER
        view._apply_guards()
        form = view.restore_form
        for option in (form.what, form.schemas, form.strategy, form.target):
            assert not option.isEnabled()
        assert not view.backup_button.isEnabled()

    try:
        qloop.run_until_complete(scenario())
    finally:
        drop_db(pg_dsn, dev_db)


def test_a_connection_test_never_changes_the_health_lights(qtbot, qloop, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           app_dirs: dict[str, Path]) -> None:
    from services.core.app_context import build_context

    w = ws.Workspace(name="Lights", profile=ws.Profile.ADMIN)
    env = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    env.database = ws.DatabaseSettings(host="127.0.0.1", port=1, name="nothing", user="postgres", sslmode="disable")
    w.environments["staging"] = env
    session, window = make_window(qtbot, build_context(w, tmp_path / "ws.toml"))

    async def scenario() -> None:
        view = window.show_view("environments")
        await wait_for(view.loaded.is_set, timeout=30)
        session.set_light("staging", "up", "all checks up")
        results = await view.test_connections()
        assert any(r.state == "failed" for r in results)  # the test itself failed…
        assert "staging" in view.status.text()
        light = session.lights["staging"]
        assert (light.state, light.text) == ("up", "all checks up")  # …and the health light is the poller's

    qloop.run_until_complete(scenario())

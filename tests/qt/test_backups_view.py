"""The Backups view driven like a user: catalog, freshness, back up now, details, verify, guarded restore."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import psycopg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from console.error_presenter import ErrorPresenter
from console.jobs import JobState
from console.production_guard import current_unlock_dialog
from console.session import Session
from console.window import MainWindow
from services.core import workspace as ws
from tests.backup.conftest import build, make_env
from tests.qt.conftest import wait_for

SHOTS = os.environ.get("REALTOR_SCREENSHOTS")  # a folder: save the screenshots there


def shot(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / name))


def test_backups_view(qtbot, qloop, scratch_db: str, pg_dsn: str, s3_location, s3_bucket: str,  # type: ignore[no-untyped-def]
                      tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    from sandbox.realtor_schema import install_realtor_schema_sync

    install_realtor_schema_sync(scratch_db, rows_scale=0.3)
    env = make_env("production", ws.EnvironmentKind.PRODUCTION, scratch_db, s3_location.endpoint_url, s3_bucket)
    ctx, _path, _secrets = build(tmp_path, [env], app_dirs)
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    target = f"{env.database.name}_check"

    async def scenario() -> None:
        session.set_context(ctx)
        view = window.show_view("backups")
        await view.load()
        assert view.model.rowCount() == 0
        assert "NO BACKUP" in view.freshness.text() and "#d93025" in view.freshness.text()
        assert view.backup_button.isEnabled() and not view.restore_form.button.isEnabled()

        # Back up now: a job in the jobs panel with progress; the catalog reloads when it is done.
        qtbot.mouseClick(view.backup_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: view.last_job is not None, timeout=10)
        job = view.last_job
        assert "a backup is running now" in view.freshness.text()
        await wait_for(lambda: job.snapshot is not None, timeout=30)
        await wait_for(lambda: job.state != JobState.RUNNING, timeout=120)
        assert job.state == JobState.DONE, job.error
        await wait_for(lambda: view.model.rowCount() == 1, timeout=30)
        assert "Fresh" in view.freshness.text() and "#1e8e3e" in view.freshness.text()
        assert "Last good backup just now" in view.freshness.text()
        assert window.jobs_panel.model.index(0, 2).data() == "done"

        # Details pane shows the manifest of the selected backup.
        view.table.selectRow(0)
        entry = view.selected()
        assert entry is not None and entry.good
        assert entry.id in view.details.toPlainText() and entry.sha256 in view.details.toPlainText()
        assert "public.listings: 720" in view.details.toPlainText()
        shot(window, "backups-catalog.png")

        # Sorting and filtering through the proxy.
        view.filter_edit.setText("no-such-thing")
        assert view.proxy.rowCount() == 0
        view.filter_edit.setText("")
        view.state_filter.setCurrentText("verified")
        assert view.proxy.rowCount() == 0
        view.state_filter.setCurrentText("all")

        # Verify: recorded in the catalog.
        view.table.selectRow(0)
        vjob = await view.verify_selected()
        assert vjob is not None
        await wait_for(lambda: vjob.state != JobState.RUNNING, timeout=60)
        assert vjob.state == JobState.DONE and vjob.result.ok
        await wait_for(lambda: view.model.rowCount() == 1 and view.model.row_at(0).verification == "verified")

        # Test restore: into a scratch database, row counts compared, recorded in the catalog.
        view.table.selectRow(0)
        assert "scratch database" in view.test_restore_button.toolTip()
        qtbot.mouseClick(view.test_restore_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: view.last_job is not vjob and view.last_job is not None, timeout=10)
        tjob = view.last_job
        await wait_for(lambda: tjob.state != JobState.RUNNING, timeout=120)
        assert tjob.state == JobState.DONE, tjob.error
        assert tjob.result.ok and tjob.result.restore_tested and tjob.title.startswith("Test-restore")
        await wait_for(lambda: "test restore ok" in view.outcome.text())
        assert view.outcome.isVisibleTo(view) and "OK" in view.outcome.text()

        # Prune preview: reasons, nothing deleted; the bucket's lifecycle rule shown.
        plan = await view.prune_preview()
        assert len(plan.keep) == 1 and "newest good backup" in view.details.toPlainText()
        assert "Bucket lifecycle" in view.details.toPlainText()
        assert "the backup rule is NOT in place" in view.details.toPlainText()

        # Restore into production-guarded target: the dialog wants the name and a reason.
        view.table.selectRow(0)
        view.restore_form.target.setCurrentText(target)
        task = asyncio.ensure_future(view.restore_selected())
        await wait_for(lambda: current_unlock_dialog() is not None)
        dialog = current_unlock_dialog()
        assert dialog is not None and not dialog.ok_button.isEnabled()
        dialog.name_edit.setText(target)
        assert not dialog.ok_button.isEnabled()  # production: a reason is required too
        dialog.reason_edit.setText("monthly restore drill")
        assert dialog.ok_button.isEnabled()
        shot(dialog, "backups-restore-confirmation.png")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        rjob = await asyncio.wait_for(task, 60)
        assert rjob is not None
        await wait_for(lambda: rjob.state != JobState.RUNNING, timeout=120)
        assert rjob.state == JobState.DONE, rjob.error
        assert rjob.result.tables_checked == 7  # six realtor tables and _prisma_migrations
        # The outcome stays in view after the catalog reloads: target, row counts, strategy.
        await wait_for(lambda: f"into {target}" in view.outcome.text())
        assert "row counts match the manifest for 7 tables" in view.outcome.text()
        shot(window, "backups-restored.png")
        entries = ctx.audit.entries()
        assert entries[0].action == "backup restore" and entries[0].reason == "monthly restore drill"

        # Table contents only, of one schema: the dialog says so; the rows come back, definitions stay.
        copy_dsn = psycopg.conninfo.make_conninfo(scratch_db, dbname=target)
        with psycopg.connect(copy_dsn, autocommit=True) as c:
            c.execute("TRUNCATE listings CASCADE")
            c.execute("COMMENT ON TABLE listings IS 'kept by a data-only restore'")
        view.restore_form.what.setCurrentIndex(view.restore_form.what.findData("data"))
        view.restore_form.schemas.setText("public, public")
        task = asyncio.ensure_future(view.restore_selected())
        await wait_for(lambda: current_unlock_dialog() is not None)
        dialog = current_unlock_dialog()
        assert dialog is not None
        said = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "the table contents of schema(s) public in the backup replace" in said and "definitions stay" in said
        dialog.name_edit.setText(target)
        dialog.reason_edit.setText("put the listings back")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        djob = await asyncio.wait_for(task, 60)
        assert djob is not None
        await wait_for(lambda: djob.state != JobState.RUNNING, timeout=120)
        assert djob.state == JobState.DONE, djob.error
        with psycopg.connect(copy_dsn) as c:
            assert c.execute("SELECT count(*), obj_description('listings'::regclass) FROM listings").fetchone() == (
                720, "kept by a data-only restore")
        view.restore_form.what.setCurrentIndex(0)
        view.restore_form.schemas.clear()

        # Cancel in the dialog: nothing happens.
        task = asyncio.ensure_future(view.restore_selected())
        await wait_for(lambda: current_unlock_dialog() is not None)
        current_unlock_dialog().reject()  # type: ignore[union-attr]
        assert await asyncio.wait_for(task, 60) is None

        # Viewer profile: actions disabled, with a tooltip saying why.
        ctx.workspace.profile = ws.Profile.VIEWER
        view.show_details()
        assert not view.backup_button.isEnabled() and "viewer" in view.backup_button.toolTip()
        assert not view.restore_form.button.isEnabled() and "viewer" in view.restore_form.button.toolTip()

    try:
        qloop.run_until_complete(scenario())
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_cancel_from_the_jobs_panel_and_clean_up_leftovers(qtbot, qloop, scratch_db: str, s3_location,  # type: ignore[no-untyped-def]
                                                           s3_bucket: str, tmp_path: Path,
                                                           app_dirs: dict[str, Path]) -> None:
    from services.backup import manifest as mf
    from services.core.object_storage import make_client
    from tests.backup.test_faults import bulk

    bulk(scratch_db, rows=60_000)  # ~120 MB to dump: seconds, so the cancel lands mid-stream
    env = make_env("staging", ws.EnvironmentKind.STAGING, scratch_db, s3_location.endpoint_url, s3_bucket)
    ctx, _path, _secrets = build(tmp_path, [env], app_dirs)
    client = make_client(s3_location)
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()

    def bucket() -> tuple[list[str], list[str]]:
        return ([o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])],
                [u["Key"] for u in client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])])

    async def scenario() -> None:
        session.set_context(ctx)
        view = window.show_view("backups")
        await view.load()
        assert not view.cleanup_button.isEnabled()  # nothing unfinished

        # A running backup, cancelled with the jobs panel's button: nothing is left in the bucket.
        qtbot.mouseClick(view.backup_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: view.last_job is not None, timeout=10)
        job = view.last_job
        await wait_for(lambda: bool(bucket()[1]) and (job.snapshot is not None and (job.snapshot.fraction or 0) > 0.2),
                       timeout=60)
        shot(window, "backups-running.png")
        window.jobs_panel.table.selectRow(0)
        qtbot.mouseClick(window.jobs_panel.cancel_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: job.state != JobState.RUNNING, timeout=30)
        assert job.state == JobState.CANCELLED
        assert window.jobs_panel.model.index(0, 2).data() == "cancelled"
        assert await asyncio.to_thread(bucket) == ([], [])

        # Leftovers of a dead run show as such; the cleanup button removes them (no backup is running).
        store_key = mf.archive_key(env.backup.prefix, "staging", mf.new_backup_id())
        client.create_multipart_upload(Bucket=s3_bucket, Key=store_key)
        view.reload()
        await wait_for(lambda: view.model.rowCount() == 1, timeout=30)
        assert view.model.row_at(0).state == "unfinished" and view.cleanup_button.isEnabled()
        qtbot.mouseClick(view.cleanup_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: view.last_job is not job and view.last_job.state != JobState.RUNNING, timeout=30)
        assert view.last_job.state == JobState.DONE, view.last_job.error
        assert view.last_job.result.aborted_uploads == (store_key,)
        await wait_for(lambda: view.model.rowCount() == 0, timeout=30)
        assert await asyncio.to_thread(bucket) == ([], [])
        assert not view.cleanup_button.isEnabled()

    qloop.run_until_complete(scenario())


def test_restore_into_production_by_another_spelling_asks_what_the_service_wants(  # type: ignore[no-untyped-def]
        qtbot, qloop, scratch_db: str, pg_dsn: str, s3_location, s3_bucket: str, tmp_path: Path,
        app_dirs: dict[str, Path]) -> None:
    """From staging, production's database on the same server spelled otherwise: the dialog asks for exactly
    what the service will check (production's name and a reason), and the restore then goes through."""
    import uuid

    from sandbox.realtor_schema import install_realtor_schema_sync
    from services.backup.dump_stream import create_backup
    from services.backup.restore_target import restore_confirmation

    install_realtor_schema_sync(scratch_db, rows_scale=0.02)
    prod_db = f"t_prod_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{prod_db}"')
    staging = make_env("staging", ws.EnvironmentKind.STAGING, scratch_db, s3_location.endpoint_url, s3_bucket)
    production = make_env("production", ws.EnvironmentKind.PRODUCTION,
                          psycopg.conninfo.make_conninfo(scratch_db, dbname=prod_db), s3_location.endpoint_url,
                          s3_bucket)
    production.database.host = "localhost"  # staging's is 127.0.0.1: one server, two spellings
    ctx, _path, _secrets = build(tmp_path, [staging, production], app_dirs)
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()

    async def scenario() -> None:
        session.set_context(ctx)
        session.select_environment("staging")
        m = await create_backup(ctx, "staging")
        view = window.show_view("backups")
        await view.load()
        await wait_for(lambda: view.model.rowCount() == 1, timeout=30)
        view.table.selectRow(0)
        view.restore_form.target.setCurrentText(prod_db)
        wanted = await restore_confirmation(ctx, "staging", prod_db)
        assert (wanted.environment, wanted.confirm_name, wanted.needs_reason) == ("production", "production", True)
        task = asyncio.ensure_future(view.restore_selected())
        await wait_for(lambda: current_unlock_dialog() is not None)
        dialog = current_unlock_dialog()
        assert dialog is not None
        assert dialog.expected == wanted.confirm_name and dialog.needs_reason == wanted.needs_reason
        dialog.name_edit.setText(prod_db)  # what the old copy of the resolution asked for: not enough now
        assert not dialog.ok_button.isEnabled()
        dialog.name_edit.setText("production")
        dialog.reason_edit.setText("restore drill")
        assert dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        job = await asyncio.wait_for(task, 60)
        assert job is not None
        await wait_for(lambda: job.state != JobState.RUNNING, timeout=120)
        assert job.state == JobState.DONE, job.error
        assert job.result.backup_id == m.id and job.result.safety_backup_id
        done = [e for e in ctx.audit.entries() if e.action == "backup restore" and e.outcome == "done"]
        assert done[0].environment == "production" and done[0].reason == "restore drill"

    try:
        qloop.run_until_complete(scenario())
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{prod_db}" WITH (FORCE)')


def test_a_cold_cache_shows_the_listing_first_and_its_rows_wait_for_their_manifests(  # type: ignore[no-untyped-def]
        qtbot, qloop, scratch_db: str, s3_location, s3_bucket: str, tmp_path: Path, app_dirs: dict[str, Path],
        monkeypatch) -> None:
    """A first launch on a far bucket: the backups the listing shows appear at once, marked 'listed', and
    cannot be verified or restored until their manifests are read; then the catalog is whole."""
    import shutil
    import time

    from services.backup.dump_stream import create_backup
    from services.backup.store import BackupStore

    env = make_env("staging", ws.EnvironmentKind.STAGING, scratch_db, s3_location.endpoint_url, s3_bucket)
    ctx, _path, _secrets = build(tmp_path, [env], app_dirs)
    reading = BackupStore.get_bytes

    def far_bucket(self, key):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return reading(self, key)

    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()

    async def scenario() -> None:
        for _ in range(2):
            await create_backup(ctx, "staging")
        shutil.rmtree(ctx.paths.cache / "backups", ignore_errors=True)  # nothing cached: a first launch
        monkeypatch.setattr(BackupStore, "get_bytes", far_bucket)
        session.set_context(ctx)
        view = window.show_view("backups")
        loading = asyncio.ensure_future(view.load())
        await wait_for(lambda: view.model.rowCount() == 2, timeout=10)
        assert not loading.done()
        assert {view.model.row_at(r).state for r in range(2)} == {"listed"}  # type: ignore[union-attr]
        assert "reading 2 manifest and verification files" in view.freshness.text()
        assert "Fresh" in view.freshness.text()
        view.table.selectRow(0)
        assert not view.restore_form.button.isEnabled() and not view.verify_button.isEnabled()
        assert "being read" in view.details.toPlainText()
        await asyncio.wait_for(loading, 30)
        assert {view.model.row_at(r).state for r in range(2)} == {"good"}  # type: ignore[union-attr]
        assert "reading" not in view.freshness.text()
        view.table.selectRow(0)
        assert view.verify_button.isEnabled()
        await session.tasks.shutdown()

    qloop.run_until_complete(scenario())

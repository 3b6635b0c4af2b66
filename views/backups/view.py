"""Backups: the catalog with freshness at a glance, actions with their guards, a manifest's details.

Everything goes through ``services.backup``; long work (back up, verify, restore) runs as jobs in the
jobs panel. Slots are one line that spawns a plain coroutine method (tests await those methods). The
restore form (``restore_form``) and the outcome line (``outcome``) are widgets of their own.
"""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.jobs import Job
from console.production_guard import authorize_in_ui
from console.session import Session
from console.widgets import FlowLayout
from services.backup.attempts import FailedAttempt, last_failed_attempt
from services.backup.catalog import Catalog, CatalogEntry, list_backups
from services.backup.dump_stream import clean_up_unfinished, create_backup
from services.backup.restore import restore_backup
from services.backup.restore_target import restore_confirmation
from services.backup.retention import RetentionPlan, lifecycle_status, prune
from services.backup.schedule import schedule_for
from services.backup.verify import verify_backup
from services.core.errors import ConfigError, OpsError
from services.core.guard import can_change
from services.core.progress import Progress
from services.core.units import plural
from views.backups.catalog_model import ENTRY_ROLE, CatalogFilter, CatalogModel
from views.backups.outcome import OutcomeLabel
from views.backups.restore_form import RestoreForm, restore_wording
from views.base import OpsView, heading

EARLY_AFTER_MS = 300  # the listing alone is shown when the whole catalog takes longer than this
VIEWER_TIP = "Your workspace profile is 'viewer': backups can be looked at, not changed"


class BackupsView(OpsView):
    key = "backups"
    title = "Backups"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.catalog: Catalog | None = None
        self._load_seq = 0  # an early catalog of an older load (another environment) is not shown
        self._shown_seq = 0  # the load whose whole catalog is shown
        self._early_catalog: tuple[int, Catalog] | None = None
        self._early_timer = QTimer(self)
        self._early_timer.setSingleShot(True)
        self._early_timer.timeout.connect(self._show_early)
        self.last_plan: RetentionPlan | None = None
        self.last_job: Job | None = None
        self.failed_attempt: FailedAttempt | None = None
        self._listening = False

        self.freshness = QLabel("Loading the catalog…")
        self.freshness.setTextFormat(Qt.TextFormat.RichText)
        self.freshness.setAccessibleName("Backup freshness")
        self.freshness.setWordWrap(True)
        self.schedule_label = QLabel("")
        self.schedule_label.setWordWrap(True)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter (id, state, trigger…)")
        self.state_filter = QComboBox()
        self.state_filter.addItems(["all", "good", "verified", "problems"])

        self.model = CatalogModel(self)
        self.proxy = CatalogFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a backup to see its manifest")
        # What the last restore or verification found (strategy, row counts, notes); stays across reloads.
        self.outcome = OutcomeLabel()

        self.backup_button = QPushButton("Back up now")
        self.verify_button = QPushButton("Verify")
        self.test_restore_button = QPushButton("Test restore")
        self.test_restore_button.setProperty(
            "usableTip", "Verify, then restore into a scratch database on the same server, compare row counts with "
                         "the manifest and drop it again")
        self.prune_button = QPushButton("Prune preview")
        self.cleanup_button = QPushButton("Clean up unfinished")
        self.refresh_button = QPushButton("Refresh")
        self.restore_form = RestoreForm()

        top = QHBoxLayout()
        top.addWidget(heading(self.title))
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(QLabel("Show:"))
        filters.addWidget(self.state_filter)
        # Two wrapping rows: what acts on the catalog, then the restore with its target beside its button.
        actions = FlowLayout()
        for b in (self.backup_button, self.verify_button, self.test_restore_button, self.prune_button,
                  self.cleanup_button):
            actions.addWidget(b)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([400, 200])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.freshness)
        layout.addWidget(self.schedule_label)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(self.restore_form)
        layout.addWidget(self.outcome)
        layout.addWidget(splitter, 1)

        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.state_filter.currentTextChanged.connect(self.proxy.set_state)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_details())
        self.refresh_button.clicked.connect(self.reload)
        self.backup_button.clicked.connect(lambda: self.session.spawn(self.back_up_now(), name="backup"))
        self.verify_button.clicked.connect(lambda: self.session.spawn(self.verify_selected(), name="verify"))
        self.test_restore_button.clicked.connect(
            lambda: self.session.spawn(self.verify_selected(restore_test=True), name="test restore"))
        self.restore_form.button.clicked.connect(lambda: self.session.spawn(self.restore_selected(), name="restore"))
        self.prune_button.clicked.connect(lambda: self.session.spawn(self.prune_preview(), name="prune preview"))
        self.cleanup_button.clicked.connect(lambda: self.session.spawn(self.clean_up(), name="cleanup"))
        self._apply_guards()

    # --- state ----------------------------------------------------------------------------------------
    def clear(self) -> None:
        # Another environment: nothing of this one's catalog, outcome or retention preview stays.
        self.catalog = None
        self.last_plan = None
        self.failed_attempt = None
        self.model.set_rows([])
        self.details.clear()
        self.outcome.reset()
        self.schedule_label.setText("")
        self.freshness.setText("Loading the catalog…")
        self._apply_guards()

    def selected(self) -> CatalogEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        entry = self.proxy.data(rows[0], ENTRY_ROLE)
        return entry if isinstance(entry, CatalogEntry) else None

    def _apply_guards(self) -> None:
        admin = self.session.ready and can_change(self.session.ctx.workspace)
        entry = self.selected()
        for button, needs_entry in ((self.backup_button, False), (self.verify_button, True), (self.test_restore_button, True),
                                    (self.restore_form.button, True)):
            usable = admin and (not needs_entry or (entry is not None and entry.good))
            button.setEnabled(bool(usable))
            if not admin:
                button.setToolTip(VIEWER_TIP)
            elif needs_entry and not usable:
                button.setToolTip("Select a good backup first")
            else:
                button.setToolTip(button.property("usableTip") or "")
        self.restore_form.set_allowed(bool(admin), VIEWER_TIP)
        self.prune_button.setToolTip("Shows what the retention policy would delete and why; deletes nothing")
        leftovers = [e for e in (self.catalog.entries if self.catalog else ()) if e.state in ("unfinished", "orphaned")]
        self.cleanup_button.setEnabled(bool(admin and leftovers))
        self.cleanup_button.setToolTip(
            VIEWER_TIP if not admin else
            f"Abort {len(leftovers)} unfinished upload(s) / archive(s) without a manifest (a running backup's "
            "upload is spared)" if leftovers else "Nothing unfinished in the catalog")

    # --- loading --------------------------------------------------------------------------------------
    async def load(self) -> None:
        if not self.session.ready or not self.env_name:
            return
        ctx = self.session.ctx
        self.data_env = self.env_name
        env = ctx.workspace.environment(self.data_env)
        self.restore_form.offer_targets(env, list(ctx.workspace.environments))
        if not env.backup.configured:
            self.model.set_rows([])
            self.freshness.setText(f"<b>No backup bucket is configured for {env.name}.</b> Set backup.bucket in "
                                   "the environment's settings.")
            self._apply_guards()
            return
        self.failed_attempt = await last_failed_attempt(ctx, env.name)
        self._load_seq += 1
        seq = self._load_seq

        def listed(early: Catalog) -> None:
            # The backups the listing shows, while the manifests and verifications a cold cache lacks are
            # read (a first launch on a big bucket: seconds); those rows are not usable until they are.
            # Shown only when the whole catalog is not there a moment later (no flash after a backup).
            if seq == self._load_seq:
                self._early_catalog = (seq, early)
                self._early_timer.start(EARLY_AFTER_MS)

        try:
            catalog = await list_backups(ctx, env.name, offline_ok=True, on_listed=listed)
        except OpsError as exc:
            self._shown_seq = seq
            self._early_timer.stop()
            # Shown here, where it matters (missing keys, unreachable bucket); the job errors use the bar.
            self.freshness.setText(f'<span style="color:#d93025">●</span> <b>The catalog could not be read.</b> '
                                   f"{exc.sentence()}")
            self.model.set_rows([])
            self._apply_guards()
            return
        self._shown_seq = seq
        self._early_timer.stop()
        self.show_catalog(catalog)
        try:
            sched = await schedule_for(ctx, env.name)
            self.schedule_label.setText(
                f"Schedule: cron '{sched.cron}' (UTC) — last scheduled run: "
                + (f"{sched.last_run:%Y-%m-%d %H:%M} UTC" if sched.last_run else "none found") +
                f". Generate the workflow with: realtor-ops backup schedule --env {env.name}")
        except OpsError:
            self.schedule_label.setText("")

    def _show_early(self) -> None:
        if self._early_catalog is not None:
            seq, early = self._early_catalog
            if seq == self._load_seq and self._shown_seq != seq:
                self.show_catalog(early)

    def show_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        before = self.selected()
        self.model.set_rows(catalog.entries)
        if before is not None:  # a reload (after any job) keeps the selected backup selected
            for row, e in enumerate(catalog.entries):
                if e.id == before.id:
                    index = self.proxy.mapFromSource(self.model.index(row, 0))
                    if index.isValid():
                        self.table.selectRow(index.row())
                    break
        f = catalog.freshness
        colour = "#1e8e3e" if not f.red else "#d93025"
        word = {"fresh": "Fresh", "stale": "STALE", "none": "NO BACKUP"}[f.level]
        text = f'<span style="color:{colour}; font-size:16pt">●</span> <b>{word}</b> — {f.sentence}'
        if catalog.from_cache:
            text += f" <i>(last known state from {catalog.listed_at:%Y-%m-%d %H:%M} UTC: {catalog.offline_reason})</i>"
        failed = self.failed_attempt
        if failed is not None and (f.last_good_at is None or failed.at > f.last_good_at):
            # Until a later backup succeeds, the header says so in red, whatever the older backup's age.
            text = (f'<span style="color:#d93025; font-size:16pt">●</span> <b style="color:#d93025">BACKUP FAILED</b>'
                    f" — {html.escape(failed.sentence())}.<br>{text}")
        counts = f" · {len(catalog.good())} good of {len(catalog.entries)} listed"
        if catalog.reading:
            counts += f" · reading {plural(catalog.reading, 'manifest and verification file')}…"
        running = [j for j in self.session.jobs.running() if j.kind == "backup" and j.environment == self.env_name]
        if running:
            counts += " · <b>a backup is running now</b> (see Jobs)"
        self.freshness.setText(text + counts)
        self._apply_guards()

    def show_details(self) -> None:
        self._apply_guards()
        entry = self.selected()
        if entry is None:
            return
        if entry.manifest is None:
            self.details.setPlainText(f"{entry.id}: {entry.state}\nkey: {entry.key}\n\n"
                                      + ("Unfinished upload: running now, or left by a dead run (the next backup "
                                         "aborts it)." if entry.state == "unfinished" else
                                         "Its manifest is unreadable: the archive cannot be checked, so it is "
                                         "never used, and retention keeps it for a person to look at."
                                         if entry.state == "damaged" else
                                         "Finished: its manifest is in the bucket and is being read; the backup can "
                                         "be verified or restored once it is." if entry.state == "listed" else
                                         "Archive without a manifest: never counted as good."))
            return
        doc: dict[str, Any] = json.loads(entry.manifest.to_json())
        tables = doc.pop("tables", [])
        lines = [f"{k}: {v}" for k, v in doc.items() if k not in ("extra",)]
        lines.append("")
        lines.append("tables (rows in the dump's snapshot):")
        lines += [f"  {t['schema']}.{t['name']}: {t['rows']}" for t in tables]
        if entry.verification_detail is not None:
            v = entry.verification_detail
            lines += ["", f"verification {v.checked_at:%Y-%m-%d %H:%M} UTC: {'OK' if v.ok else 'FAILED'}",
                      *[f"  problem: {p}" for p in v.problems]]
        self.details.setPlainText("\n".join(lines))

    # --- actions ---------------------------------------------------------------------------------------
    def _finished(self, job: Job) -> None:
        if job is self.last_job:
            self.outcome.show_job(job)
            self.reload()

    async def back_up_now(self) -> Job:
        ctx, env = self.session.ctx, self.env_name

        async def work(progress: Progress) -> Any:
            return await create_backup(ctx, env, progress)

        job = self._start(f"Back up {env}", work, kind="backup")
        if self.catalog is not None:
            self.show_catalog(self.catalog)  # says a backup is running now
        return job

    async def verify_selected(self, *, restore_test: bool = False) -> Job | None:
        entry = self.selected()
        if entry is None:
            return None
        ctx, env = self.session.ctx, self.env_name

        async def work(progress: Progress) -> Any:
            return await verify_backup(ctx, env, entry.id, progress, restore_test=restore_test)

        return self._start(f"{'Test-restore' if restore_test else 'Verify'} {entry.id}", work)

    async def restore_backup_id(self, backup_id: str) -> Job | None:
        """Select ``backup_id`` and restore it into its own environment (the timeline's incident row),
        through the same guarded dialog as the Restore button."""
        for row in range(self.proxy.rowCount()):
            entry = self.proxy.data(self.proxy.index(row, 0), ENTRY_ROLE)
            if isinstance(entry, CatalogEntry) and entry.id == backup_id:
                self.table.selectRow(row)
                self.restore_form.target.setCurrentText(self.env_name)
                return await self.restore_selected()
        raise ConfigError(f"Backup {backup_id} is not in {self.env_name}'s catalog any more")

    async def restore_selected(self) -> Job | None:
        entry = self.selected()
        if entry is None:
            return None
        ctx, env = self.session.ctx, self.env_name
        target = self.restore_form.target.currentText().strip()
        # The service says whose database this is and what must be typed: the same resolution it enforces.
        check = await restore_confirmation(ctx, env, target)
        options = self.restore_form.options()
        consequences = self.restore_form.consequences(entry.id, env, target, check, options)
        heading, warning = restore_wording(entry, env, target, check.environment)
        auth = await authorize_in_ui(self.session, check.environment, "backup restore", consequences=consequences,
                                     target_name=check.confirm_name, parent=self, heading=heading, warning=warning)
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await restore_backup(ctx, env, entry.id, target, progress, confirm=check.confirm_name,
                                        reason=auth.reason or None, options=options)

        return self._start(f"Restore {entry.id} into {target}", work)

    async def clean_up(self) -> Job:
        ctx, env = self.session.ctx, self.env_name

        async def work(progress: Progress) -> Any:
            return await clean_up_unfinished(ctx, env)

        return self._start(f"Clean up unfinished backups of {env}", work)

    async def prune_preview(self) -> RetentionPlan:
        plan = await prune(self.session.ctx, self.env_name, dry_run=True)
        self.last_plan = plan
        lines = [f"Retention preview for {self.env_name} (nothing deleted): {len(plan.keep)} kept, "
                 f"{len(plan.delete)} would go", ""]
        lines += [f"keep    {d.entry.id}  {'; '.join(d.reasons)}" for d in plan.keep]
        lines += [f"delete  {d.entry.id}  {'; '.join(d.reasons)}" for d in plan.delete]
        try:
            status = await lifecycle_status(self.session.ctx, self.env_name)
            lines += ["", "Bucket lifecycle (storage class and expiry):", status.summary]
            if not status.in_place:
                lines.append(f"Apply it with: realtor-ops backup lifecycle --env {self.env_name} --apply")
        except OpsError as exc:
            lines += ["", f"Bucket lifecycle: could not be read ({exc.sentence()})"]
        self.details.setPlainText("\n".join(lines))
        return plan

    def _start(self, title: str, work: Any, *, kind: str = "") -> Job:
        job = self.session.jobs.start(title, work, environment=self.env_name, kind=kind)
        self.last_job = job
        if not self._listening:
            self.session.jobs.finished.connect(self._finished)
            self._listening = True
        return job

"""The Migrations tab: Prisma migration status of the environment (the repository's prisma/migrations
through GitHub, or a local folder), the verdict `prisma migrate status` would give, and — when
migrations are pending — "Back up now" first, with when the last good backup was taken."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.jobs import Job
from console.session import Session
from services.core.errors import OpsError
from services.core.guard import can_change
from services.core.progress import Progress
from services.deployments.migrations import MigrationsRequest, last_good_backup, migration_status
from services.deployments.prisma_status import MigrationStatus

STATES = (("failed", "#d93025"), ("pending", "#b06000"), ("rolled back", "#b06000"), ("edited since applied", "#b06000"),
          ("not in the folder", "#b06000"), ("applied", "#1e8e3e"))


class MigrationsTab(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.env_name = ""
        self.status: MigrationStatus | None = None
        self.last_job: Job | None = None
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("local prisma/migrations folder (empty: the repository's, through GitHub)")
        self.folder.setAccessibleName("Local migrations folder")
        self.read_button = QPushButton("Read")
        source = QHBoxLayout()
        source.addWidget(self.folder, 1)
        source.addWidget(self.read_button)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.backup_note = QLabel("")
        self.backup_note.setWordWrap(True)
        self.backup_button = QPushButton("Back up now")
        self.backup_button.setObjectName("backupBeforeMigrate")
        self.backup_button.hide()
        backup = QHBoxLayout()
        backup.addWidget(self.backup_note, 1)
        backup.addWidget(self.backup_button)
        self.tree = QTreeWidget()
        self.tree.setObjectName("migrationsTree")
        self.tree.setHeaderLabels(["Migration", "Status", "Applied (UTC)"])
        self.tree.setColumnWidth(0, 420)
        self.tree.setColumnWidth(1, 170)
        self.logs = QLabel("")
        self.logs.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(source)
        layout.addWidget(self.verdict)
        layout.addLayout(backup)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.logs)
        self.read_button.clicked.connect(lambda: self.session.spawn(self.load(self.env_name), name="migrations"))
        self.backup_button.clicked.connect(lambda: self.session.spawn(self.back_up_now(), name="backup"))

    async def load(self, env_name: str) -> None:
        self.env_name = env_name
        request = MigrationsRequest(env_name, self.folder.text().strip() or None)
        try:
            status = await migration_status(self.session.ctx, request)
        except OpsError as exc:
            self.tree.clear()
            self.status = None
            self.verdict.setText(f"<span style='color:#d93025'>●</span> {html.escape(exc.sentence())}")
            self.backup_button.hide()
            self.backup_note.setText("")
            return
        self.show_status(status)
        if status.deploy_would_apply:
            backup = await last_good_backup(self.session.ctx, env_name)
            self.backup_note.setText(
                f"<b>{len(status.deploy_would_apply)} migration(s) will run at the next deploy.</b> Back up "
                f"first. {html.escape(backup.sentence)}.")
            self.backup_button.show()
            admin = can_change(self.session.ctx.workspace)
            self.backup_button.setEnabled(admin)
            self.backup_button.setToolTip("" if admin else "Your workspace profile is 'viewer'")
        else:
            self.backup_note.setText("")
            self.backup_button.hide()

    def show_status(self, s: MigrationStatus) -> None:
        self.status = s
        self.tree.clear()
        colour = "#1e8e3e" if s.up_to_date else "#d93025"
        self.verdict.setText(f"<span style='color:{colour}'>●</span> <b>prisma migrate status</b> would say: "
                             f"{html.escape(s.verdict)}<br><small>{len(s.folder)} migrations in "
                             f"{html.escape(s.source)}</small>")
        state_of: dict[str, str] = {}
        for name in s.applied:
            state_of[name] = "applied"
        for label, names in (("edited since applied", s.modified), ("rolled back", s.rolled_back),
                             ("pending", s.pending), ("failed", s.failed), ("not in the folder", s.not_in_folder)):
            for name in names:
                state_of[name] = label if name not in state_of or label != "edited since applied" else \
                    "applied, edited since"
        colours = dict(STATES)
        for name in sorted(state_of):
            state = state_of[name]
            when = s.applied_at.get(name)
            item = QTreeWidgetItem([name, state, f"{when:%Y-%m-%d %H:%M}" if when else ""])
            item.setForeground(1, QColor(colours.get(state, "#b06000")))
            self.tree.addTopLevelItem(item)
        logs = [f"<b>{html.escape(n)}</b>: {html.escape(t.strip().splitlines()[-1] if t.strip() else 'no log')}"
                for n, t in s.failure_logs.items()]
        self.logs.setText("<br>".join(logs))

    async def back_up_now(self) -> Job:
        from services.backup.dump_stream import create_backup

        ctx, env = self.session.ctx, self.env_name

        async def work(progress: Progress) -> Any:
            return await create_backup(ctx, env, progress)

        self.last_job = self.session.jobs.start(f"Back up {env}", work, environment=env, kind="backup")
        return self.last_job

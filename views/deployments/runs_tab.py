"""The Actions tab: runs of the deploy workflow with their jobs, a job's log, re-run / re-run failed /
cancel / force-cancel, and dispatch — enabled only when the workflow declares ``workflow_dispatch``
(otherwise the reason and the line to add). The seed's ordering risk is flagged."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.jobs import Job
from console.production_guard import authorize_in_ui
from console.session import Session
from services.core.errors import OpsError
from services.core.guard import can_change
from services.core.progress import Progress, human_duration
from services.deployments import ci
from views.deployments.log_viewer import LogViewer

COLOURS = {"success": "#1e8e3e", "failure": "#d93025", "cancelled": "#5f6368", "skipped": "#5f6368",
           "in_progress": "#b06000", "queued": "#5f6368"}
RUN_ROLE = Qt.ItemDataRole.UserRole


class RunsTab(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.env_name = ""
        self.runs: tuple[ci.CiRun, ...] = ()
        self.workflow: ci.WorkflowInfo | None = None
        self.last_job: Job | None = None
        self.risk = QLabel("")
        self.risk.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("runsTree")
        self.tree.setHeaderLabels(["Run / job", "Outcome", "Branch", "Commit", "Title", "Duration"])
        for col, width in enumerate((190, 90, 150, 70, 330)):
            self.tree.setColumnWidth(col, width)
        self.log = LogViewer()
        self.log.setObjectName("jobLog")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.log)
        split.setSizes([320, 220])
        self.log_button = QPushButton("Show job log")
        self.rerun_button = QPushButton("Re-run")
        self.rerun_failed_button = QPushButton("Re-run failed jobs")
        self.cancel_button = QPushButton("Cancel")
        self.force_button = QPushButton("Force-cancel")
        self.dispatch_button = QPushButton("Run workflow")
        self.dispatch_ref = QLineEdit("main")
        self.dispatch_ref.setAccessibleName("Branch to run the workflow on")
        self.dispatch_ref.setMaximumWidth(160)
        self.dispatch_note = QLabel("")
        self.dispatch_note.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.log_button, self.rerun_button, self.rerun_failed_button, self.cancel_button,
                  self.force_button, self.dispatch_ref, self.dispatch_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.risk)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.dispatch_note)
        spawn = self.session.spawn
        self.tree.itemSelectionChanged.connect(self._apply_guards)
        self.log_button.clicked.connect(lambda: spawn(self.show_log(), name="job log"))
        self.rerun_button.clicked.connect(lambda: spawn(self.rerun(failed_only=False), name="rerun"))
        self.rerun_failed_button.clicked.connect(lambda: spawn(self.rerun(failed_only=True), name="rerun failed"))
        self.cancel_button.clicked.connect(lambda: spawn(self.cancel(force=False), name="cancel run"))
        self.force_button.clicked.connect(lambda: spawn(self.cancel(force=True), name="force-cancel run"))
        self.dispatch_button.clicked.connect(lambda: spawn(self.dispatch(), name="run workflow"))
        self._apply_guards()

    async def load(self, env_name: str) -> None:
        self.env_name = env_name
        try:
            self.runs = await ci.runs(self.session.ctx, env_name, limit=20)
        except OpsError as exc:
            self.tree.clear()
            self.risk.setText(f"<span style='color:#d93025'>●</span> {html.escape(exc.sentence())}")
            self.runs = ()
            self._apply_guards()
            return
        self.tree.clear()  # after the await: a second load that overlapped must not add its runs twice
        for run in self.runs:
            r = run.run
            item = QTreeWidgetItem([f"#{r.run_number} ({r.event})", r.outcome, r.branch, r.commit_sha[:7], r.title,
                                    human_duration(run.duration_s)])
            item.setData(0, RUN_ROLE, ("run", run))
            item.setForeground(1, QColor(COLOURS.get(r.outcome, "#202124")))
            for j in run.jobs:
                outcome = j.conclusion or j.status
                child = QTreeWidgetItem([j.name, outcome, "", "", "", human_duration(j.duration_s)
                                         if j.duration_s is not None else "—"])
                child.setData(0, RUN_ROLE, ("job", j))
                child.setForeground(1, QColor(COLOURS.get(outcome, "#202124")))
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            if r.conclusion == "failure":
                item.setExpanded(True)
        risky = any(r.ordering_risk for r in self.runs)
        try:
            self.workflow = await ci.workflow_info(self.session.ctx, env_name)
        except OpsError as exc:
            self.workflow = None
            self.dispatch_note.setText(f"The workflow file could not be read: {html.escape(exc.sentence())}")
        if self.workflow is not None:
            risky = risky or self.workflow.ordering_risk
            self.dispatch_note.setText("" if self.workflow.dispatchable else
                                       "<b>Run workflow</b> is off: " + html.escape(self.workflow.reason)
                                       .replace("\n", "<br>"))
        self.risk.setText(f"<b style='color:#b06000'>Ordering risk:</b> {html.escape(ci.ORDERING_RISK)}"
                          if risky else "")
        self._apply_guards()

    def selected(self) -> tuple[str, Any] | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        found = items[0].data(0, RUN_ROLE)
        return found if isinstance(found, tuple) else None

    def selected_run(self) -> ci.CiRun | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        item = items[0].parent() or items[0]
        found = item.data(0, RUN_ROLE)
        return found[1] if isinstance(found, tuple) and found[0] == "run" else None

    def _apply_guards(self) -> None:
        admin = self.session.ready and can_change(self.session.ctx.workspace)
        sel = self.selected()
        run = self.selected_run()
        done = run is not None and run.run.status == "completed"
        self.log_button.setEnabled(sel is not None and sel[0] == "job")
        self.rerun_button.setEnabled(bool(admin and done))
        self.rerun_failed_button.setEnabled(bool(admin and done and run and run.run.conclusion != "success"))
        self.cancel_button.setEnabled(bool(admin and run is not None and not done))
        self.force_button.setEnabled(bool(admin and run is not None and not done))
        dispatchable = self.workflow is not None and self.workflow.dispatchable
        self.dispatch_button.setEnabled(bool(admin and dispatchable))
        self.dispatch_button.setToolTip("" if dispatchable else "The workflow has no workflow_dispatch trigger")

    async def show_log(self) -> None:
        sel = self.selected()
        if sel is None or sel[0] != "job":
            return
        job = sel[1]
        self.log.set_text(f"Loading the log of {job.name}…")
        log = await ci.job_log(self.session.ctx, self.env_name, job.id)
        prefix = "[only the end of a long log is shown]\n" if log.truncated else ""
        self.log.set_text(prefix + log.text)

    async def rerun(self, *, failed_only: bool) -> Job | None:
        run = self.selected_run()
        if run is None:
            return None
        ctx, env = self.session.ctx, self.env_name
        what = "its failed jobs (and the jobs that depend on them)" if failed_only else "all its jobs"
        auth = await authorize_in_ui(self.session, env, "ci rerun", parent=self, consequences=[
            f"re-run run #{run.run.run_number} on {html.escape(run.run.branch)}: {what}; build-and-deploy and "
            "database-migration deploy and migrate again"])
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await ci.rerun(ctx, ci.RunRequest(env, run.run.id, failed_only=failed_only), auth)

        self.last_job = self.session.jobs.start(f"Re-run #{run.run.run_number}", work, environment=env, kind="ci")
        return self.last_job

    async def cancel(self, *, force: bool) -> Job | None:
        run = self.selected_run()
        if run is None:
            return None
        ctx, env = self.session.ctx, self.env_name
        action = "ci force-cancel" if force else "ci cancel"
        note = ("force-cancel: steps guarded by always() do not run either" if force else
                "cancel; when a run ignores this, use Force-cancel")
        auth = await authorize_in_ui(self.session, env, action, parent=self,
                                     consequences=[f"stop run #{run.run.run_number} ({note})"])
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await ci.cancel(ctx, ci.RunRequest(env, run.run.id), auth, force=force)

        self.last_job = self.session.jobs.start(f"Cancel #{run.run.run_number}", work, environment=env, kind="ci")
        return self.last_job

    async def dispatch(self) -> Job | None:
        ref = self.dispatch_ref.text().strip()
        if not ref or self.workflow is None or not self.workflow.dispatchable:
            return None
        ctx, env = self.session.ctx, self.env_name
        auth = await authorize_in_ui(self.session, env, "ci dispatch", parent=self, consequences=[
            f"run {html.escape(self.workflow.path)} on <b>{html.escape(ref)}</b>: it builds, deploys and migrates "
            "as a push would"])
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await ci.dispatch(ctx, env, ref, auth)

        self.last_job = self.session.jobs.start(f"Run the deploy workflow on {ref}", work, environment=env, kind="ci")
        return self.last_job

"""Jobs: long operations with progress, speed, ETA and cancel, that outlive view switches.

A job is a coroutine started with a ``Progress``; the manager owns its task (through the task
registry, so shutdown cancels it) and exposes all jobs as a table model for the jobs panel.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from console.async_bridge import TaskRegistry
from console.table_model import ColumnsModel
from services.core.errors import ErrorReport, OperationCancelled, OpsError
from services.core.progress import Progress, ProgressSnapshot, human_bytes, human_duration

if TYPE_CHECKING:
    import asyncio


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Job:
    id: int
    title: str
    environment: str
    started: datetime
    state: JobState = JobState.RUNNING
    snapshot: ProgressSnapshot | None = None
    result: Any = None
    error: ErrorReport | None = None
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    kind: str = ""  # what it does, for views that ask "is a backup of X running?" ("backup", …)
    cancelling: bool = False  # cancel asked; the job says so at once, until its task has stopped

    def progress_text(self) -> str:
        s = self.snapshot
        if s is None:
            return ""
        if s.unit == "bytes":
            text = human_bytes(s.done) + (f" of {human_bytes(s.total)}" if s.total else "")
        else:
            text = f"{s.done:.0f}" + (f" of {s.total:.0f}" if s.total else "")
        return text

    def speed_text(self) -> str:
        s = self.snapshot
        if s is None or s.speed is None or self.state != JobState.RUNNING:
            return ""
        return f"{human_bytes(s.speed)}/s" if s.unit == "bytes" else f"{s.speed:.1f}/s"

    def eta_text(self) -> str:
        s = self.snapshot
        if s is None or s.eta_s is None or self.state != JobState.RUNNING:
            return ""
        return human_duration(s.eta_s)


JobFactory = Callable[[Progress], Coroutine[Any, Any, Any]]


class JobManager(QObject):
    changed = Signal(int)  # job id
    finished = Signal(object)  # Job

    def __init__(self, tasks: TaskRegistry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._ids = itertools.count(1)
        self.jobs: list[Job] = []

    def start(self, title: str, factory: JobFactory, *, environment: str = "", unit: str = "bytes",
              kind: str = "") -> Job:
        job = Job(next(self._ids), title, environment, datetime.now(), kind=kind)

        def on_update(snapshot: ProgressSnapshot) -> None:
            job.snapshot = snapshot
            self.changed.emit(job.id)

        progress = Progress(on_update, unit=unit)
        job.task = self._tasks.spawn(self._run(job, factory(progress)), name=f"job:{title}", report_errors=False)
        self.jobs.append(job)
        self.changed.emit(job.id)
        return job

    async def _run(self, job: Job, coro: Coroutine[Any, Any, Any]) -> Any:
        import asyncio

        try:
            job.result = await coro
            job.state = JobState.DONE
        except (asyncio.CancelledError, OperationCancelled):
            job.state = JobState.CANCELLED
        except Exception as exc:
            job.state = JobState.FAILED
            if not isinstance(exc, OpsError):
                # The job panel's sentence says the details are in the log file: put them there.
                from console.error_presenter import log_unexpected

                log_unexpected(exc, f"job {job.title}")
            job.error = ErrorReport.from_exception(exc)
            self.changed.emit(job.id)
            self.finished.emit(job)
            raise
        self.changed.emit(job.id)
        self.finished.emit(job)
        return job.result

    def cancel(self, job_id: int) -> bool:
        for job in self.jobs:
            if job.id == job_id and job.task is not None and not job.task.done():
                job.cancelling = True
                job.task.cancel()
                self.changed.emit(job.id)
                return True
        return False

    def running(self) -> list[Job]:
        return [j for j in self.jobs if j.state == JobState.RUNNING]


class JobsModel(ColumnsModel[Job]):
    COLUMNS = ("Job", "Environment", "State", "Progress", "Speed", "ETA")

    def __init__(self, manager: JobManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._manager = manager
        manager.changed.connect(self._on_changed)

    def _on_changed(self, job_id: int) -> None:
        jobs = list(reversed(self._manager.jobs))
        if [j.id for j in jobs] != [j.id for j in self._rows]:
            self.beginResetModel()
            self._rows = jobs
            self.endResetModel()
            return
        for row, job in enumerate(self._rows):
            if job.id == job_id:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    @staticmethod
    def _stalled(job: Job) -> bool:
        return bool(job.snapshot and job.snapshot.message.startswith("stalled"))

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        job = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return job.title
            if col == 1:
                return job.environment
            if col == 2:
                if job.state == JobState.FAILED and job.error:
                    return f"failed: {job.error.sentence}"
                if job.state == JobState.RUNNING and job.cancelling:
                    return "cancelling…"
                if job.state == JobState.RUNNING and job.snapshot and job.snapshot.message:
                    return job.snapshot.message
                return job.state.value
            if col == 3:
                frac = job.snapshot.fraction if job.snapshot else None
                pct = f"{frac * 100:.0f}% — " if frac is not None else ""
                return pct + job.progress_text()
            if col == 4:
                return job.speed_text()
            if col == 5:
                return job.eta_text()
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            if job.state == JobState.FAILED:
                return QColor("#d93025")
            if job.state == JobState.RUNNING and (job.cancelling or self._stalled(job)):
                return QColor("#b06000")
            if job.state == JobState.DONE:
                return QColor("#1e8e3e")
        if role == Qt.ItemDataRole.FontRole and col == 2 and job.state == JobState.FAILED:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and job.error:
            return job.error.sentence
        if role == Qt.ItemDataRole.UserRole:
            return job
        return None

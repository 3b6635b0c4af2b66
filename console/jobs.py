"""Jobs: long operations with progress, speed, ETA and cancel, that outlive view switches.

A job is a coroutine started with a ``Progress``; the manager owns its task (through the task
registry, so shutdown cancels it); ``console.jobs_model`` shows them all in the jobs panel.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from console.async_bridge import TaskRegistry

if TYPE_CHECKING:  # the manager is made before the first paint; these come with the first job
    import asyncio
    from datetime import datetime

    from services.core.errors import ErrorReport
    from services.core.progress import Progress, ProgressSnapshot


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
        from services.core.progress import human_bytes

        s = self.snapshot
        if s is None:
            return ""
        if s.unit == "bytes":
            text = human_bytes(s.done) + (f" of {human_bytes(s.total)}" if s.total else "")
        else:
            text = f"{s.done:.0f}" + (f" of {s.total:.0f}" if s.total else "")
        return text

    def speed_text(self) -> str:
        from services.core.progress import human_bytes

        s = self.snapshot
        if s is None or s.speed is None or self.state != JobState.RUNNING:
            return ""
        return f"{human_bytes(s.speed)}/s" if s.unit == "bytes" else f"{s.speed:.1f}/s"

    def eta_text(self) -> str:
        from services.core.progress import human_duration

        s = self.snapshot
        if s is None or s.eta_s is None or self.state != JobState.RUNNING:
            return ""
        return human_duration(s.eta_s)


JobFactory = Callable[["Progress"], Coroutine[Any, Any, Any]]


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
        from datetime import datetime

        from services.core.progress import Progress

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

        from services.core.errors import ErrorReport, OperationCancelled, OpsError

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

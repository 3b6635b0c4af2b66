"""The jobs panel's table: every job, newest first, with its state, progress, speed and ETA."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from console.jobs import Job, JobManager, JobState


class JobsModel(QAbstractTableModel):
    COLUMNS = ("Job", "Environment", "State", "Progress", "Speed", "ETA")

    def __init__(self, manager: JobManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._manager = manager
        self._rows: list[Job] = []
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

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    @staticmethod
    def _stalled(job: Job) -> bool:
        return bool(job.snapshot and job.snapshot.message.startswith("stalled"))

    def job_at(self, row: int) -> Job | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

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

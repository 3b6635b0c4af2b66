"""The catalog table: a QAbstractTableModel over CatalogEntry rows, and a proxy that sorts and filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from console.table_model import ColumnsModel
from services.backup.catalog import CatalogEntry
from services.core.progress import human_bytes, human_duration

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole

COLOURS = {"good": "#1e8e3e", "verified": "#1e8e3e", "unfinished": "#b06000", "orphaned": "#d93025", "damaged": "#d93025",
           "failed": "#d93025"}


class CatalogModel(ColumnsModel[CatalogEntry]):
    COLUMNS = ("ID", "State", "Created (UTC)", "Age", "Size", "Verified", "Trigger", "SHA-256")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._now = datetime.now(UTC)

    def set_rows(self, rows: list[CatalogEntry] | tuple[CatalogEntry, ...]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._now = datetime.now(UTC)
        self.endResetModel()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self._rows[index.row()]
        col = index.column()
        if role == ENTRY_ROLE:
            return e
        if role == SORT_ROLE:
            return (e.id, e.state, e.created_at.timestamp(), -e.created_at.timestamp(), e.bytes, e.verification,
                    e.trigger, e.sha256)[col]
        if role == Qt.ItemDataRole.DisplayRole:
            age = (self._now - e.created_at).total_seconds()
            return (e.id, e.state, f"{e.created_at:%Y-%m-%d %H:%M}", human_duration(age),
                    human_bytes(e.bytes) if e.bytes else "—", e.verification, e.trigger or "—", e.sha256[:16] or "—")[col]
        if role == Qt.ItemDataRole.ForegroundRole:
            key = e.verification if col == 5 else (e.state if col == 1 else "")
            if key in COLOURS and not (col == 1 and e.state == "good"):
                return QColor(COLOURS[key])
            if col == 5 and e.verification == "verified":
                return QColor(COLOURS["verified"])
        if role == Qt.ItemDataRole.ToolTipRole:
            if e.state == "unfinished":
                return "A multipart upload that was begun and not completed: running now, or left by a dead run"
            if e.state == "orphaned":
                return "An archive without its manifest: never counted as a good backup"
            if e.state == "damaged":
                return "Its manifest is unreadable: the archive cannot be checked, so it is never used or pruned"
            if e.state == "listed":
                return "Finished (its manifest is in the bucket); its manifest is being read, then it can be used"
            return f"sha256 {e.sha256}" if e.sha256 else None
        return None


class CatalogFilter(QSortFilterProxyModel):
    """Text filter over every column plus a state filter ("all", "good", "verified", "problems")."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.state = "all"

    def set_state(self, state: str) -> None:
        self.beginFilterChange()
        self.state = state
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        e = model.data(model.index(source_row, 0, source_parent), ENTRY_ROLE) if model else None
        if e is not None and self.state != "all":
            if self.state == "good" and not e.good:
                return False
            if self.state == "verified" and e.verification != "verified":
                return False
            if self.state == "problems" and e.state in ("good", "listed") and e.verification != "failed":
                return False
        return super().filterAcceptsRow(source_row, source_parent)

"""The deployments table: a QAbstractTableModel over ``DeploymentRow``s that grows a page at a time as the
view scrolls (``canFetchMore``/``fetchMore``), and a proxy that filters by author as one types.

The model never waits: ``fetchMore`` asks its ``pager`` (a plain callable the view gives it) to load the
next page in the background; the page arrives through ``append_page``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from console.table_model import ColumnsModel
from services.deployments.vercel_ops import DeploymentPage, DeploymentRow, age_text

ROW_ROLE = Qt.ItemDataRole.UserRole
STATE_COLOURS = {"READY": "#1e8e3e", "ERROR": "#d93025", "BUILDING": "#b06000", "QUEUED": "#5f6368",
                 "INITIALIZING": "#5f6368", "CANCELED": "#5f6368"}


class DeploymentsModel(ColumnsModel[DeploymentRow]):
    COLUMNS = ("", "State", "Commit", "Message", "Branch", "Author", "Age", "Build", "URL")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text: list[tuple[str, ...]] = []  # the display strings, made once per row (paint asks often)
        self._ids: set[str] = set()
        self.next_until: int | None = None
        self.exhausted = True
        self.loading = False
        self.pager: Callable[[int | None], None] | None = None  # asks for the page older than ``until``
        self._now = datetime.now(UTC)

    # -- filling -----------------------------------------------------------------------------------
    def reset(self, page: DeploymentPage | None) -> None:
        self.beginResetModel()
        self._rows, self._text, self._ids = [], [], set()
        self._now = datetime.now(UTC)
        self.exhausted = page is None
        self.next_until = None
        self.loading = False
        self.endResetModel()
        if page is not None:
            self.append_page(page)

    def append_page(self, page: DeploymentPage) -> None:
        self.loading = False
        fresh = [r for r in page.rows if r.id not in self._ids]
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self._text.extend(self._display(r) for r in fresh)
            self._ids.update(r.id for r in fresh)
            self.endInsertRows()
        self.next_until = page.next_until
        self.exhausted = page.next_until is None or not page.rows

    def page_failed(self) -> None:
        self.loading = False

    def row(self, index: int) -> DeploymentRow | None:
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def _display(self, r: DeploymentRow) -> tuple[str, ...]:
        d = r.deployment
        mark = "● live" if r.current else ("↩ rolled back" if r.rolled_back_from else "")
        build = f"{d.duration_s:.0f} s" if d.duration_s is not None else ("…" if d.state == "BUILDING" else "—")
        return (mark, d.state, d.commit_sha[:7] or "—", d.commit_message.split("\n", 1)[0], d.branch or "—",
                d.commit_author or d.creator or "—", age_text(d.created_at, self._now), build, d.url)

    # -- paging ------------------------------------------------------------------------------------
    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self.exhausted and not self.loading and self.pager is not None

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if not self.canFetchMore(parent) or self.pager is None:
            return
        self.loading = True
        self.pager(self.next_until)

    # -- the model ---------------------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        d = r.deployment
        col = index.column()
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text[index.row()][col]
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 1:
                return QColor(STATE_COLOURS.get(d.state, "#202124"))
            if col == 0:
                return QColor("#1e8e3e" if r.current else "#b06000")
        if role == Qt.ItemDataRole.FontRole and r.current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0 and r.current:
                return "Production's domains point at this deployment now"
            if col == 0 and r.rolled_back_from:
                return "Production was rolled back away from this deployment; promote it to undo"
            if col == 1 and d.error_message:
                return d.error_message
            if col == 3:
                return d.commit_message
        if role == Qt.ItemDataRole.AccessibleTextRole and col == 0:
            return "live" if r.current else ("rolled back" if r.rolled_back_from else "")
        return None


class AuthorFilter(QSortFilterProxyModel):
    """Filters on the author column as one types; paging goes through to the source model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.text = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self.text:
            return True
        model = self.sourceModel()
        assert isinstance(model, DeploymentsModel)
        row = model.row(source_row)
        if row is None:
            return False
        d = row.deployment
        return self.text in f"{d.commit_author} {d.creator}".lower()

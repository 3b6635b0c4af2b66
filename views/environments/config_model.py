"""The Configuration tab's table: a thin model over the service's rows (``ConfigItem``), with the same
cells as ``realtor-ops config diff``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from services.config_drift import TABLE_HEADERS, ConfigItem, Status

Index = QModelIndex | QPersistentModelIndex
ItemRole = Qt.ItemDataRole.UserRole + 1
STATUS_COLOURS = {Status.MATCHES: "#1e8e3e", Status.DIFFERS: "#b06000", Status.NOT_CONFIGURED: "#80868b",
                  Status.UNREADABLE: "#d93025"}
STATUS_COLUMN = TABLE_HEADERS.index("Status")


class ConfigItemsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[ConfigItem] = []
        self._cells: list[list[str]] = []

    def set_items(self, items: Sequence[ConfigItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._cells = [i.cells() for i in self._items]
        self.endResetModel()

    def items(self) -> list[ConfigItem]:
        return list(self._items)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(TABLE_HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:  # long values (a CSP) are cut in the cell, whole here
            cell = self._cells[index.row()][index.column()]
            head = f"{cell}\n\n" if TABLE_HEADERS[index.column()] in ("Seed", "Live") else ""
            return f"{head}{item.explanation}\nRead from: {item.source}"
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == STATUS_COLUMN:
            return QColor(STATUS_COLOURS[item.status])
        if role == ItemRole:
            return item
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(TABLE_HEADERS):
            return TABLE_HEADERS[section]
        return None

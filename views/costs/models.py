"""Thin table models over the cost report's plain data: figures (providers, categories), the rows behind
a figure, the price table. Each has an entry role to reach the object and a sort role."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from console.table_model import ColumnsModel
from services.costs.model import CostRow
from services.costs.prices import Price
from services.costs.report import Figure

ENTRY_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class _ListModel(ColumnsModel[Any]):
    NUMERIC: frozenset[int] = frozenset()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cells: list[tuple[Any, ...]] = []  # a row cache: data() never recomputes a row

    def set_items(self, items: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(items)
        self._cells = [self.cells(item) for item in self._rows]
        self.endResetModel()

    def item(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def cells(self, item: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def tooltip(self, item: Any, column: int) -> str | None:
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        col = index.column()
        if role == ENTRY_ROLE:
            return item
        values = self._cells[index.row()]
        if role == SORT_ROLE:
            value = values[col]
            return float(value) if isinstance(value, Decimal) else value
        if role == Qt.ItemDataRole.DisplayRole:
            value = values[col]
            return f"{value:,.2f}" if isinstance(value, Decimal) and col in self.NUMERIC else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in self.NUMERIC:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(item, col)
        return None


class FigureModel(_ListModel):
    """Providers or categories: month-to-date, forecast and its band."""

    COLUMNS = ("Name", "Month to date", "Forecast", "Low", "High", "Source")
    NUMERIC = frozenset({1, 2, 3, 4})

    def cells(self, item: Figure) -> tuple[Any, ...]:
        return (item.name, item.mtd, item.forecast, item.low, item.high, item.source or "—")

    def tooltip(self, item: Figure, column: int) -> str | None:
        return f"Click to see the rows behind {item.name}"


class RowsModel(_ListModel):
    """The daily rows behind a figure."""

    COLUMNS = ("Date", "Environment", "Provider", "Service", "Category", "Quantity", "Unit", "Cost", "Source")
    NUMERIC = frozenset({7})

    def cells(self, item: CostRow) -> tuple[Any, ...]:
        qty = item.quantity.normalize()
        return (item.date.isoformat(), item.environment, item.provider, item.service, item.category.value,
                format(qty, "f") if qty == qty.to_integral() else f"{float(qty):.6g}", item.unit, item.cost,
                item.source.value)

    def tooltip(self, item: CostRow, column: int) -> str | None:
        return item.note or None

    @property
    def total(self) -> Decimal:
        return sum((r.cost for r in self._rows), Decimal("0.00"))


class PriceModel(_ListModel):
    """The price table (one entry per key in force today), with where each price comes from."""

    COLUMNS = ("Key", "Service", "Price", "Unit", "Included", "From", "Source", "Read on", "Third party")
    NUMERIC = frozenset()

    def cells(self, item: Price) -> tuple[Any, ...]:
        return (item.key, item.service, format(item.price.normalize(), "f"), item.unit,
                format(item.included.normalize(), "f"), item.effective_from.isoformat(), item.source_url,
                item.read_on.isoformat(), "yes" if item.third_party else "")

    def tooltip(self, item: Price, column: int) -> str | None:
        text = item.note
        if item.third_party:
            text = (text + "; " if text else "") + "rests on a third party's transcription of the price page"
        return text or None

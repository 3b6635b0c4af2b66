"""Table models of the Environments view: thin adapters over plain rows (dataclasses from services)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from console.table_model import ColumnsModel
from services.environments.connection_checks import CheckResult
from services.environments.drift import DriftItem
from services.environments.env_variables import KeptVariable
from services.environments.import_plan import ExtraVariable

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex

STATE_COLOURS = {"ok": "#1e8e3e", "up": "#1e8e3e", "failed": "#d93025", "drift": "#b06000", "skipped": "#80868b",
                 "not set": "#80868b"}
RowRole = Qt.ItemDataRole.UserRole + 1


class RowsModel(ColumnsModel[R]):
    """Rows of plain objects; subclasses say which columns and how a row becomes cells."""

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def cells(self, row: R) -> Sequence[str]:
        raise NotImplementedError

    def state_of(self, row: R) -> str:
        return ""

    def tooltip(self, row: R, column: int) -> str | None:
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row())
        if row is None or not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(row)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, index.column())
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = self.colour(row, index.column())
            return QColor(colour) if colour else None
        if role == RowRole:
            return row
        return None

    def colour(self, row: R, column: int) -> str | None:
        return None


@dataclass(frozen=True)
class EnvironmentRow:
    name: str
    kind: str
    url: str
    database: str
    redis: str
    storage: str
    providers: str
    secrets: int


def _service_colour(text: str) -> str | None:
    if text.startswith("up"):
        return STATE_COLOURS["ok"]
    if text in ("not set", "", "-"):
        return STATE_COLOURS["not set"]
    if text == "configured" or text.startswith(("configured", "tokens")):
        return None
    return STATE_COLOURS["failed"]


class EnvironmentsModel(RowsModel[EnvironmentRow]):
    COLUMNS = ("Environment", "Kind", "URL", "Database", "Redis", "Storage", "Provider tokens", "Secrets")

    def cells(self, row: EnvironmentRow) -> Sequence[str]:
        return (row.name, row.kind, row.url or "-", row.database, row.redis, row.storage, row.providers,
                str(row.secrets))

    def colour(self, row: EnvironmentRow, column: int) -> str | None:
        if column in (3, 4, 5, 6):
            return _service_colour(self.cells(row)[column])
        if column == 1 and row.kind == "production":
            return "#b3261e"
        return None


@dataclass(frozen=True)
class SecretRow:
    name: str
    label: str
    stored: bool
    revealed: str | None = None  # only while the user asked to see it


class SecretsModel(RowsModel[SecretRow]):
    COLUMNS = ("Secret", "What", "Value")

    def cells(self, row: SecretRow) -> Sequence[str]:
        if not row.stored:
            value = "not set"
        elif row.revealed is not None:
            value = row.revealed
        else:
            value = "••••••••  (in the keyring)"
        return (row.name, row.label, value)

    def colour(self, row: SecretRow, column: int) -> str | None:
        return STATE_COLOURS["not set"] if column == 2 and not row.stored else None


class ChecksModel(RowsModel[CheckResult]):
    COLUMNS = ("Check", "State", "Why", "Time", "Answer")

    def cells(self, row: CheckResult) -> Sequence[str]:
        state = {"ok": "up", "failed": "failed", "skipped": "not tested"}[row.state]
        time = f"{row.latency_ms:.0f} ms" if row.latency_ms is not None else ""
        return (row.label, state, row.kind.value if row.kind else "", time, row.sentence())

    def colour(self, row: CheckResult, column: int) -> str | None:
        return STATE_COLOURS.get(row.state) if column == 1 else None

    def tooltip(self, row: CheckResult, column: int) -> str | None:
        return f"{row.target}\n{row.detail}" if row.detail else row.target or None


@dataclass(frozen=True)
class DriftRow:
    section: str
    left: str
    right: str
    item: DriftItem


class DriftModel(RowsModel[DriftRow]):
    COLUMNS = ("Comparison", "Key", "Finding", "A", "B")

    def cells(self, row: DriftRow) -> Sequence[str]:
        item = row.item
        note = item.note if item.drift else f"{item.note} (not drift)"
        return (row.section, item.key, note, f"{row.left}: {_short(item.a)}", f"{row.right}: {_short(item.b)}")

    def tooltip(self, row: DriftRow, column: int) -> str | None:
        return f"{row.left}: {row.item.a}\n{row.right}: {row.item.b}" if column in (3, 4) else None

    def colour(self, row: DriftRow, column: int) -> str | None:
        if column == 2:
            return STATE_COLOURS["drift"] if row.item.drift else STATE_COLOURS["skipped"]
        return None


class KeptVariablesModel(RowsModel[KeptVariable]):
    """What an environment holds from its imported .env, with how Next.js reads each value that differs."""

    COLUMNS = ("Variable", "Kept as", "Value", "How Next.js reads it")

    def cells(self, row: KeptVariable) -> Sequence[str]:
        value = "••••••••  (in the keyring)" if row.kept_as.startswith("secret") else _short(row.value)
        return (row.name, row.kept_as, value, row.note or "as written")

    def colour(self, row: KeptVariable, column: int) -> str | None:
        if column == 3:
            return STATE_COLOURS["drift"] if row.note else STATE_COLOURS["skipped"]
        return None

    def tooltip(self, row: KeptVariable, column: int) -> str | None:
        return row.note or None


class ExtrasModel(RowsModel[ExtraVariable]):
    """The import preview's variables the console does not know; the Secret column can be ticked."""

    COLUMNS = ("Variable", "Line", "Secret", "Why")

    def cells(self, row: ExtraVariable) -> Sequence[str]:
        return (row.name, str(row.line), "", "as you chose" if row.flipped else row.why)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row())
        if row is not None and index.column() == 2 and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if row.secret else Qt.CheckState.Unchecked
        if row is not None and index.column() == 2 and role == Qt.ItemDataRole.DisplayRole:
            return "keyring" if row.secret else "plain"
        return super().data(index, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 2 else base


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Table models of the Health view: thin adapters over plain rows (no I/O in ``data()``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from services.core.units import human_duration
from services.health import CHECK_LABELS, CheckResult, CheckState, Incident, Status
from services.health.observatory.model import OBSERVATORY_COMMIT, describe
from services.health.poller import utc_age
from services.health.security_headers import HeaderReport

Index = QModelIndex | QPersistentModelIndex

# Colour always comes with words: the cell text says the state.
TINTS = {Status.UP: "#e6f4ea", Status.DEGRADED: "#fef7e0", Status.DOWN: "#fce8e6", Status.UNKNOWN: "#f1f3f4"}
INKS = {Status.UP: "#137333", Status.DEGRADED: "#8a5a00", Status.DOWN: "#a50e0e", Status.UNKNOWN: "#5f6368"}
ROLE_STATUS = Qt.ItemDataRole.UserRole + 1


def _ms(value: float | None) -> str:
    return "" if value is None else (f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms")


_FONTS: dict[tuple[bool, bool], QFont] = {}


def _font(bold: bool, italic: bool) -> QFont:
    """Built once per style: data() runs for every cell on every repaint."""
    font = _FONTS.get((bold, italic))
    if font is None:
        font = QFont()
        font.setBold(bold)
        font.setItalic(italic)
        _FONTS[(bold, italic)] = font
    return font


@dataclass
class Cell:
    env: str
    check: str
    configured: bool
    reason: str = ""
    state: CheckState | None = None
    interval_s: float = 60.0

    def stale(self, now: datetime) -> bool:
        """Shown with its age: restored from the history, or older than two intervals (offline)."""
        last = self.state.last if self.state else None
        if last is None:
            return False
        return bool(self.state and self.state.restored) or now - last.checked_at > timedelta(
            seconds=max(2 * self.interval_s, 30))

    @property
    def status(self) -> Status:
        """The confirmed state; before the first one is confirmed, the latest result's."""
        if self.state is None:
            return Status.UNKNOWN
        if self.state.confirmed is Status.UNKNOWN and self.state.last is not None:
            return self.state.last.status
        return self.state.confirmed

    def text(self, now: datetime) -> str:
        if not self.configured:
            return "— not applicable" if self.reason.startswith("not applicable") else "— not set up"
        state = self.state
        if state is None or state.last is None:
            return "… checking"
        words = state_words(state)
        if self.stale(now):
            return f"{words} · last known {utc_age(state.last.checked_at, now)}"
        latency = _ms(state.last.latency_ms)
        return f"{words} · {latency}" if latency else words

    def tooltip(self) -> str:
        if not self.configured:
            return f"{CHECK_LABELS.get(self.check, self.check)}: {self.reason}"
        if self.state is None or self.state.last is None:
            return "Not checked yet"
        last = self.state.last
        since = f"\nIn this state since {self.state.since:%Y-%m-%d %H:%M} UTC" if self.state.since else ""
        return f"{last.detail}\nChecked {last.checked_at:%Y-%m-%d %H:%M:%S} UTC{since}"


def state_words(state: CheckState | None) -> str:
    """A check's state in the words the board and its drill-down both use."""
    if state is None or state.last is None:
        return "not checked yet"
    if state.retrying:
        # Not confirmed yet: the poller checks again before the change counts.
        return f"{state.last.status.words.upper()}? (confirming)"
    status = state.confirmed if state.confirmed is not Status.UNKNOWN else state.last.status
    return status.words.upper()


class BoardModel(QAbstractTableModel):
    """Rows: environments; columns: checks."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.envs: list[str] = []
        self.checks: list[str] = list(CHECK_LABELS)
        self.cells: dict[tuple[str, str], Cell] = {}
        self.now = datetime.now(UTC)

    def reset(self, envs: list[str], cells: dict[tuple[str, str], Cell]) -> None:
        self.beginResetModel()
        self.envs = list(envs)
        self.cells = cells
        self.endResetModel()

    def update(self, state: CheckState) -> None:
        cell = self.cells.get((state.env, state.check))
        if cell is None or state.env not in self.envs:
            return
        cell.state = state
        index = self.index(self.envs.index(state.env), self.checks.index(state.check))
        self.dataChanged.emit(index, index)

    def tick(self) -> None:
        """Refresh ages ("last known 3 min ago") without new data."""
        self.now = datetime.now(UTC)
        if self.envs:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.envs) - 1, len(self.checks) - 1))

    def cell(self, row: int, column: int) -> Cell | None:
        if 0 <= row < len(self.envs) and 0 <= column < len(self.checks):
            return self.cells.get((self.envs[row], self.checks[column]))
        return None

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.envs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.checks)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return CHECK_LABELS.get(self.checks[section], self.checks[section])
        return self.envs[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        cell = self.cell(index.row(), index.column())
        if cell is None:
            return None
        status = cell.status if cell.configured else Status.UNKNOWN
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text(self.now)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tooltip()
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(TINTS[status]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(INKS[status]))
        if role == Qt.ItemDataRole.FontRole:
            return _font(status in (Status.DOWN, Status.DEGRADED), cell.configured and cell.stale(self.now))
        if role == ROLE_STATUS:
            return status.value
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{cell.env} {CHECK_LABELS.get(cell.check, cell.check)}: {cell.text(self.now)}"
        return None


class RowsModel(QAbstractTableModel):
    """A read-only table of plain rows (tuples of display values), with an optional status column."""

    headers: tuple[str, ...] = ()
    status_column: int | None = None

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[Any, ...]] = []
        self.statuses: list[Status | None] = []

    def set_rows(self, rows: list[tuple[Any, ...]], statuses: list[Status | None] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.statuses = statuses if statuses is not None else [None] * len(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        value = self.rows[index.row()][index.column()]
        status = self.statuses[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return "" if value is None else str(value)
        if status is not None and index.column() == self.status_column:
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(TINTS[status]))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(INKS[status]))
        return None


class IncidentsModel(RowsModel):
    headers = ("Environment", "Check", "Worst state", "Started (UTC)", "Ended (UTC)", "Duration", "What happened")
    status_column = 2

    def set_incidents(self, incidents: list[Incident], now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        rows = [(i.env, CHECK_LABELS.get(i.check, i.check), i.status.words.upper() + (" (ongoing)" if i.open else ""),
                 f"{i.started:%Y-%m-%d %H:%M:%S}", "" if i.ended is None else f"{i.ended:%Y-%m-%d %H:%M:%S}",
                 human_duration(i.duration(now)), i.detail) for i in incidents]
        self.set_rows(rows, [i.status for i in incidents])


class ResultsModel(RowsModel):
    headers = ("Checked (UTC)", "State", "Latency", "Detail")
    status_column = 1

    def set_results(self, results: list[CheckResult]) -> None:
        self.set_rows([(f"{r.checked_at:%Y-%m-%d %H:%M:%S}", r.status.words.upper(), _ms(r.latency_ms), r.detail)
                       for r in results], [r.status for r in results])


class PartsModel(RowsModel):
    headers = ("Part", "State", "Value", "Detail")
    status_column = 1

    def set_result(self, res: CheckResult | None) -> None:
        parts = res.parts if res else ()
        self.set_rows([(p.name, p.status.words.upper(), p.value, p.detail) for p in parts], [p.status for p in parts])


VERDICT_STATUS = {"ok": Status.UP, "weaker": Status.DEGRADED, "missing": Status.DOWN, "invalid": Status.DOWN}


class HeadersModel(RowsModel):
    headers = ("Header", "Against the seed", "Observatory", "Received", "Seed's policy", "Why it matters")
    status_column = 1

    def set_report(self, report: HeaderReport | None) -> None:
        findings = report.findings if report else ()
        rows = [(f.header, f.verdict.upper(),
                 "not scored" if f.modifier is None else f"{f.modifier:+d} ({f.code})",
                 f.received or "(missing)", f.expected, f.explanation) for f in findings]
        self.set_rows(rows, [VERDICT_STATUS.get(f.verdict, Status.UNKNOWN) for f in findings])


def _score(modifier: int) -> str:
    return "0" if modifier == 0 else f"{modifier:+d}"


class ObservatoryTestsModel(RowsModel):
    """The Observatory's ten tests: result name, score modifier, what was seen, and the rule's link."""

    headers = ("Test", "Result", "Score", "What was seen", f"Rule ({OBSERVATORY_COMMIT[:7]})")
    status_column = 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.links: list[str] = []

    def set_report(self, report: HeaderReport | None) -> None:
        # Deductions first, then bonuses, then the rest, each in the Observatory's order.
        tests = sorted(report.tests if report else (), key=lambda t: 0 if t.modifier < 0 else 1 if t.modifier > 0 else 2)
        self.links = [t.rule_url for t in tests]
        rows = [(t.title, t.result, _score(t.modifier),
                 (t.seen or "—") + (f"  ⚠ {t.note}" if t.note else ""),
                 t.rule_url.rsplit("/", 1)[-1])
                for t in tests]
        statuses: list[Status | None] = [Status.UP if t.modifier > 0 else Status.DEGRADED if t.modifier < 0
                                         else Status.UNKNOWN for t in tests]
        self.set_rows(rows, statuses)

    def link(self, row: int) -> str:
        return self.links[row] if 0 <= row < len(self.links) else ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.column() == 4:
            return self.link(index.row())
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.column() == 1 and self.rows:
            return describe(str(self.rows[index.row()][1]))
        return super().data(index, role)

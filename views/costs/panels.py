"""The Costs screen's small widgets: the budget bar, the recommendations list, the price editor."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from services.costs.forecast import BudgetState
from services.costs.prices import PriceTable
from services.costs.recommendations import Recommendations
from views.costs.models import PriceModel

STATE_COLOUR = {"ok": "#1e8e3e", "at_risk": "#e8a200", "exceeded": "#d93025"}
STATE_WORDS = {"ok": "within budget", "at_risk": "forecast over budget", "exceeded": "over budget"}


def budget_sentence(b: BudgetState, currency: str = "USD") -> str:
    text = f"{b.mtd:,.2f} of {b.limit:,.2f} {currency} spent, {b.forecast:,.2f} forecast: {STATE_WORDS[b.state]}"
    if b.state != "exceeded" and b.days_until_exceeded is not None and b.exceeds_on is not None:
        text += f"; exceeded in {b.days_until_exceeded} day(s) at the current rate ({b.exceeds_on:%d %b})"
    elif b.state != "exceeded":
        text += "; the current rate does not reach it"
    return text


class BudgetBar(QWidget):
    """Spent (solid) and forecast (light) against the budget; the words say the same for screen readers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state: BudgetState | None = None
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Budget")

    def set_state(self, state: BudgetState | None, currency: str = "USD") -> None:
        self.state = state
        text = budget_sentence(state, currency) if state else "No budget set"
        self.setAccessibleDescription(text)
        self.setToolTip(text)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = QRectF(0, 3, self.width() - 1, self.height() - 7)
        painter.fillRect(rect, QColor("#f1f3f4"))
        b = self.state
        if b is not None and b.limit > 0:
            scale = max(b.limit, b.forecast, b.mtd) * Decimal("1.05")
            colour = QColor(STATE_COLOUR[b.state])
            light = QColor(colour)
            light.setAlpha(70)
            painter.fillRect(QRectF(rect.left(), rect.top(), rect.width() * float(b.forecast / scale), rect.height()),
                             light)
            painter.fillRect(QRectF(rect.left(), rect.top(), rect.width() * float(b.mtd / scale), rect.height()), colour)
            x = rect.left() + rect.width() * float(b.limit / scale)
            painter.setPen(QColor("#202124"))
            painter.drawLine(int(x), 0, int(x), self.height())
        painter.end()


class RecommendationsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.summary = QLabel("Working out the recommendations…")
        self.summary.setWordWrap(True)
        self.body = QLabel("")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.summary)
        layout.addWidget(self.body, 1)
        self.recommendations: Recommendations | None = None

    def show_recommendations(self, recs: Recommendations) -> None:
        self.recommendations = recs
        n = len(recs.items)
        self.summary.setText(f"{n} recommendation(s), about {recs.monthly_saving:,.2f} a month to save. "
                             "Nothing here deletes or changes anything." if n else
                             "No recommendation: nothing to save was found.")
        parts = []
        for r in recs.items:
            figures = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in r.figures.items()
                                if not isinstance(v, (list, dict)))
            block = (f"<p><b>[{html.escape(r.environment)}] {html.escape(r.text)}</b><br>"
                     f"Saves about <b>{r.monthly_saving:,.2f}</b> a month. <span style='color:#5f6368'>"
                     f"{html.escape(figures)}</span>")
            for line in r.details[:6]:
                block += f"<br>&nbsp;&nbsp;• {html.escape(line)}"
            if r.action:
                block += f"<br>Preview: <code>{html.escape(r.action)}</code>"
            parts.append(block + "</p>")
        skipped = [c for c in recs.checks if c.outcome == "skipped"]
        if skipped:
            parts.append("<p style='color:#5f6368'>Not checked: " + "<br>".join(
                html.escape(f"{c.environment}: {c.rule.replace('_', ' ')}: {c.reason}") for c in skipped) + "</p>")
        self.body.setText("".join(parts))


class PriceEditor(QWidget):
    """The price table, and a form for a price change from a date on (never in a past month)."""

    change_requested = Signal(str, str, object, str, object, bool)  # key, price, from, url, read on, 3rd party
    budget_requested = Signal(str)
    external_requested = Signal(str, str, str)  # name, monthly ("" removes), environment

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PriceModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.version = QLabel("")
        self.key = QComboBox()
        self.price = QLineEdit()
        self.price.setPlaceholderText("e.g. 0.015")
        self.effective = QDateEdit()
        self.effective.setCalendarPopup(True)
        self.effective.setDisplayFormat("yyyy-MM-dd")
        self.source = QLineEdit()
        self.source.setPlaceholderText("https://… where the price was read")
        self.read_on = QDateEdit()
        self.read_on.setCalendarPopup(True)
        self.read_on.setDisplayFormat("yyyy-MM-dd")
        self.third_party = QCheckBox("read on a third party's page, not the provider's")
        self.save = QPushButton("Save price change")
        self.save.clicked.connect(self._emit_change)
        self.budget = QLineEdit()
        self.budget.setPlaceholderText("monthly budget, e.g. 650.00 (empty: none)")
        self.save_budget = QPushButton("Save budget")
        self.save_budget.clicked.connect(lambda: self.budget_requested.emit(self.budget.text()))
        self.key.currentTextChanged.connect(self._fill_from_key)
        form = QFormLayout()
        form.addRow("Price", self.key)
        form.addRow("New price", self.price)
        form.addRow("Applies from", self.effective)
        form.addRow("Source", self.source)
        form.addRow("Read on", self.read_on)
        form.addRow("", self.third_party)
        form.addRow("", self.save)
        budget_row = QHBoxLayout()
        budget_row.addWidget(self.budget, 1)
        budget_row.addWidget(self.save_budget)
        form.addRow("Budget", budget_row)
        self.external_name = QLineEdit()
        self.external_name.setPlaceholderText("external service, e.g. MLS feed")
        self.external_amount = QLineEdit()
        self.external_amount.setPlaceholderText("per month (empty: remove)")
        self.external_env = QLineEdit()
        self.external_env.setPlaceholderText("environment (empty: shared)")
        self.save_external = QPushButton("Save external service")
        self.save_external.clicked.connect(lambda: self.external_requested.emit(
            self.external_name.text(), self.external_amount.text(), self.external_env.text()))
        external_row = QHBoxLayout()
        for w in (self.external_name, self.external_amount, self.external_env):
            external_row.addWidget(w, 1)
        external_row.addWidget(self.save_external)
        self.external_list = QLabel("")
        self.external_list.setWordWrap(True)
        form.addRow("External", external_row)
        form.addRow("", self.external_list)
        layout = QVBoxLayout(self)
        layout.addWidget(self.version)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        self._table: PriceTable | None = None

    def show_external(self, lines: Sequence) -> None:
        self.external_list.setText("; ".join(f"{e.name} ({e.environment}): {e.monthly:,.2f}/month" for e in lines)
                                   or "No external services entered")

    def show_table(self, table: PriceTable, today: date, budget: Decimal | None) -> None:
        self._table = table
        current = table.current(today)
        self.model.set_items(current)
        third = sum(1 for p in current if p.third_party)
        self.version.setText(f"Price table version {table.version}, {len(current)} prices in {table.currency}; "
                             f"{third} rest on third-party pages. A change applies from its date on; past months "
                             "keep what they were priced at.")
        keys = [p.key for p in current]
        selected = self.key.currentText()
        self.key.blockSignals(True)
        self.key.clear()
        self.key.addItems(keys)
        self.key.blockSignals(False)
        if selected in keys:
            self.key.setCurrentText(selected)
        self._fill_from_key(self.key.currentText())
        first = today.replace(day=1)
        self.effective.setMinimumDate(QDate(first.year, first.month, first.day))
        self.effective.setDate(QDate(today.year, today.month, today.day))
        self.read_on.setDate(QDate(today.year, today.month, today.day))
        self.budget.setText("" if budget is None else f"{budget:.2f}")

    def _fill_from_key(self, key: str) -> None:
        if self._table is None or not key:
            return
        entries: Sequence = [p for p in self._table.prices if p.key == key]
        if entries:
            latest = max(entries, key=lambda p: p.effective_from)
            self.price.setText(format(latest.price.normalize(), "f"))
            self.source.setText(latest.source_url)
            self.third_party.setChecked(latest.third_party)

    def _emit_change(self) -> None:
        eff = self.effective.date()
        read = self.read_on.date()
        self.change_requested.emit(self.key.currentText(), self.price.text(),
                                   date(eff.year(), eff.month(), eff.day()), self.source.text(),
                                   date(read.year(), read.month(), read.day()), self.third_party.isChecked())

"""Two small cost charts drawn with QPainter (no chart library): the month's days as stacked bars by
provider, and the months side by side. A click on a day's bar asks for the rows behind it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from views.health.latency_chart import nice_ceiling

PALETTE = ("#1a73e8", "#e37400", "#188038", "#9334e6", "#d93025", "#12b5cb", "#f9ab00", "#5f6368", "#b80672",
           "#4e342e")


class _Chart(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(title)
        self._plot = QRectF()

    def _frame(self, painter: QPainter, y_max: float) -> QRectF:
        left, top, right, bottom = 56.0, 24.0, 12.0, 26.0
        plot = QRectF(left, top, max(10.0, self.width() - left - right), max(10.0, self.height() - top - bottom))
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QColor("#202124"))
        painter.drawText(QRectF(left, 2, plot.width(), top - 4), Qt.AlignmentFlag.AlignLeft, self.title)
        for i in range(5):
            value = y_max * i / 4
            y = plot.bottom() - plot.height() * i / 4
            painter.setPen(QPen(QColor("#e8eaed")))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor("#5f6368"))
            painter.drawText(QRectF(0, y - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"${value:,.0f}" if y_max >= 10 else f"${value:,.2f}")
        self._plot = plot
        return plot


class DailyChart(_Chart):
    """Stacked bars per day; days after ``as_of`` are left empty (the forecast is in the figures)."""

    day_clicked = Signal(object)  # a date

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Daily cost", parent)
        self.days: list[tuple[date, dict[str, Decimal]]] = []
        self.providers: list[str] = []
        self.anomalies: set[date] = set()

    def set_days(self, days: Sequence[tuple[date, dict[str, Decimal]]], providers: Sequence[str],
                 anomalies: Sequence[date] = ()) -> None:
        self.days = list(days)
        self.providers = list(providers)
        self.anomalies = set(anomalies)
        totals = [sum(v.values(), Decimal(0)) for _, v in self.days]
        top = max(totals, default=Decimal(0))
        summary = f"{len([t for t in totals if t])} days with costs, the highest {top:.2f}"
        self.setAccessibleDescription(f"Daily cost: {summary}")
        self.setToolTip(f"Daily cost: {summary}. Click a day to see its rows.")
        self.update()

    def colour(self, provider: str) -> QColor:
        index = self.providers.index(provider) if provider in self.providers else len(PALETTE) - 1
        return QColor(PALETTE[index % len(PALETTE)])

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        totals = [float(sum(v.values(), Decimal(0))) for _, v in self.days]
        plot = self._frame(painter, nice_ceiling(max(totals, default=0.0) * 1.05))
        y_max = nice_ceiling(max(totals, default=0.0) * 1.05)
        if not self.days:
            painter.setPen(QColor("#5f6368"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No cost rows for this month yet")
            painter.end()
            return
        n = len(self.days)
        slot = plot.width() / n
        width = max(1.0, slot * 0.72)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, (day, by) in enumerate(self.days):
            x = plot.left() + i * slot + (slot - width) / 2
            y = plot.bottom()
            for provider in self.providers:
                value = float(by.get(provider, 0))
                if value <= 0:
                    continue
                h = value / y_max * plot.height()
                painter.setBrush(self.colour(provider))
                painter.drawRect(QRectF(x, y - h, width, h))
                y -= h
            if day in self.anomalies:
                painter.setPen(QPen(QColor("#d93025"), 1.4))
                painter.drawText(QRectF(x - 6, y - 16, width + 12, 14), Qt.AlignmentFlag.AlignCenter, "!")
                painter.setPen(Qt.PenStyle.NoPen)
        painter.setPen(QColor("#5f6368"))
        for i, (day, _) in enumerate(self.days):
            if day.day in (1, 8, 15, 22, 29) or i == n - 1:
                painter.drawText(QPointF(plot.left() + i * slot, plot.bottom() + 16), str(day.day))
        # Legend.
        x = plot.left() + 110
        for provider in self.providers[:8]:
            painter.fillRect(QRectF(x, 8, 9, 9), self.colour(provider))
            painter.setPen(QColor("#3c4043"))
            painter.drawText(QPointF(x + 12, 17), provider)
            x += 18 + painter.fontMetrics().horizontalAdvance(provider)
        painter.end()

    def day_at(self, x: float) -> date | None:
        if not self.days or not self._plot.width() or not self._plot.left() <= x <= self._plot.right():
            return None
        index = int((x - self._plot.left()) / (self._plot.width() / len(self.days)))
        return self.days[min(index, len(self.days) - 1)][0]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        day = self.day_at(event.position().x())
        if day is not None:
            self.day_clicked.emit(day)
        super().mousePressEvent(event)


class MonthlyChart(_Chart):
    """One bar per month (the last one: month to date, with the forecast as an outline)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Month by month", parent)
        self.months: list[tuple[str, Decimal]] = []
        self.forecast: Decimal | None = None

    def set_months(self, months: Sequence[tuple[str, Decimal]], forecast: Decimal | None = None) -> None:
        self.months = list(months)[-12:]
        self.forecast = forecast
        text = ", ".join(f"{m} {v:.2f}" for m, v in self.months[-3:])
        self.setAccessibleDescription(f"Month by month: {text}")
        self.setToolTip(f"Month by month (last 12): {text}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        values = [float(v) for _, v in self.months] + ([float(self.forecast)] if self.forecast else [])
        y_max = nice_ceiling(max(values, default=0.0) * 1.05)
        plot = self._frame(painter, y_max)
        if not self.months:
            painter.setPen(QColor("#5f6368"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No months stored yet")
            painter.end()
            return
        slot = plot.width() / max(len(self.months), 6)
        width = slot * 0.6
        for i, (month, value) in enumerate(self.months):
            x = plot.left() + i * slot + (slot - width) / 2
            h = float(value) / y_max * plot.height()
            painter.fillRect(QRectF(x, plot.bottom() - h, width, h), QColor("#1a73e8"))
            if i == len(self.months) - 1 and self.forecast:
                fh = float(self.forecast) / y_max * plot.height()
                painter.setPen(QPen(QColor("#1a73e8"), 1.2, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRectF(x, plot.bottom() - fh, width, fh))
            painter.setPen(QColor("#5f6368"))
            painter.drawText(QRectF(x - 10, plot.bottom() + 2, width + 20, 16), Qt.AlignmentFlag.AlignCenter,
                             month[2:])
        painter.end()

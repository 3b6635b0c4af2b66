"""A small latency chart drawn with QPainter (QtCharts is not part of PySide6-Essentials).

Points are (time, latency ms, status); the line is the latency, each point's dot is coloured by its
state and failed checks are marked along the bottom, so the chart reads without colour as well (a
cross means down, a triangle degraded).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from services.health import Status
from services.health.history import LatencyPoint

DOT = {Status.UP: QColor("#1e8e3e"), Status.DEGRADED: QColor("#e8a200"), Status.DOWN: QColor("#d93025"),
       Status.UNKNOWN: QColor("#80868b")}


def nice_ceiling(value: float) -> float:
    """The next 1/2/5 × 10^n at or above ``value`` (axis top)."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


class LatencyChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[LatencyPoint] = []
        self.title = "Latency"
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Latency chart")

    def set_points(self, points: list[LatencyPoint], title: str = "Latency") -> None:
        self.points = list(points)
        self.title = title
        known = [p.latency_ms for p in self.points if p.latency_ms is not None]
        summary = f"{len(self.points)} results"
        if known:
            summary += f", median {sorted(known)[len(known) // 2]:.0f} ms, slowest {max(known):.0f} ms"
        self.setAccessibleDescription(f"{title}: {summary}")
        self.setToolTip(f"{title}: {summary}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        metrics = painter.fontMetrics()
        line = float(metrics.height())
        known_ms = [p.high or p.latency_ms or 0.0 for p in self.points if p.latency_ms is not None]
        top_ms = nice_ceiling(max(known_ms) * 1.1 if known_ms else 1.0)
        widest = max(metrics.horizontalAdvance(_axis_label(top_ms * i / 4, top_ms)) for i in range(5))
        # Margins from the font: axis labels and the title are never cut, whatever the font size.
        left, top, right, bottom = widest + 12.0, line + 8, 12.0, line + 12
        plot = QRectF(left, top, max(10.0, self.width() - left - right), max(10.0, self.height() - top - bottom))
        painter.setPen(QColor("#202124"))
        painter.drawText(QRectF(left, 2, plot.width(), top - 4), Qt.AlignmentFlag.AlignLeft, self.title)
        known = [p for p in self.points if p.latency_ms is not None]
        if len(self.points) == 0:
            painter.setPen(QColor("#5f6368"))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No results yet for this check")
            painter.end()
            return
        y_max = nice_ceiling(max((p.high or p.latency_ms or 0.0) for p in known) * 1.1 if known else 1.0)
        t0 = min(p.at for p in self.points).timestamp()
        t1 = max(p.at for p in self.points).timestamp()
        span = max(t1 - t0, 1.0)

        def x_of(at: datetime) -> float:
            return plot.left() + (at.timestamp() - t0) / span * plot.width()

        def y_of(ms: float) -> float:
            return plot.bottom() - min(ms, y_max) / y_max * plot.height()

        # Grid and axis labels.
        grid = QPen(QColor("#e8eaed"))
        for i in range(5):
            value = y_max * i / 4
            y = y_of(value)
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor("#5f6368"))
            painter.drawText(QRectF(0, y - line / 2, left - 6, line),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _axis_label(value, y_max))
        painter.setPen(QColor("#5f6368"))
        fmt = "%H:%M:%S" if span < 3600 else "%H:%M" if span <= 2 * 86400 else "%m-%d"
        for i in range(4):
            ts = t0 + span * i / 3
            when = datetime.fromtimestamp(ts, self.points[0].at.tzinfo)
            x = plot.left() + plot.width() * i / 3
            text = when.strftime(fmt)
            width = metrics.horizontalAdvance(text)
            painter.drawText(QPointF(min(max(x - width / 2, plot.left()), plot.right() - width),
                                     plot.bottom() + 4 + metrics.ascent()), text)
        # The latency line.
        if len(known) > 1:
            path = QPainterPath(QPointF(x_of(known[0].at), y_of(known[0].latency_ms or 0.0)))
            for p in known[1:]:
                path.lineTo(QPointF(x_of(p.at), y_of(p.latency_ms or 0.0)))
            painter.setPen(QPen(QColor("#1a73e8"), 1.6))
            painter.drawPath(path)
        # Dots by state; shapes along the bottom for failures.
        painter.setPen(Qt.PenStyle.NoPen)
        dense = len(self.points) > 300
        for p in self.points:
            x = x_of(p.at)
            if p.latency_ms is not None and not dense:
                painter.setBrush(DOT[p.status])
                painter.drawEllipse(QPointF(x, y_of(p.latency_ms)), 2.6, 2.6)
            if p.status is Status.DOWN:
                painter.setPen(QPen(DOT[Status.DOWN], 1.6))
                y = plot.bottom() - 5
                painter.drawLine(QPointF(x - 4, y - 4), QPointF(x + 4, y + 4))
                painter.drawLine(QPointF(x - 4, y + 4), QPointF(x + 4, y - 4))
                painter.setPen(Qt.PenStyle.NoPen)
            elif p.status is Status.DEGRADED:
                painter.setBrush(DOT[Status.DEGRADED])
                y = plot.bottom() - 5
                painter.drawPolygon(QPolygonF([QPointF(x, y - 5), QPointF(x - 4, y + 3), QPointF(x + 4, y + 3)]))
        painter.setPen(QColor("#bdc1c6"))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(plot)
        painter.end()


def _axis_label(value: float, y_max: float) -> str:
    return f"{value:.0f} ms" if y_max >= 10 else f"{value:.1f} ms"

"""A build or job log that keeps up with a long build: lines are buffered and written in one batch per
100 ms (one layout pass instead of one per line), the document keeps at most ``max_lines`` (older ones
scroll out), and it follows the end only while the user has not scrolled up."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget


class LogViewer(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None, *, max_lines: int = 50_000) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self._pending: list[str] = []
        self.lines_shown = 0
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def set_text(self, text: str) -> None:
        self._pending.clear()
        self.setPlainText(text)
        self.lines_shown = self.blockCount() if text else 0

    def append_lines(self, lines: Iterable[str]) -> None:
        self._pending.extend(lines)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        if not self._pending:
            return
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        text, self._pending = "\n".join(self._pending), []
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText(text)
        self.lines_shown += text.count("\n") + 1
        if at_end:
            bar.setValue(bar.maximum())

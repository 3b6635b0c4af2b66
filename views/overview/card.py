"""One card of the Overview: a title, a coloured state word and a sentence or two.

A card is *filled* once it says something definite (a live answer, a last-known one, a live answer
still missing a follow-up read that it names, or why none can be had) and *fresh* once all it shows
was read live in this session. A last-known value is shown
with its age and stays on screen while the live read runs and when it fails: a card that has one never
goes back to a placeholder.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from console.widgets import STATE_COLOURS


class Card(QFrame):
    changed = Signal()

    def __init__(self, title: str, waiting_for: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet("#card { background: white; border: 1px solid #dadce0; border-radius: 8px; }")
        layout = QVBoxLayout(self)
        self.title = QLabel(f"<span style='color:#5f6368'>{html.escape(title)}</span>")
        self.state = "unknown"
        self.filled = False
        self.fresh = False
        self.known_at_text = ""  # "3 min ago" while a last-known value is shown
        self.headline = QLabel()
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.age = QLabel()  # "Last known, 3 min ago — checking now"
        self.age.setStyleSheet("color:#5f6368")
        self.age.setWordWrap(True)
        self.age.hide()
        for widget in (self.title, self.headline, self.detail, self.age):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.wait(waiting_for)

    def _paint(self, state: str, headline: str, detail: str, rich: bool) -> None:
        colour = STATE_COLOURS.get(state, STATE_COLOURS["unknown"])
        self.state = state
        self.headline.setText(f"<span style='color:{colour}'>●</span> {html.escape(headline)}")
        self.detail.setText(detail if rich else html.escape(detail))

    def wait(self, what: str) -> None:
        """Nothing known yet: say what the card waits for (never a bare ellipsis)."""
        self.filled = self.fresh = False
        self.known_at_text = ""
        self._paint("unknown", "Not read yet", what, False)
        self.age.hide()
        self.changed.emit()

    def show_state(self, state: str, headline: str, detail: str, *, rich: bool = False) -> None:
        """A live answer of this session."""
        self.filled = self.fresh = True
        self.known_at_text = ""
        self._paint(state, headline, detail, rich)
        self.age.hide()
        self.changed.emit()

    def show_known(self, state: str, headline: str, detail: str, age: str, *, rich: bool = False,
                   note: str = "checking now") -> None:
        """A last-known answer from local history, marked with its age, while the live one is read."""
        self.filled, self.fresh = True, False
        self.known_at_text = age
        self._paint(state, headline, detail, rich)
        self.age.setText(f"Last known, {age} — {note}")
        self.age.show()
        self.changed.emit()

    def show_partial(self, state: str, headline: str, detail: str, pending: str, *, rich: bool = False) -> None:
        """A live answer of this session without a part that is still being read, named under it (the
        part comes from a read that had to wait for another's answer)."""
        self.filled, self.fresh = True, False
        self.known_at_text = ""
        self._paint(state, headline, detail, rich)
        self.age.setText(f"Still reading {pending}: not counted yet")
        self.age.show()
        self.changed.emit()

    def refresh_failed(self, reason: str) -> None:
        """The live read failed: a last-known value stays, marked as such; without one, the reason shows."""
        if self.known_at_text:
            self.age.setText(f"Last known, {self.known_at_text} — could not be refreshed: {reason}")
            self.age.show()
            self.fresh = False
            self.changed.emit()
        else:
            self.filled, self.fresh = True, False
            self._paint("unknown", "Unknown", reason, False)
            self.age.hide()
            self.changed.emit()

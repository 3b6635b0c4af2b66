"""What every screen shares: a title, the session, and a ``load`` for the current environment.

``load`` is a plain coroutine (tests await it); the view's slots only spawn it. ``loaded`` is set
once the first data has arrived, so ``--screenshot`` knows when to take the picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QLineEdit, QVBoxLayout, QWidget

from console.session import Session

if TYPE_CHECKING:
    import asyncio


class LoadedFlag:
    """Like asyncio.Event, without importing asyncio before the first paint."""

    def __init__(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        import asyncio

        while not self._set:
            await asyncio.sleep(0.02)


class OpsView(QWidget):
    key = "base"
    title = "View"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.loaded = LoadedFlag()
        self._loading: asyncio.Task[None] | None = None
        # The environment whose data the view shows: actions act on it, never on whatever the switcher
        # says now (a switch behind a hidden view must not send "Back up now" to the new environment
        # under the old list).
        self.data_env = ""
        session.environment_changed.connect(self._on_environment_changed)
        # A finished job (a backup, a restore, an import) may change what any view shows.
        session.jobs.finished.connect(self._on_job_finished)

    def _on_job_finished(self, _job: object) -> None:
        if self.isVisible():
            self.reload()
        else:
            self.loaded.clear()  # reloaded when shown again

    def _on_environment_changed(self, name: str) -> None:
        if name == self.data_env:
            return
        # Visible or not, nothing of the previous environment stays on screen or in reach of a button.
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self.data_env = ""
        self.loaded.clear()
        self.clear()
        if self.isVisible():
            self.reload()

    @property
    def env_name(self) -> str:
        """The environment of the data on screen (the switcher's until the first load binds one)."""
        return self.data_env or self.session.current_env

    def clear(self) -> None:
        """Forget what the view shows of the previous environment (buttons that need data go disabled);
        override."""

    def reload(self) -> None:
        if not self.session.ready:
            return
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self.data_env = self.session.current_env
        self._loading = self.session.spawn(self._load_and_mark(), name=f"load:{self.key}")

    async def _load_and_mark(self) -> None:
        # Marked loaded when a load finishes, also with an error (the error is shown by the shell),
        # but not when it was cancelled by a newer load: --screenshot must wait for that one.
        try:
            await self.load()
        except Exception:
            self.loaded.set()
            raise
        self.loaded.set()

    async def load(self) -> None:
        """Fetch what the view shows for ``self.data_env``; override."""

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not self.loaded.is_set():
            self.reload()

    def focus_chain(self) -> list[QWidget]:
        """The view's controls that take Tab focus, in reading order: top to bottom, then left to
        right (controls on one line within a few pixels of each other count as one line)."""
        widgets = [w for w in self.findChildren(QWidget)
                   if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.focusProxy() is None
                   and w.isVisible() and w.isEnabled()]

        return sorted(widgets, key=self.reading_position)

    def reading_position(self, w: QWidget) -> tuple[int, int]:
        """Where ``w`` sits on the screen as laid out (line, x), ignoring how far a scroll area inside
        the view is scrolled (focusing a control scrolls it, which must not change the order)."""
        x = y = 0
        node: QWidget | None = w
        while node is not None and node is not self:
            parent = node.parentWidget()
            scrolled = parent is not None and isinstance(parent.parentWidget(), QAbstractScrollArea) \
                and parent is parent.parentWidget().viewport()  # type: ignore[union-attr]
            if not scrolled:
                x, y = x + node.x(), y + node.y()
            node = parent
        return y // 12, x

    def filter_widget(self) -> QWidget | None:
        """Where Ctrl+F goes: the view's filter field, when it has one."""
        target = getattr(self, "filter_edit", None)
        if isinstance(target, QWidget):
            return target
        edits = [e for e in self.findChildren(QLineEdit) if e.placeholderText().lower().startswith("filter")]
        return edits[0] if edits else None


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    label.setFont(font)
    return label


class PlannedView(OpsView):
    """A screen whose issue has not been built yet: it says what it will hold and does nothing."""

    planned: tuple[str, ...] = ()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.title))
        note = QLabel("This screen is not built yet. Nothing here talks to your platform. It will show:")
        note.setWordWrap(True)
        layout.addWidget(note)
        items = QLabel("\n".join(f"•  {line}" for line in self.planned))
        items.setWordWrap(True)
        items.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(items)
        layout.addStretch(1)
        self.loaded.set()

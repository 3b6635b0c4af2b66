"""What every screen shares: a title, the session, and a ``load`` for the current environment.

``load`` is a plain coroutine (tests await it); the view's slots only spawn it. ``loaded`` is set
once the first data has arrived, so ``--screenshot`` knows when to take the picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

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
        session.environment_changed.connect(self._on_environment_changed)
        # A finished job (a backup, a restore, an import) may change what any view shows.
        session.jobs.finished.connect(self._on_job_finished)

    def _on_job_finished(self, _job: object) -> None:
        if self.isVisible():
            self.reload()

    def _on_environment_changed(self, _name: str) -> None:
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        if not self.session.ready:
            return
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
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
        """Fetch what the view shows for ``session.current_env``; override."""

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not self.loaded.is_set():
            self.reload()


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

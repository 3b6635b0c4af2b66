"""The console's health poller: started when the workspace is ready, it keeps the status-bar lights,
the tray icon and the desktop notifications in step with the checks, whichever view is showing.

The poller runs on the qasync loop (the Qt thread), but every check is asynchronous or runs in a
worker thread, so this thread never waits on one; its callbacks only update Python objects and emit
signals.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from console.session import Session
from console.widgets import STATE_COLOURS

if TYPE_CHECKING:
    # The checks import botocore, cryptography and the observatory's rules (0.1-0.2 s): ``start`` imports
    # them in a worker thread, so that neither the Qt thread nor the workspace's first reads wait for them.
    from services.health import CheckState, HealthHistory, HealthPoller, Transition

log = logging.getLogger(__name__)
LIGHTS_PER_TICK = 8
_MONITORS: weakref.WeakKeyDictionary[Session, HealthMonitor] = weakref.WeakKeyDictionary()


def monitor_for(session: Session) -> HealthMonitor | None:
    """The health monitor of a session (other views read states and history through it)."""
    return _MONITORS.get(session)


@dataclass(frozen=True)
class Notification:
    title: str
    text: str
    at: datetime
    down: bool


def state_icon(status: str) -> QIcon:
    """The tray's dot for a state ("up", "down"…; a ``Status`` is one)."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(STATE_COLOURS.get(str(status), STATE_COLOURS["unknown"])))
    painter.setPen(QColor("#ffffff"))
    painter.drawEllipse(3, 3, 26, 26)
    painter.end()
    return QIcon(pixmap)


class HealthMonitor(QObject):
    result = Signal(object)  # CheckState
    transition = Signal(object)  # Transition
    notified = Signal(object)  # Notification
    started = Signal()

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.poller: HealthPoller | None = None
        self.history: HealthHistory | None = None
        self.notifications: list[Notification] = []
        self.tray: QSystemTrayIcon | None = None
        self._production_down: bool | None = None
        self._starting: asyncio.Task[None] | None = None
        self._closer_added = False
        self._dirty_lights: set[str] = set()
        self._light_timer = QTimer(self)
        self._light_timer.setSingleShot(True)
        self._light_timer.setInterval(200)
        self._light_timer.timeout.connect(self._flush_lights)
        self._ready = asyncio.Event()
        self._start_error: BaseException | None = None
        _MONITORS[session] = self
        session.context_ready.connect(self._on_context)

    # --- lifecycle ------------------------------------------------------------------------------
    def restart(self) -> None:
        self._on_context()

    def _on_context(self) -> None:
        self._ready.clear()
        self._starting = self.session.spawn(self._start_and_mark(), name="health:start")

    async def _start_and_mark(self) -> None:
        self._start_error = None
        try:
            await self.start()
        except BaseException as exc:
            self._start_error = exc
            raise
        finally:
            self._ready.set()

    async def start(self) -> None:
        """(Re)start polling the workspace's environments; returns once the first states are restored."""
        await self.stop()
        await asyncio.to_thread(importlib.import_module, "services.health.poller")
        from services.health import CheckContext, HealthHistory, HealthPoller

        ctx = self.session.ctx
        path = ctx.paths.data / "health.sqlite3"
        self.history = await asyncio.to_thread(HealthHistory, path)
        self.poller = HealthPoller(ctx.workspace.environments.values(), CheckContext(ctx.credentials),
                                   history=self.history, on_result=self._on_result,
                                   on_transition=self._on_transition)
        self._production_down = None
        if not self._closer_added:
            self.session.tasks.add_closer(self.stop)
            self._closer_added = True
        await self.poller.start()
        # The objects of a started console (modules, widgets, the workspace) live until exit; moving
        # them out of the collector's view keeps a full collection short (it measured 80 ms, a
        # visible stall of the Qt thread, with all of them scanned).
        gc.freeze()
        for state in list(self.poller.states.values()):
            if state.last is not None:
                self._on_result(state)
        self._ensure_tray()
        self.started.emit()

    async def stop(self) -> None:
        poller, self.poller = self.poller, None
        if poller is not None:
            await poller.stop()
        history, self.history = self.history, None
        if history is not None:
            await asyncio.to_thread(history.close)

    async def ready(self) -> None:
        """Wait until the poller has started (for views that need its history); raises its start error."""
        await self._ready.wait()
        if self._start_error is not None:
            raise self._start_error

    # --- poller callbacks (loop thread) -------------------------------------------------------------
    def _on_result(self, state: CheckState) -> None:
        # Lights are coalesced: a round brings many results at once, and each light change relays
        # out the status bar.
        self._dirty_lights.add(state.env)
        if not self._light_timer.isActive():
            self._light_timer.start(200)
        self.result.emit(state)

    def _flush_lights(self) -> None:
        # A few per tick: each light change makes the window refresh every light in the status bar.
        for env in sorted(self._dirty_lights)[:LIGHTS_PER_TICK]:
            self._dirty_lights.discard(env)
            self._update_light(env)
        if self._dirty_lights:
            self._light_timer.start(20)

    def _on_transition(self, tr: Transition) -> None:
        self._dirty_lights.discard(tr.env)
        self._update_light(tr.env)  # a change of state shows at once
        self.transition.emit(tr)
        prod = self.session.ctx.workspace.production() if self.session.ready else None
        if prod is None or tr.env != prod.name or self.poller is None:
            return
        status, text = self.poller.site_status(prod.name)  # the site, never Sentry or a provider's API
        down = status == "down"
        if self._production_down is None:
            # The first confirmed state after start: announce only an outage (a healthy start is quiet).
            self._production_down = down
            if down:
                self._notify(f"{prod.name} is down", text, down=True)
            return
        if down != self._production_down:
            self._production_down = down
            if down:
                self._notify(f"{prod.name} is down", text, down=True)
            else:
                self._notify(f"{prod.name} recovered", text, down=False)

    def _update_light(self, env: str) -> None:
        if self.poller is None:
            return
        status, text = self.poller.site_status(env)
        self.session.set_light(env, status.value, text)
        prod = self.session.ctx.workspace.production() if self.session.ready else None
        if self.tray is not None and prod is not None and env == prod.name:
            self.tray.setIcon(state_icon(status))
            self.tray.setToolTip(f"Realtor Ops — {text}")

    # --- tray and notifications -----------------------------------------------------------------
    def _ensure_tray(self) -> None:
        if self.tray is not None or QApplication.instance() is None:
            return
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        tray = QSystemTrayIcon(state_icon("unknown"), self)
        tray.setToolTip("Realtor Ops — production: not checked yet")
        tray.show()
        self.tray = tray

    def _notify(self, title: str, text: str, *, down: bool) -> None:
        note = Notification(title, text, datetime.now(UTC), down)
        self.notifications.append(note)
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            icon = QSystemTrayIcon.MessageIcon.Critical if down else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage(title, text, icon, 15000)
        log.info("health notification: %s — %s", title, text)
        self.notified.emit(note)

"""The console's live state shared by the window and the views: context, tasks, jobs, errors.

Views get the session, call services with ``session.ctx`` and start work through ``session.spawn``
or ``session.jobs``; they never hold sockets or files themselves.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from console.async_bridge import TaskRegistry
from console.error_presenter import ErrorPresenter

if TYPE_CHECKING:  # imported lazily: keyring and friends cost start-up time before the first paint
    import asyncio

    from console.jobs import JobManager
    from services.core.app_context import AppContext


class EnvironmentLight:
    """One traffic light in the status bar: a state word and a sentence."""

    def __init__(self, state: str = "unknown", text: str = "not checked yet") -> None:
        self.state = state
        self.text = text


class Session(QObject):
    context_ready = Signal()
    environment_changed = Signal(str)
    lights_changed = Signal()
    sandbox_status = Signal(object)  # list[SandboxPart] or str

    def __init__(self, errors: ErrorPresenter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.errors = errors
        self.tasks = TaskRegistry(on_error=errors.report)
        self._jobs: JobManager | None = None
        self._ctx: AppContext | None = None
        self.current_env = ""
        self.lights: dict[str, EnvironmentLight] = {}
        self.sandbox: Any = None

    @property
    def jobs(self) -> JobManager:
        """Made when first used (the jobs panel, right after the first paint): the window's shell paints
        without the jobs module."""
        if self._jobs is None:
            from console.jobs import JobManager

            self._jobs = JobManager(self.tasks, self)
        return self._jobs

    @property
    def ctx(self) -> AppContext:
        if self._ctx is None:
            raise RuntimeError("the workspace is not loaded yet")
        return self._ctx

    @property
    def ready(self) -> bool:
        return self._ctx is not None

    def set_context(self, ctx: AppContext) -> None:
        self._ctx = ctx
        envs = list(ctx.workspace.environments)
        self.lights = {name: EnvironmentLight() for name in envs}
        if self.current_env not in envs:
            prod = ctx.workspace.production()
            self.current_env = prod.name if prod else (envs[0] if envs else "")
        self.context_ready.emit()
        self.lights_changed.emit()
        if self.current_env:
            self.environment_changed.emit(self.current_env)

    def select_environment(self, name: str) -> None:
        if name and name != self.current_env:
            self.current_env = name
            self.environment_changed.emit(name)

    def set_light(self, env: str, state: str, text: str) -> None:
        light = self.lights.setdefault(env, EnvironmentLight())
        if (light.state, light.text) != (state, text):
            light.state, light.text = state, text
            self.lights_changed.emit()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        return self.tasks.spawn(coro, name=name)

"""One asyncio loop on the Qt thread (qasync), a registry of running tasks, and orderly shutdown.

The loop is always ``qasync.QSelectorEventLoop``: qasync's default on Windows is a Proactor loop,
which psycopg's async mode refuses. Blocking work (boto3, keyring, subprocess waits) goes through
``asyncio.to_thread`` so the Qt thread never waits on it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

os.environ.setdefault("QT_API", "pyside6")

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QApplication

# asyncio and qasync are imported where first needed: importing them costs ~100 ms, which the first
# paint of the window does not wait for.

log = logging.getLogger(__name__)
T = TypeVar("T")


def make_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import PySide6.QtWidgets  # noqa: F401 - PySide6 must be imported before qasync picks a binding
    import qasync

    loop = qasync.QSelectorEventLoop(app)
    # The blocking-work pool: boto3 calls, keyring calls, SQLite. A boto3 call holds its worker for a whole
    # round trip, and the first screen alone has ten bucket reads in flight at start-up: with 8 workers, the
    # quick work (a credential, a cache write) waited 0.1-0.4 s behind them. Idle workers cost nothing.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=32, thread_name_prefix="ops-worker"))
    asyncio.set_event_loop(loop)
    return loop


class TaskRegistry:
    """Every task the console starts goes through here so shutdown can cancel and await them all."""

    def __init__(self, on_error: Callable[[BaseException, str], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closers: list[Callable[[], Awaitable[None] | None]] = []
        self._on_error = on_error
        self.closing = False

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str = "", report_errors: bool = True) -> asyncio.Task[T]:
        import asyncio

        if self.closing:
            coro.close()
            raise RuntimeError("the console is shutting down")
        task = asyncio.get_event_loop().create_task(coro, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._done, report_errors=report_errors))
        return task

    def _done(self, task: asyncio.Task[Any], *, report_errors: bool) -> None:
        self._tasks.discard(task)
        if task.cancelled() or not report_errors:
            return
        exc = task.exception()
        if exc is not None and self._on_error is not None:
            self._on_error(exc, task.get_name())

    def add_closer(self, closer: Callable[[], Awaitable[None] | None]) -> None:
        """Register something to close at shutdown (pools, clients, the sandbox), last in first out."""
        self._closers.append(closer)

    @property
    def running(self) -> list[asyncio.Task[Any]]:
        return [t for t in self._tasks if not t.done()]

    async def shutdown(self, timeout: float = 10.0) -> None:
        import asyncio

        self.closing = True
        tasks = self.running
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                log.warning("task %s did not stop within %.0f s", task.get_name(), timeout)
        for closer in reversed(self._closers):
            try:
                result = closer()
                if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                    await asyncio.wait_for(result, timeout)
            except Exception:
                log.exception("error while closing")
        self._closers.clear()


def install_loop_exception_handler(loop: asyncio.AbstractEventLoop,
                                   funnel: Callable[[BaseException, str], None]) -> None:
    import asyncio

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is None:
            log.warning("event loop: %s", context.get("message"))
            return
        if isinstance(exc, asyncio.CancelledError):
            return
        funnel(exc, str(context.get("message", "")))

    loop.set_exception_handler(handler)


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(Exception):
        loop.run_until_complete(loop.shutdown_asyncgens())
    executor = getattr(loop, "_default_executor", None)
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)
    loop.close()

"""Qt tests: a qasync QSelectorEventLoop per test, driven with run_until_complete.

Inside a coroutine, wait with ``await asyncio.sleep`` (never qtbot.waitUntil/qWait, which re-enter
the loop and hang teardown).

Teardown is the app's own: every ``TaskRegistry`` the test made is shut down as closing the window
does (its tasks cancelled, its closers run). What is left after that is a leak and fails the test by
name, as napari's fixtures do: a task nobody owns, a thread the test started that is still running,
a timer still ticking with no widget to own it. Mark a test ``allow_leaks`` only with a reason.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest
import qasync
from PySide6.QtWidgets import QApplication

TEARDOWN_S = 20.0


def _ticking_orphan_timers() -> list[str]:
    from PySide6.QtCore import QTimer

    found = []
    for o in gc.get_objects():
        try:
            if isinstance(o, QTimer) and o.isActive() and o.parent() is None:
                found.append(f"QTimer every {o.interval()} ms")
        except (RuntimeError, ReferenceError):  # its C++ side is gone, or a dead weak proxy
            continue
    return found


def _new_threads(before: set[int], grace_s: float = 3.0) -> list[str]:
    deadline = time.monotonic() + grace_s
    while True:
        alive = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
                 and not t.name.startswith(("ops-worker", "asyncio_", "ThreadPoolExecutor"))
                 and not t.daemon]
        if not alive or time.monotonic() > deadline:
            return [t.name for t in alive]
        time.sleep(0.05)


@pytest.fixture(autouse=True, scope="session")
def _collect_on_the_qt_thread_only() -> Iterator[None]:
    # As the app does (console/gui_gc.py): a worker thread must never finalize a Qt object that an
    # earlier test left as garbage (a timer of a dead window fired later and crashed the process).
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(autouse=True)
def _collect_between_tests() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
def qloop(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    from console.async_bridge import TaskRegistry

    threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}
    # Every registry the test makes, held until teardown (a window the test dropped would take its
    # registry with it and leave the tasks orphaned: exactly what this teardown must see).
    registries: list[TaskRegistry] = []
    original_init = TaskRegistry.__init__

    def recording_init(self: TaskRegistry, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        registries.append(self)

    TaskRegistry.__init__ = recording_init  # type: ignore[method-assign]
    loop = qasync.QSelectorEventLoop(qapp)
    asyncio.set_event_loop(loop)
    leaks: list[str] = []
    try:
        yield loop
    finally:
        # The app's own shutdown first: what closing the window does for every session of this test.
        TaskRegistry.__init__ = original_init  # type: ignore[method-assign]
        for registry in registries:  # twice is harmless: closers run once
            loop.run_until_complete(registry.shutdown(timeout=TEARDOWN_S))
        registries.clear()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        leaks += [f"task {t.get_name()} ({t.get_coro()!r})" for t in pending]
        for task in pending:
            task.cancel()
        stuck: set[asyncio.Task[object]] = set()
        if pending:
            # Bounded: a task that swallows its cancel fails the test by name instead of hanging the run.
            _done, stuck = loop.run_until_complete(asyncio.wait(pending, timeout=TEARDOWN_S))
        if not stuck:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
        asyncio.set_event_loop(None)
        if stuck:
            names = ", ".join(f"{t.get_name()} ({t.get_coro()!r})" for t in stuck)
            raise AssertionError(f"tasks did not stop within {TEARDOWN_S:.0f} s of being cancelled: {names}")
        leaks += [f"thread {name}" for name in _new_threads(threads_before)]
        leaks += _ticking_orphan_timers()
        if leaks and request.node.get_closest_marker("allow_leaks") is None:
            raise AssertionError("left running after the test (cancel or close it in the code under test): "
                                 + "; ".join(leaks))


async def wait_for(predicate, timeout: float = 30.0, step: float = 0.02) -> None:  # type: ignore[no-untyped-def]
    """Poll without re-entering the Qt loop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step)

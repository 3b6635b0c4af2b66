"""Qt tests: a qasync QSelectorEventLoop per test, driven with run_until_complete.

Inside a coroutine, wait with ``await asyncio.sleep`` (never qtbot.waitUntil/qWait, which re-enter
the loop and hang teardown).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest
import qasync
from PySide6.QtWidgets import QApplication

TEARDOWN_S = 20.0


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QSelectorEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
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


async def wait_for(predicate, timeout: float = 30.0, step: float = 0.02) -> None:  # type: ignore[no-untyped-def]
    """Poll without re-entering the Qt loop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step)

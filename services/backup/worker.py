"""Blocking backup work run off the event loop, with cancellation and progress that the loop renders.

The work runs in a thread and sees a ``Control``: it checks ``cancelled`` between chunks, registers
child processes so a cancel can kill them at once, and bumps plain counters. The loop side polls the
counters into the ``Progress`` (which belongs to the loop thread: the jobs panel is Qt).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
from collections.abc import Callable
from typing import TypeVar

from services.errors import OperationCancelled
from services.progress import Progress

T = TypeVar("T")


class Control:
    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self.done = 0
        self.total: int | None = None
        self.message = ""

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise OperationCancelled()

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(OSError):
                proc.kill()

    def adopt(self, proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        with self._lock:
            self._procs.append(proc)
        if self._cancel.is_set():
            with contextlib.suppress(OSError):
                proc.kill()
        return proc

    def disown(self, proc: subprocess.Popen[bytes]) -> None:
        """Past the point of no return (COMMIT sent): a cancel must not kill it any more."""
        with self._lock:
            if proc in self._procs:
                self._procs.remove(proc)

    def note(self, message: str) -> None:
        self.message = message


async def run_blocking(work: Callable[[Control], T], progress: Progress | None = None,
                       control: Control | None = None) -> T:
    """Run ``work(control)`` in a thread; mirror its counters into ``progress``; cancel cleanly."""
    control = control or Control()
    future = asyncio.get_running_loop().run_in_executor(None, work, control)
    shown: tuple[str, int | None] = ("", None)
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=0.2)
            if progress is not None:
                if (control.message, control.total) != shown:
                    shown = (control.message, control.total)
                    if control.total is not None:
                        progress.set_total(control.total)
                    if control.message:
                        progress.note(control.message)
                progress.update(control.done)
                if done and future.exception() is None:
                    progress.set_total(max(control.done, 1))  # finished: 100 %, emitted past the throttle
            if done:
                return future.result()
    except asyncio.CancelledError:
        control.cancel()
        # Let the worker clean up (abort the upload, roll back) before the cancel propagates.
        with contextlib.suppress(BaseException):
            await asyncio.shield(future)
        if future.done() and not future.cancelled() and future.exception() is None:
            # The work got past its point of no return (a backup's manifest written, a COMMIT sent)
            # before it saw the cancel: it is done, and saying "cancelled" would be untrue.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return future.result()
        raise

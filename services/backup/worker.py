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

from services.core.errors import OperationCancelled
from services.core.progress import Progress

T = TypeVar("T")
# After a cancel, how long the loop waits for the worker to clean up before it lets go: a worker stuck
# on a frozen storage endpoint finishes its clean-up (abort the upload) in the background, and the
# next run's clean-up removes whatever it could not.
CANCEL_GRACE_S = 1.5
# No byte moved for this long: the job says it is stalled (the worker may be retrying a request).
STALL_AFTER_S = 8.0


class Control:
    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._procs: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        self.committed = False  # past the point of no return: a cancel comes too late
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
        with self._lock:
            self._cancel.set()
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

    def commit_point(self, *keep: subprocess.Popen[bytes]) -> None:
        """Pass the point of no return (write the manifest, send COMMIT), or raise if cancelled first.

        Atomic with ``cancel``: either the cancel came first and this raises, or the work goes on to the
        end and reports done (``keep``'s processes are no longer killed by a cancel)."""
        with self._lock:
            if self._cancel.is_set():
                raise OperationCancelled()
            self.committed = True
            for proc in keep:
                if proc in self._procs:
                    self._procs.remove(proc)

    def note(self, message: str) -> None:
        self.message = message


async def run_blocking(work: Callable[[Control], T], progress: Progress | None = None,
                       control: Control | None = None) -> T:
    """Run ``work(control)`` in a thread; mirror its counters into ``progress``; cancel cleanly."""
    control = control or Control()
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, work, control)
    shown: tuple[str, int | None] = ("", None)
    moved_at, last_done, last_phase = loop.time(), control.done, control.message
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=0.2)
            if progress is not None:
                now = loop.time()
                if control.done != last_done or control.message != last_phase:
                    # Bytes moved, or the work entered a new phase: not stalled.
                    moved_at, last_done, last_phase = now, control.done, control.message
                message = control.message
                if not done and now - moved_at > STALL_AFTER_S and not message.startswith("stalled"):
                    # Nothing moved: say so in the job's row, not only in the log.
                    message = f"stalled — no data moved for {now - moved_at:.0f} s ({message or 'waiting'})"
                if (message, control.total) != shown:
                    shown = (message, control.total)
                    if control.total is not None:
                        progress.set_total(control.total)
                    if message:
                        progress.note(message)
                progress.update(control.done)
                if done and future.exception() is None:
                    progress.set_total(max(control.done, 1))  # finished: 100 %, emitted past the throttle
            if done:
                return future.result()
    except asyncio.CancelledError:
        control.cancel()
        if progress is not None:
            progress.note("cancelling…")
        # Let the worker clean up (abort the upload, roll back) before the cancel propagates; past the
        # point of no return, wait for it to finish: it will report done. Otherwise wait a moment only:
        # a worker stuck on a frozen endpoint cleans up in the background (it can no longer write a
        # manifest or COMMIT: the cancel came first).
        with contextlib.suppress(BaseException):
            if control.committed:
                await asyncio.shield(future)
            else:
                await asyncio.wait_for(asyncio.shield(future), CANCEL_GRACE_S)
        if future.done() and not future.cancelled() and future.exception() is None:
            # The work got past its point of no return (a backup's manifest written, a COMMIT sent)
            # before it saw the cancel: it is done, and saying "cancelled" would be untrue.
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            return future.result()
        raise

"""Child processes that die with the console: the sandbox's servers must never outlive it.

On Linux a child gets PR_SET_PDEATHSIG. That signal fires when the *thread* that forked the child
exits, not the process, so every such child is started from one daemon thread that lives as long
as the process (``spawner``). Elsewhere, callers fall back to atexit and a watchdog.
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")
PR_SET_PDEATHSIG = 1


class _Spawner:
    """Runs callables on one daemon thread that lives until the process exits."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], _T]) -> _T:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="child-spawner", daemon=True)
                self._thread.start()
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        self._jobs.put((fn, future))
        return future.result()

    def _loop(self) -> None:
        while True:
            fn, future = self._jobs.get()
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)


spawner = _Spawner()


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# Looked up now, in the parent: a forked child of a threaded process must not import or load anything.
prctl = _load_prctl()


def die_with_parent(sig: int) -> Callable[[], None] | None:
    """A preexec_fn that asks the kernel to send ``sig`` to the child when we die (None off Linux)."""
    if prctl is None:
        return None
    call = prctl

    def preexec() -> None:
        call(PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() == 1:  # we died between fork and here: nobody would send the signal
            os.kill(os.getpid(), sig)

    return preexec


def popen_tied(args: list[str], *, death_signal: int = signal.SIGTERM, **kwargs: Any) -> subprocess.Popen[bytes]:
    """subprocess.Popen, but the child gets ``death_signal`` when this process dies (Linux)."""
    preexec = die_with_parent(death_signal)
    return spawner.run(lambda: subprocess.Popen(args, preexec_fn=preexec, **kwargs))


def terminate(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Ask a child to stop (SIGTERM), wait up to ``timeout``, then kill it and reap it."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)

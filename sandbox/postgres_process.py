"""The embedded PostgreSQL server's process from the outside: the death guards that stop it when we
die, finding and stopping a leftover server of a data dir, and the signal ladder that stops it.

Linux: the postmaster gets ``PR_SET_PDEATHSIG = SIGINT`` (fast shutdown) when we die; other POSIX
systems: a tiny ``sh`` loop watches our pid and sends SIGINT. A stale ``postmaster.pid`` (its process
gone) is removed when found.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from services.core.child_processes import PR_SET_PDEATHSIG, prctl


def set_pdeathsig() -> None:
    # Runs in the child after the switch to the server's user (a uid change clears PDEATHSIG).
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)
    # If we already died between fork and here, nobody would send the signal.
    if os.getppid() == 1:
        os.kill(os.getpid(), signal.SIGINT)


def start_shell_watchdog(server_pid: int) -> subprocess.Popen[bytes]:
    script = 'while kill -0 "$1" 2>/dev/null; do sleep 0.5; done; kill -INT "$2" 2>/dev/null'
    return subprocess.Popen(
        ["sh", "-c", script, "watchdog", str(os.getpid()), str(server_pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def postmaster_of(data_dir: Path) -> psutil.Process | None:
    """The live server process recorded in ``data_dir/postmaster.pid``; removes the file when stale."""
    pid_file = data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        proc = psutil.Process(pid)
        # The postmaster runs in its data dir; a reused pid belongs to some other program.
        alive = proc.status() != psutil.STATUS_ZOMBIE and "postgres" in proc.name()
        if alive and Path(proc.cwd()).resolve() == data_dir.resolve():
            return proc
    except (psutil.Error, OSError):
        pass
    pid_file.unlink(missing_ok=True)
    return None


def stop_leftover(data_dir: Path, timeout: float = 10.0) -> None:
    proc = postmaster_of(data_dir)
    if proc is not None:
        _signal_and_wait(proc, timeout)


def stop_child(proc: subprocess.Popen[bytes], timeout: float) -> None:
    try:
        _signal_and_wait(psutil.Process(proc.pid), timeout, reap=proc)
    except psutil.NoSuchProcess:
        pass
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1.0)


def _signal_and_wait(
    proc: psutil.Process, timeout: float, reap: subprocess.Popen[bytes] | None = None
) -> None:
    """SIGINT (fast shutdown), then SIGQUIT (immediate), then SIGKILL, each waited for."""
    immediate = getattr(signal, "SIGQUIT", signal.SIGTERM)
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    for sig, wait in ((signal.SIGINT, timeout), (immediate, 3.0), (kill, 3.0)):
        try:
            proc.send_signal(sig)
        except psutil.NoSuchProcess:
            break
        if _wait_gone(proc, wait, reap):
            break


def _wait_gone(proc: psutil.Process, timeout: float, reap: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reap is not None:
            if reap.poll() is not None:
                return True
        else:
            try:
                # A zombie has released its port and files; its reaping is its parent's business.
                if proc.status() == psutil.STATUS_ZOMBIE:
                    return True
            except psutil.NoSuchProcess:
                return True
        time.sleep(0.01)
    return False


def tail(path: Path, size: int = 4000) -> str:
    """The last ``size`` bytes of a log file as text ("" when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - size))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""

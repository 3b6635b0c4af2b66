"""Operating-system specifics behind one portable seam: each function works everywhere and does its best
where the OS offers more. Nothing here is imported at module level that Windows or macOS lacks (a test
imports every ``services`` module with ``fcntl`` and friends unavailable).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

F_SETPIPE_SZ = 1031  # Linux


def enlarge_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask for a larger pipe buffer (Linux: fewer, larger reads); a no-op where that does not exist."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import fcntl
    except ImportError:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, F_SETPIPE_SZ, size)


def anonymous_file(name: str, data: bytes) -> int | None:
    """A 0600 file that lives in memory only, holding ``data``: its descriptor (close-on-exec), or None
    where there is no such thing (anything but Linux). A child that inherits the descriptor can open it
    as ``/dev/fd/N``; it vanishes when the last process holding it ends, however that process ends."""
    create: Callable[[str, int], int] | None = getattr(os, "memfd_create", None)  # Linux (and FreeBSD) only
    if create is None or not os.path.isdir("/dev/fd"):
        return None
    try:
        fd = create(name, getattr(os, "MFD_CLOEXEC", 1))
    except OSError:
        return None
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        os.close(fd)
        return None
    return fd

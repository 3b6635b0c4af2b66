"""The password file of a libpq child, where no anonymous in-memory file exists (see ``pg_tools.child_env``):
its folder is named after the process that wrote it, so that any later run can tell a dead run's leftovers
and remove them. Light on imports: the app calls ``sweep_dead_passfiles`` as it starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

PASSFILE_PREFIX = "rops-pg-"


def _pid_alive(pid: int) -> bool:
    try:
        import psutil

        return bool(psutil.pid_exists(pid))
    except ImportError:  # pragma: no cover - psutil is a dependency
        return True


def sweep_dead_passfiles(folder: str | None = None) -> list[str]:
    """Remove the password folders of processes that no longer run (left by a killed run); returns them.

    A folder is ``rops-pg-<pid>-<random>``; older versions wrote ``rops-pg-<random>`` (no pid): those go
    when older than a day.
    """
    base = Path(folder or tempfile.gettempdir())
    removed: list[str] = []
    try:
        candidates = list(base.glob(f"{PASSFILE_PREFIX}*"))
    except OSError:
        return removed
    for path in candidates:
        parts = path.name[len(PASSFILE_PREFIX):].split("-", 1)
        try:
            if path.is_symlink() or not path.is_dir():
                continue
            if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
                continue  # another user's: not ours to judge
            if len(parts) == 2 and parts[0].isdigit():
                if _pid_alive(int(parts[0])):
                    continue
            elif time.time() - path.stat().st_mtime < 86400:
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
    return removed

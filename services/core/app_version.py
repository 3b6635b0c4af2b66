"""The app's version, from one source: ``version`` in pyproject.toml.

Installed (wheel or editable) it is read from the package metadata; the frozen bundle carries the
metadata too, and the build also writes a ``VERSION`` file beside it as a fallback.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "realtor-ops-console"
UNKNOWN = "0+unknown"


def frozen_root() -> Path | None:
    """The bundle's data folder when running frozen (PyInstaller), else None."""
    root = getattr(sys, "_MEIPASS", None)
    return Path(root) if getattr(sys, "frozen", False) and root else None


def app_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    root = frozen_root()
    if root is not None:
        try:
            return (root / "VERSION").read_text(encoding="utf-8").strip() or UNKNOWN
        except OSError:
            pass
    return UNKNOWN


def version_line(program: str) -> str:
    """What ``--version`` prints."""
    frozen = " (frozen)" if frozen_root() is not None else ""
    return f"{program} {app_version()}{frozen}"

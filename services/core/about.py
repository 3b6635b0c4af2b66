"""What Help → About shows: version, build, keyring backend, folders, PostgreSQL client programs.

Gathering it runs ``pg_dump --version`` of every client found, so callers run it off the Qt thread.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from services.core.app_version import app_version, frozen_root


@dataclass(frozen=True)
class AboutInfo:
    version: str
    frozen: bool
    python: str
    platform: str
    keyring_backend: str
    keyring_weak: bool
    config_dir: str
    data_dir: str
    log_dir: str
    pg_clients: tuple[str, ...]  # "18.4 (bundled)", "15.8 (system)"


def gather_about() -> AboutInfo:
    from services.core.credentials import describe_backend
    from services.core.pg_tools import available_tools
    from services.core.workspace import config_dir, data_dir, log_dir

    try:
        backend = describe_backend()
        keyring_name, weak = f"{backend.name}: {backend.reason}", backend.weak
    except Exception as exc:  # a broken keyring is exactly what About should show, not hide
        keyring_name, weak = f"unavailable: {type(exc).__name__}", True
    clients = tuple(f"{t.version} ({t.source}, {t.bin_dir})"
                    for t in sorted(available_tools(), key=lambda t: (t.source, t.major)))
    return AboutInfo(
        version=app_version(), frozen=frozen_root() is not None,
        python=platform.python_version(), platform=f"{platform.system()} {platform.machine()}",
        keyring_backend=keyring_name, keyring_weak=weak,
        config_dir=str(config_dir()), data_dir=str(data_dir()), log_dir=str(log_dir()),
        pg_clients=clients or ("none found",),
    )


def about_lines(info: AboutInfo) -> list[tuple[str, str]]:
    """(label, value) rows, for the dialog and for ``--version --verbose`` style output."""
    return [
        ("Version", f"{info.version}{' (installed build)' if info.frozen else ' (from source)'}"),
        ("Python", f"{info.python} on {info.platform}"),
        ("Keyring", info.keyring_backend),
        ("Settings and workspace", info.config_dir),
        ("Data and audit log", info.data_dir),
        ("Logs", info.log_dir),
        ("PostgreSQL clients", "\n".join(info.pg_clients)),
    ]

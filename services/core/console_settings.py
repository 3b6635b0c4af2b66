"""Per-user preferences of the console (not of a workspace): kept beside the workspace, never secret.

The crash-report DSN itself is a secret and lives in the keyring (CONSOLE_SENTRY_DSN under the
pseudo-environment ``_console``); this file only says whether the user opted in.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import tomli_w

from services.core.atomic_file import write_atomically
from services.core.workspace import config_dir

CONSOLE_SCOPE = "_console"
DSN_SECRET = "CONSOLE_SENTRY_DSN"


@dataclass
class ConsoleSettings:
    crash_reports: bool = False
    notifications: bool = True
    update_check: bool = False  # opt-in: ask GitHub Releases for a newer version (it only tells)


def settings_path() -> Path:
    return config_dir() / "console.toml"


def load_settings(path: Path | None = None) -> ConsoleSettings:
    path = path or settings_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ConsoleSettings()  # preferences are optional: a broken file means defaults
    known = {k: v for k, v in raw.items() if k in ConsoleSettings.__dataclass_fields__ and isinstance(v, bool)}
    return ConsoleSettings(**known)


def save_settings(settings: ConsoleSettings, path: Path | None = None) -> None:
    write_atomically(path or settings_path(), tomli_w.dumps(asdict(settings)))

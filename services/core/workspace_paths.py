"""Where the console keeps its files: the OS's config, data, log and cache folders, and which workspace
file a run uses (--workspace, then REALTOR_OPS_WORKSPACE, then the config folder)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "realtor-ops"
WORKSPACE_ENV_VAR = "REALTOR_OPS_WORKSPACE"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_workspace_path() -> Path:
    return config_dir() / "workspace.toml"


def resolve_workspace_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """--workspace beats REALTOR_OPS_WORKSPACE beats the OS config folder."""
    if cli_value:
        return Path(cli_value).expanduser()
    env_value = os.environ.get(WORKSPACE_ENV_VAR)
    if env_value:
        return Path(env_value).expanduser()
    return default_workspace_path()

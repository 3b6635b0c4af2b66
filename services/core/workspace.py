"""The workspace: a typed model of environments and their settings, stored as TOML.

The file never holds a secret (secrets live in the OS keyring, see ``credentials``). It is
schema-versioned and written atomically; a malformed file is reported with its line and field and is
never overwritten.

This module gathers the workspace's three parts under the one name its many callers use
(``from services.core import workspace as ws``): the model and its checks (``workspace_model``), its
TOML form (``workspace_toml``) and where the files are (``workspace_paths``).
"""

from __future__ import annotations

from services.core.workspace_model import (
    R2_STORAGE_CLASSES,
    SCHEMA_VERSION,
    SEED_FEATURES,
    SEED_URLS,
    BackupSettings,
    DatabaseSettings,
    Environment,
    EnvironmentKind,
    ExternalApis,
    Features,
    HealthSettings,
    Profile,
    ProviderSettings,
    RedisSettings,
    RetentionPolicy,
    StorageSettings,
    Workspace,
    WorkspaceInfo,
    profile_note,
    seed_environment,
    shown_field,
    validate,
)
from services.core.workspace_paths import (
    APP_NAME,
    WORKSPACE_ENV_VAR,
    cache_dir,
    config_dir,
    data_dir,
    default_workspace_path,
    log_dir,
    resolve_workspace_path,
)
from services.core.workspace_toml import MAX_NESTING, create, dumps, load, loads, save, to_dict

__all__ = [
    "APP_NAME",
    "MAX_NESTING",
    "R2_STORAGE_CLASSES",
    "SCHEMA_VERSION",
    "SEED_FEATURES",
    "SEED_URLS",
    "WORKSPACE_ENV_VAR",
    "BackupSettings",
    "DatabaseSettings",
    "Environment",
    "EnvironmentKind",
    "ExternalApis",
    "Features",
    "HealthSettings",
    "Profile",
    "ProviderSettings",
    "RedisSettings",
    "RetentionPolicy",
    "StorageSettings",
    "Workspace",
    "WorkspaceInfo",
    "cache_dir",
    "config_dir",
    "create",
    "data_dir",
    "default_workspace_path",
    "dumps",
    "load",
    "loads",
    "log_dir",
    "profile_note",
    "resolve_workspace_path",
    "save",
    "seed_environment",
    "shown_field",
    "to_dict",
    "validate",
]

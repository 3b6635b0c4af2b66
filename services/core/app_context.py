"""What the console and the CLI both start from: the workspace, its secrets, the audit log, the paths.

Built once per process; views and CLI commands receive it and call services with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.core import workspace as ws_mod
from services.core.audit_log import AuditLog
from services.core.credentials import CredentialStore, store_for
from services.core.errors import ConfigError, WorkspaceFileError
from services.core.log_setup import MASKER, SecretMasker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppPaths:
    config: Path
    data: Path
    logs: Path
    cache: Path

    @classmethod
    def from_os(cls) -> AppPaths:
        return cls(ws_mod.config_dir(), ws_mod.data_dir(), ws_mod.log_dir(), ws_mod.cache_dir())

    def all(self) -> list[Path]:
        return [self.config, self.data, self.logs, self.cache]


@dataclass
class AppContext:
    workspace: ws_mod.Workspace
    workspace_path: Path
    credentials: CredentialStore
    audit: AuditLog
    paths: AppPaths
    masker: SecretMasker = field(default=MASKER)
    # Set when the workspace file could not be read; the console shows it and does not overwrite.
    load_error: WorkspaceFileError | ConfigError | None = None

    def save_workspace(self) -> None:
        if self.load_error is not None:
            raise ConfigError(
                "The workspace file could not be read earlier, so it will not be overwritten",
                hint="Fix the file by hand and restart the console",
            )
        ws_mod.save(self.workspace, self.workspace_path)

    def environment(self, name: str) -> ws_mod.Environment:
        return self.workspace.environment(name)


SandboxSecrets = Callable[[ws_mod.Workspace], Mapping[tuple[str, str], str]]


def build_context(workspace: ws_mod.Workspace, workspace_path: Path, *, secrets_from_env: bool = False,
                  paths: AppPaths | None = None, load_error: WorkspaceFileError | ConfigError | None = None,
                  sandbox_secrets: SandboxSecrets | None = None) -> AppContext:
    """The context every operation takes. ``sandbox_secrets`` gives a sandbox workspace its dummy
    credentials (``sandbox.sandbox_secrets``): the sandbox is a consumer of services, so the front end
    that knows about it passes it in."""
    paths = paths or AppPaths.from_os()
    # A run killed while a database client ran may have left that client's password file (only where the
    # OS has no anonymous in-memory files): the next start removes it.
    from services.core.passfile import sweep_dead_passfiles

    sweep_dead_passfiles()
    creds = store_for(workspace.id, secrets_from_env=secrets_from_env)
    if workspace.sandbox and not secrets_from_env and sandbox_secrets is not None:
        from services.core.credentials import CredentialStore

        creds = CredentialStore(workspace.id, defaults=dict(sandbox_secrets(workspace)))
    audit = AuditLog(paths.data / "audit.sqlite3", workspace=workspace.name, mask=MASKER)
    ctx = AppContext(workspace, workspace_path, creds, audit, paths, MASKER, load_error)
    # Follow whichever store the context holds now (the sandbox swaps in its own after start).
    MASKER.add_source(lambda: ctx.credentials.known_values())
    return ctx


def open_workspace(path_arg: str | None = None, *, secrets_from_env: bool = False,
                   sandbox_secrets: SandboxSecrets | None = None) -> AppContext:
    """Load the workspace named by --workspace / REALTOR_OPS_WORKSPACE / the config folder.

    Raises ConfigError when there is none and WorkspaceFileError when it is malformed.
    """
    path = ws_mod.resolve_workspace_path(path_arg)
    workspace = ws_mod.load(path)
    return build_context(workspace, path, secrets_from_env=secrets_from_env, sandbox_secrets=sandbox_secrets)

"""What ``env list`` and ``env remove`` answer, as frozen results that render their own ``--json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.core.app_context import AppContext


@dataclass(frozen=True)
class EnvironmentRow:
    """One environment as ``env list`` shows it: where it points, and the names of its stored secrets."""

    name: str
    kind: str
    app_url: str
    database: str  # host:port/name, or "" when not configured
    redis: str  # host:port, or ""
    backup_bucket: str
    secrets: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "app_url": self.app_url, "database": self.database,
                "redis": self.redis, "backup_bucket": self.backup_bucket, "secrets": list(self.secrets)}


async def list_environments(ctx: AppContext) -> tuple[EnvironmentRow, ...]:
    rows = []
    for env in ctx.workspace.environments.values():
        secrets = await ctx.credentials.anames(env.name)
        rows.append(EnvironmentRow(
            env.name, env.kind.value, env.app_url,
            f"{env.database.host}:{env.database.port}/{env.database.name}" if env.database.configured else "",
            f"{env.redis.host}:{env.redis.port}" if env.redis.configured else "",
            env.backup.bucket, tuple(secrets)))
    return tuple(rows)


@dataclass(frozen=True)
class EnvironmentRemoval:
    """An environment removed from the workspace, with the names of the keyring entries removed with it."""

    environment: str
    secrets_removed: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"removed": self.environment, "secrets_removed": list(self.secrets_removed)}

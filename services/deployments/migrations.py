"""Prisma migration status of an environment: its database's ``_prisma_migrations`` against the
repository's ``prisma/migrations`` (GitHub contents API) or a local folder, plus when the last good
backup was taken (for "Back up now" before migrating)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from services.core.errors import ConfigError, OpsError
from services.core.workspace import Environment
from services.deployments import common
from services.deployments.prisma_status import (
    MigrationStatus,
    classify,
    read_github_folder,
    read_local_folder,
    read_rows,
)
from services.probes.postgres_failures import classify_database

if TYPE_CHECKING:
    from services.core.app_context import AppContext

_LIBPQ = {"sslrootcert", "sslcert", "sslkey", "application_name", "target_session_attrs", "options"}


@dataclass(frozen=True)
class MigrationsRequest:
    environment: str
    migrations_dir: str | None = None  # a local prisma/migrations; None: the repository's, from GitHub
    ref: str | None = None  # the branch or commit to read the folder at (default branch when None)


async def conninfo(ctx: AppContext, env: Environment) -> dict[str, Any]:
    db = env.database
    if not db.configured:
        raise ConfigError(f"No database is configured for {env.name}")
    password = await ctx.credentials.aget(env.name, "DATABASE_PASSWORD")
    info: dict[str, Any] = {
        "host": db.host, "port": db.port, "dbname": db.name, "user": db.user, "sslmode": db.sslmode or "prefer",
        "connect_timeout": 10, "passfile": "/nonexistent", "password": password or "",
    }
    info.update({k: v for k, v in db.params.items() if k in _LIBPQ})
    return info


async def migration_status(ctx: AppContext, request: MigrationsRequest) -> MigrationStatus:
    env = ctx.workspace.environment(request.environment)
    if request.migrations_dir:
        path = await asyncio.to_thread(lambda: Path(request.migrations_dir or "").expanduser())
        folder = await asyncio.to_thread(read_local_folder, path)
        source = str(path)
    else:
        async with await common.github(ctx, env) as client:
            folder = await read_github_folder(client, env.providers.github_repository, ref=request.ref)
        source = f"{env.providers.github_repository}:prisma/migrations" + (f"@{request.ref}" if request.ref else "")
    try:
        rows = await read_rows(await conninfo(ctx, env))
    except psycopg.Error as exc:
        raise classify_database(exc, env.database) from None
    return classify(rows, folder, source=source)


async def applied_since(ctx: AppContext, env: Environment, when: datetime) -> tuple[str, ...]:
    """Migrations whose applied row finished after ``when`` (they stay applied after a rollback)."""
    try:
        rows = await read_rows(await conninfo(ctx, env))
    except psycopg.Error as exc:
        raise classify_database(exc, env.database) from None
    names = [r.migration_name for r in rows or () if r.applied and r.finished_at and r.finished_at > when]
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class LastBackup:
    last_good_at: datetime | None
    sentence: str  # the catalog's freshness sentence, or why it could not be read


async def last_good_backup(ctx: AppContext, env_name: str) -> LastBackup:
    """When the environment's last good backup was taken (the Backups screen's freshness)."""
    env = ctx.workspace.environment(env_name)
    if not env.backup.configured:
        return LastBackup(None, "No backup bucket is configured for this environment")
    from services.backup.catalog import list_backups

    try:
        catalog = await list_backups(ctx, env_name, offline_ok=True)
    except OpsError as exc:  # the migrations screen still shows; the reason goes in the sentence
        return LastBackup(None, f"The backup catalog could not be read: {exc.message}")
    return LastBackup(catalog.freshness.last_good_at, catalog.freshness.sentence)

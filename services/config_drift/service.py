"""``config diff``: per environment, what is configured live next to what the seed prescribes.

Read-only by design: every source is read with GET requests (or S3's lifecycle read), nothing is
changed from here, so a ``viewer`` workspace may run it. Sources are read concurrently; one that fails
is named in its rows and in ``failures`` while the others are shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.config_drift import compare, sources
from services.config_drift.model import ConfigDiffRequest, ConfigReport, SourceFailure
from services.core.concurrency import settle
from services.core.guard import Authorization
from services.core.operation import Progress, operation
from services.core.workspace import Environment

if TYPE_CHECKING:
    from services.core.app_context import AppContext


def _label(env: Environment) -> dict[str, str]:
    p = env.providers
    files = env.storage.files_bucket or "files bucket"
    return {
        "vercel_json": f"vercel.json in {p.github_repository}" if p.github_repository else "vercel.json",
        "workflow": f".github/workflows/backup-{env.name}.yml" + (f" in {p.github_repository}"
                                                                  if p.github_repository else ""),
        "project": f"Vercel project {p.vercel_project_id}" if p.vercel_project_id else "Vercel project",
        "cache": f"Cloudflare cache rules of zone {p.cloudflare_zone_id}" if p.cloudflare_zone_id
        else "Cloudflare cache rules",
        "pooler": f"Supabase pooler of {p.supabase_project_ref}" if p.supabase_project_ref else "Supabase pooler",
        "params": "DATABASE_URL (workspace)",
        "upstash": f"Upstash database {p.upstash_database_id}" if p.upstash_database_id else "Upstash database",
        "backup_rules": f"lifecycle of bucket '{env.backup.bucket}'" if env.backup.bucket else "backup bucket",
        "files_rules": f"lifecycle of bucket '{files}'",
        "page": f"header check of {env.app_url.rstrip('/')}/" if env.app_url else "header check",
    }


@operation
async def config_diff(ctx: AppContext, request: ConfigDiffRequest, authorization: Authorization | None = None,
                      progress: Progress | None = None) -> ConfigReport:
    """Compare one environment's live configuration with the seed. ``authorization`` is not needed:
    nothing is changed."""
    env = ctx.workspace.environment(request.environment)
    names = _label(env)
    readers = {
        "vercel_json": lambda: sources.vercel_json(ctx, env),
        "workflow": lambda: sources.backup_workflow(ctx, env),
        "project": lambda: sources.vercel_project(ctx, env),
        "cache": lambda: sources.cache_rules(ctx, env),
        "pooler": lambda: sources.pooler(ctx, env),
        "params": lambda: sources.database_params(ctx, env),
        "upstash": lambda: sources.upstash_database(ctx, env),
        "backup_rules": lambda: sources.backup_lifecycle(ctx, env),
        "files_rules": lambda: sources.files_lifecycle(ctx, env),
        "page": lambda: sources.front_page(ctx, env),
    }
    keys = list(readers)
    if progress is not None:
        progress.set_total(len(keys))

    async def one(key: str) -> compare.Read:
        result = await sources.guarded(names[key], readers[key])
        if progress is not None:
            progress.advance(1)
        return result

    results = await settle(*(one(k) for k in keys))
    read = dict(zip(keys, results, strict=True))
    items = [
        *compare.functions_items(read["vercel_json"], read["project"]),
        *compare.cache_items(read["cache"]),
        *compare.database_items(read["params"], read["pooler"]),
        *compare.redis_items(read["upstash"]),
        *compare.backup_items(read["workflow"], read["backup_rules"], env.backup.prefix),
        *compare.storage_items(read["files_rules"]),
        *compare.header_items(read["page"]),
    ]
    failures = tuple(SourceFailure(r.source, r.failure) for r in results if r.failure)
    return ConfigReport(env.name, tuple(items), failures)

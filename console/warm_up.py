"""The imports the console does in a worker thread after its first paint, so that the lazy imports inside
views and services later find them loaded instead of stalling the Qt thread (an import holds it 50-500 ms).
"""

from __future__ import annotations

# Two parts: what the workspace and the first screen's reads need (~0.3 s), awaited before the workspace is
# opened; then the rest (the health checks' psycopg, redis and cryptography first), which runs while those
# reads are on the network. Importing everything first held every request back by 0.5-1 s; importing it
# all alongside the reads slowed them as much (two threads that want the GIL take turns in 5 ms slices).
FIRST_READS = (
    "services.core.app_context", "httpx", "services.providers", "services.providers.factory",
    "services.costs.collect", "services.costs.sources.vercel", "services.costs.sources.r2",
    "services.costs.sources.github_actions", "services.costs.sources.supabase", "services.costs.sources.upstash",
    "services.costs.sources.s3_backups", "services.costs.sources.cost_explorer", "services.costs.dashboard",
    "services.timeline", "services.overview.last_known", "services.deployments.summary", "boto3",
    "botocore.session", "services.core.object_storage", "services.backup.catalog",
)
LATER = (
    "services.health.poller", "keyring", "keyring.backends.SecretService", "psycopg", "psycopg_pool",
    "redis.asyncio", "sentry_sdk", "zstandard", "sandbox.runtime", "services.environments.connection_checks",
    "services.environments.drift", "services.environments.env_import", "anyio._backends._asyncio",
    "services.deployments.ci", "services.deployments.migrations", "services.deployments.grade",
    "services.deployments.cache_purge", "views.deployments.view",
)
WARM_MODULES = FIRST_READS + LATER


def warm_up(names: tuple[str, ...] = WARM_MODULES) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - warming is best effort; the real import reports problems
            continue
    if "services.core.object_storage" in names:
        from services.core.object_storage import S3Location, make_client

        make_client(S3Location("http://127.0.0.1:9", "us-east-1", "warm", "warm"))  # loads botocore's S3 model
        from services.providers.http_client import default_ssl_context

        default_ssl_context()  # reading the CA bundle takes ~60 ms

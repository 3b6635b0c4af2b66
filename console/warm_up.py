"""The imports the console does in a worker thread after its first paint, so that the lazy imports inside
views and services later find them loaded instead of stalling the Qt thread (an import holds it 50-500 ms).
"""

from __future__ import annotations

# Three parts. ``first_reads``: what the workspace and the first screen's reads need on the Qt thread (~0.3 s),
# awaited before the workspace is opened. ``later``: the health poller and the database drivers (whose
# checks also import them in a worker thread); it runs while the first reads are on the network.
# ``other_screens``: what the other screens need, once the first one has its answers.
# Importing everything first held every request back by 0.5-1 s; importing it all alongside the first
# reads slowed them about as much (a thread that wants the GIL back waits up to 5 ms each time). One
# exception: the first S3 client (``s3_client``) is built alongside ``first_reads``: the bucket reads
# otherwise went out 0.4 s after the providers' requests, the last of the first screen's reads to go.
FIRST_READS = (
    "services.core.app_context", "httpx", "httpcore", "httpcore._async.connection_pool", "httpcore._async.http11",
    "httpcore._backends.anyio", "anyio._backends._asyncio", "services.providers", "services.providers.factory",
    "services.costs.collect", "services.costs.sources.vercel", "services.costs.sources.r2",
    "services.costs.sources.github_actions", "services.costs.sources.supabase", "services.costs.sources.upstash",
    "services.costs.sources.s3_backups", "services.costs.sources.cost_explorer", "services.costs.dashboard",
    "services.timeline", "services.deployments.ci", "services.overview.last_known", "services.deployments.summary",
    "services.core.object_storage", "services.backup.catalog", "services.backup.attempts", "services.health.history",
    "services.health.names", "services.costs.sources.plans",
)
LATER = (
    "services.health.poller", "keyring", "keyring.backends.SecretService", "psycopg", "psycopg_pool",
    "redis.asyncio",
)
# What the other screens need (~0.2 s): imported once the first screen has its answers (or after
# OTHER_SCREENS_AFTER_S), not while its reads are answered, which it would slow.
OTHER_SCREENS = (
    "sentry_sdk", "zstandard", "sandbox.runtime", "services.environments.connection_checks",
    "services.environments.drift", "services.environments.env_import", "services.environments.import_apply",
    "services.deployments.migrations",
    "services.deployments.grade", "services.deployments.cache_purge", "views.deployments.view",
)
OTHER_SCREENS_AFTER_S = 3.0


def _import_all(names: tuple[str, ...]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - warming is best effort; the real import reports problems
            continue


def first_reads() -> None:
    _import_all(FIRST_READS)
    from services.providers.http_client import default_ssl_context

    default_ssl_context()  # reading the CA bundle takes ~60 ms; every provider client is built with it


def s3_client() -> None:
    """boto3 and botocore's S3 model (~0.2 s of CPU): every bucket read of the first screen (the backup
    cards, the timeline's backups, the costs' bucket sizes) waits for its first client."""
    try:
        from services.core.object_storage import S3Location, make_client

        make_client(S3Location("http://127.0.0.1:9", "us-east-1", "warm", "warm"))
    except Exception:  # noqa: S110 - best effort, as above
        pass


def later() -> None:
    s3_client()  # built already when the console started it alongside the first reads' imports
    _import_all(LATER)


def other_screens() -> None:
    _import_all(OTHER_SCREENS)


def warm_up() -> None:
    """Everything, in one go (benchmarks that time a part of the console as it runs after its start)."""
    first_reads()
    later()
    other_screens()

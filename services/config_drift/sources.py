"""Reading what is configured live, one source at a time. Every reader only reads (GET requests, S3
``GetBucketLifecycleConfiguration``); each returns a :class:`Read` and never raises for a provider's
failure, so one source that is down leaves the others shown."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from services.config_drift.compare.read import Read
from services.core.errors import ConnectionFailure, FailureKind, OpsError
from services.core.object_storage import S3Location, classify, make_client
from services.core.workspace import Environment
from services.providers.factory import TOKEN_SECRETS, client_for

if TYPE_CHECKING:
    from services.core.app_context import AppContext

log = logging.getLogger(__name__)

CACHE_PHASE = "http_request_cache_settings"
FILE_SECRETS = {
    "r2": ("CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
    "aws": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
}


class _Unset(Exception):
    """Nothing to read: the workspace names no such thing, or the provider has none."""


async def guarded(source: str, read: Callable[[], Awaitable[Any]]) -> Read:
    """Run one reader; its typed failure (or an unexpected one, logged) becomes the Read's reason."""
    try:
        return Read(source, value=await read())
    except _Unset as unset:
        return Read(source, unset=str(unset))
    except OpsError as exc:
        return Read(source, failure=exc.sentence())
    except (httpx.HTTPError, OSError) as exc:
        return Read(source, failure=f"the connection failed ({type(exc).__name__})")
    except Exception as exc:  # a reader's bug must not hide the other sources: named, logged
        log.exception("config diff: reading %s failed", source)
        return Read(source, failure=f"an unexpected error ({type(exc).__name__}); details are in the log file")


async def _client(ctx: AppContext, env: Environment, provider: str, what: str) -> Any:
    client = await client_for(ctx, env, provider)
    if client is None:
        raise _Unset(f"No {TOKEN_SECRETS[provider]} is stored for '{env.name}', so {what} cannot be read.")
    return client


# --- GitHub: vercel.json and the backup workflow ----------------------------------------------------


async def repository_file(ctx: AppContext, env: Environment, path: str, missing: str) -> str:
    from services.providers.github_actions import file_text

    repository = env.providers.github_repository
    if not repository:
        raise _Unset(f"No GitHub repository is set for '{env.name}', so its {path} cannot be read.")
    async with await _client(ctx, env, "github", path) as client:
        try:
            return await file_text(client, repository, path)
        except ConnectionFailure as exc:
            if exc.kind == FailureKind.NOT_FOUND:
                raise _Unset(missing) from None
            raise


async def vercel_json(ctx: AppContext, env: Environment) -> dict[str, Any]:
    text = await repository_file(ctx, env, "vercel.json", "The repository has no vercel.json, so the project's "
                                 "defaults apply.")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OpsError(f"vercel.json is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise OpsError("vercel.json is nested too deeply to read") from None
    if not isinstance(body, dict):
        raise OpsError("vercel.json is not a JSON object")
    return body


async def backup_workflow(ctx: AppContext, env: Environment) -> str:
    path = f".github/workflows/backup-{env.name}.yml"
    return await repository_file(ctx, env, path, f"The repository has no {path}, so no scheduled backup runs from "
                                 "GitHub Actions (`backup schedule` writes one; a server's crontab cannot be seen "
                                 "from here).")


# --- Vercel: the project's function defaults ---------------------------------------------------------


async def vercel_project(ctx: AppContext, env: Environment) -> dict[str, Any]:
    project = env.providers.vercel_project_id
    if not project:
        raise _Unset(f"No Vercel project is set for '{env.name}'.")
    async with await _client(ctx, env, "vercel", "the Vercel project") as client:
        body = await client.get_json(f"/v9/projects/{quote(project, safe='')}", params=client._q(),
                                     resource=f"project '{project}'")
    if not isinstance(body, dict):
        raise ConnectionFailure("Vercel's project answer is not an object", kind=FailureKind.PROTOCOL)
    return body


# --- Cloudflare: the zone's cache rules -------------------------------------------------------------


async def cache_rules(ctx: AppContext, env: Environment) -> list[dict[str, Any]]:
    zone = env.providers.cloudflare_zone_id
    if not zone:
        raise _Unset(f"No Cloudflare zone is set for '{env.name}'.")
    async with await _client(ctx, env, "cloudflare", "the cache rules") as client:
        try:
            result, _ = await client._call(
                "GET", f"/zones/{quote(zone, safe='')}/rulesets/phases/{CACHE_PHASE}/entrypoint",
                resource=f"cache rules of zone {zone}")
        except ConnectionFailure as exc:
            # Cloudflare answers 404 "could not find entrypoint ruleset" for a zone without cache rules.
            if exc.kind == FailureKind.NOT_FOUND and "entrypoint" in f"{exc} {exc.detail}".lower():
                return []
            raise
    rules = result.get("rules") if isinstance(result, dict) else None
    if not isinstance(rules, list):
        raise ConnectionFailure("Cloudflare's ruleset answer has no rules list", kind=FailureKind.PROTOCOL)
    return [r for r in rules if isinstance(r, dict)]


# --- Supabase: the pooler; DATABASE_URL's parameters -------------------------------------------------


async def pooler(ctx: AppContext, env: Environment) -> list[dict[str, Any]]:
    ref = env.providers.supabase_project_ref
    if not ref:
        raise _Unset(f"No Supabase project is set for '{env.name}'.")
    async with await _client(ctx, env, "supabase", "the pooler settings") as client:
        body = await client.get_json(f"/v1/projects/{quote(ref, safe='')}/config/database/pooler",
                                     resource=f"pooler settings of project '{ref}'")
    if not isinstance(body, list):
        raise ConnectionFailure("Supabase's pooler answer is not a list", kind=FailureKind.PROTOCOL)
    return body


async def database_params(ctx: AppContext, env: Environment) -> dict[str, str]:
    if not env.database.configured:
        raise _Unset(f"No database is set for '{env.name}'.")
    return dict(env.database.params)


# --- Upstash ---------------------------------------------------------------------------------------


async def upstash_database(ctx: AppContext, env: Environment) -> Any:
    database_id = env.providers.upstash_database_id
    if not database_id:
        raise _Unset(f"No Upstash database is set for '{env.name}'.")
    async with await _client(ctx, env, "upstash", "the Redis database") as client:
        return await client.database(database_id)


# --- buckets' lifecycle rules ---------------------------------------------------------------------


async def backup_lifecycle(ctx: AppContext, env: Environment) -> list[dict[str, Any]]:
    from services.backup.store import store_for

    if not env.backup.configured:
        raise _Unset(f"No backup bucket is set for '{env.name}'.")
    store = await store_for(ctx, env)
    return await asyncio.to_thread(store.get_lifecycle)


async def files_lifecycle(ctx: AppContext, env: Environment) -> list[dict[str, Any]]:
    storage = env.storage
    if not storage.configured or not storage.files_bucket:
        raise _Unset(f"No files bucket is set for '{env.name}'.")
    key_name, secret_name = FILE_SECRETS.get(storage.credentials, FILE_SECRETS["r2"])
    key = await ctx.credentials.aget(env.name, key_name)
    secret = await ctx.credentials.aget(env.name, secret_name)
    if not key or not secret:
        raise _Unset(f"{key_name} and {secret_name} are not stored for '{env.name}', so the files bucket's "
                     "lifecycle cannot be read.")
    location = S3Location(storage.endpoint_url, storage.region, key, secret)
    bucket = storage.files_bucket

    def read() -> list[dict[str, Any]]:
        client = make_client(location, read_timeout=20.0, max_attempts=3)
        try:
            return list(client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", []))
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("NoSuchLifecycleConfiguration", "NoSuchLifecycle"):
                return []
            raise classify(exc, target=location.label, bucket=bucket) from None

    return await asyncio.to_thread(read)


# --- the header check -----------------------------------------------------------------------------


async def front_page(ctx: AppContext, env: Environment, *, timeout: float = 10.0,
                     transport: httpx.AsyncBaseTransport | None = None) -> tuple[Any, dict[str, str]]:
    """The app's front page graded as the Health screen grades it, and its raw headers (lower-case)."""
    from services.health.security_headers import grade_headers

    if not env.app_url:
        raise _Unset(f"No app URL is set for '{env.name}'.")
    url = env.app_url.rstrip("/") + "/"
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True, transport=transport,
                                 headers={"User-Agent": "realtor-ops-console"}) as http:
        try:
            response = await http.get(url)
        except httpx.HTTPError as exc:
            raise ConnectionFailure(f"{url} could not be fetched ({type(exc).__name__})",
                                    kind=FailureKind.UNREACHABLE, target=url) from None
    if response.status_code >= 400:
        raise ConnectionFailure(f"{url} answered {response.status_code}", kind=FailureKind.SERVER_ERROR,
                                target=url, status=response.status_code)
    report = grade_headers(response.headers.multi_items(), url=str(response.url))
    return report, {k.lower(): v for k, v in response.headers.items()}

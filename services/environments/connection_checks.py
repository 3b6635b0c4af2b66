"""Connection tests of an environment: database, direct database, Redis, each bucket, each provider token.

Checks run concurrently, each with its own timeout, and never raise: each returns a
:class:`CheckResult` whose ``kind`` says why it failed (wrong credentials, missing permission, host
unreachable, refused, DNS failure, timeout, TLS failure, wrong database/bucket name, revoked token...)
with a sentence that tells the causes apart. No secret appears in a result.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from services.core.app_context import AppContext
from services.core.concurrency import settle
from services.core.errors import ConnectionFailure, FailureKind, OpsError
from services.core.object_storage import S3Location, classify, make_client
from services.core.workspace import DatabaseSettings, Environment, ProviderSettings, RedisSettings
from services.probes.postgres_failures import PgTarget
from services.probes.postgres_failures import classify_postgres as classify_pg
from services.probes.redis_failures import RedisTarget
from services.probes.redis_failures import classify_redis as classify_redis_failure

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 8.0


@dataclass(frozen=True)
class CheckResult:
    service: str  # "database", "redis", "bucket:files", "provider:vercel", ...
    label: str
    target: str  # what was tried (host:port/db, bucket name, API host); never a secret
    state: Literal["ok", "failed", "skipped"]
    message: str
    kind: FailureKind | None = None
    hint: str | None = None
    latency_ms: float | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def sentence(self) -> str:
        text = self.message
        if self.hint:
            text += ". " + self.hint.rstrip(".")
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "kind": self.kind.value if self.kind else None, "sentence": self.sentence()}


@dataclass(frozen=True)
class ServiceCheck:
    """One check that can run for an environment: its key, its label, and whether it is configured."""

    service: str
    label: str
    configured: bool
    why_not: str = ""


# --- database ------------------------------------------------------------------------------------

# libpq parameters that may appear in a URL's query; Prisma's own (pgbouncer, connection_limit,
# schema, pool_timeout...) are not for libpq and are left out.
_LIBPQ_PARAMS = {"sslrootcert", "sslcert", "sslkey", "application_name", "options", "target_session_attrs",
                 "channel_binding", "gssencmode", "sslnegotiation"}


def database_target(db: DatabaseSettings) -> str:
    return f"{db.host}:{db.port}/{db.name}"


def pg_target(db: DatabaseSettings) -> PgTarget:
    return PgTarget(db.host, db.port, db.name, db.user, db.sslmode or "prefer")


def classify_postgres(exc: BaseException, db: DatabaseSettings) -> ConnectionFailure:
    """A psycopg error as a failure kind with a sentence for people (one classifier for every screen)."""
    return classify_pg(exc, pg_target(db))


async def check_database(db: DatabaseSettings, password: str | None, *, timeout: float = DEFAULT_TIMEOUT,
                         service: str = "database", label: str = "Database") -> CheckResult:
    import psycopg

    target = database_target(db)
    params: dict[str, Any] = {
        "host": db.host, "port": db.port, "dbname": db.name, "user": db.user, "sslmode": db.sslmode or "prefer",
        "connect_timeout": max(1, round(timeout)),
        # Never fall back to a password file or PGPASSWORD: test exactly what is configured.
        "passfile": "/nonexistent", "password": password or "",
    }
    params.update({k: v for k, v in db.params.items() if k in _LIBPQ_PARAMS})
    started = time.perf_counter()
    try:
        conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(autocommit=True, **params), timeout)
        async with conn:
            cur = await conn.execute("SELECT current_setting('server_version'), current_user, current_database(),"
                                     " current_setting('max_connections')::int,"
                                     " (SELECT count(*) FROM pg_stat_activity)")
            row = await cur.fetchone()
    except (TimeoutError, psycopg.Error) as exc:
        return _failed(service, label, target, classify_postgres(exc, db), started)
    assert row is not None
    version, user, name, max_conn, active = row
    return CheckResult(service, label, target, "ok",
                       f"Connected as {user} to {name} (PostgreSQL {version}); {active} of {max_conn} "
                       "connections in use", latency_ms=_ms(started))


# --- Redis ---------------------------------------------------------------------------------------


def redis_target(r: RedisSettings) -> str:
    return f"{'rediss' if r.tls else 'redis'}://{r.host}:{r.port}/{r.db}"


def redis_probe_target(r: RedisSettings) -> RedisTarget:
    return RedisTarget(r.host, r.port, r.db, r.username, r.tls)


def classify_redis(exc: BaseException, r: RedisSettings) -> ConnectionFailure:
    return classify_redis_failure(exc, redis_probe_target(r))


async def check_redis(r: RedisSettings, password: str | None, *, timeout: float = DEFAULT_TIMEOUT) -> CheckResult:
    import redis.asyncio as aredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    target = redis_target(r)
    started = time.perf_counter()
    client = aredis.Redis(host=r.host, port=r.port, db=r.db, username=r.username or None,
                          password=password or None, ssl=r.tls, socket_connect_timeout=timeout,
                          socket_timeout=timeout, retry=Retry(NoBackoff(), 0))
    try:
        await asyncio.wait_for(client.ping(), timeout)
        info = await asyncio.wait_for(client.info("server"), timeout)
    except Exception as exc:
        return _failed("redis", "Redis", target, classify_redis(exc, r), started)
    finally:
        try:
            await client.aclose()
        except Exception:  # noqa: S110 - closing a broken connection may fail too
            pass
    version = info.get("redis_version", "?") if isinstance(info, dict) else "?"
    return CheckResult("redis", "Redis", target, "ok", f"PING answered by Redis {version}", latency_ms=_ms(started))


# --- buckets -------------------------------------------------------------------------------------


async def check_bucket(loc: S3Location, bucket: str, *, service: str, label: str,
                       timeout: float = DEFAULT_TIMEOUT) -> CheckResult:
    target = f"{bucket} at {loc.label}"
    if not (loc.access_key_id and loc.secret_access_key):
        failure = ConnectionFailure(f"No access key is stored for {loc.label}", kind=FailureKind.AUTH,
                                    target=target, hint="Add the access key id and secret to the environment")
        return _failed(service, label, target, failure, time.perf_counter())
    started = time.perf_counter()

    def head() -> None:
        client = make_client(loc, connect_timeout=timeout, read_timeout=timeout, max_attempts=1)
        client.head_bucket(Bucket=bucket)

    try:
        await asyncio.wait_for(asyncio.to_thread(head), timeout + 2)
    except TimeoutError:
        failure = ConnectionFailure(f"{loc.label} did not answer within {timeout:g} s (timeout)",
                                    kind=FailureKind.TIMEOUT, target=target)
        return _failed(service, label, target, failure, started)
    except Exception as exc:
        failure = classify(exc, target=loc.label, bucket=bucket)
        if failure.kind == FailureKind.NOT_FOUND:
            failure = ConnectionFailure(f"There is no bucket named '{bucket}' at {loc.label}",
                                        kind=FailureKind.NOT_FOUND, target=target,
                                        hint="Check the bucket name in the environment's settings")
        elif failure.kind == FailureKind.PROTOCOL and isinstance(exc, Exception) and "403" in str(exc):
            failure = ConnectionFailure(f"The access key may not read bucket '{bucket}' at {loc.label}",
                                        kind=FailureKind.PERMISSION, target=target,
                                        hint="Grant the key access to the bucket, or check the key")
        return _failed(service, label, target, failure, started)
    return CheckResult(service, label, target, "ok", f"Bucket '{bucket}' is reachable", latency_ms=_ms(started))


# --- provider tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSpec:
    key: str  # ProviderSettings.api_base key, and services.providers.CLIENTS key
    label: str
    secret: str
    check_kwargs: Callable[[ProviderSettings], dict[str, Any]]
    requires: Callable[[ProviderSettings], str] = lambda p: ""  # why it cannot run ("" = it can)


PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec("vercel", "Vercel", "VERCEL_TOKEN", lambda p: {"project": p.vercel_project_id or None}),
    ProviderSpec("github", "GitHub", "GITHUB_TOKEN", lambda p: {"repository": p.github_repository or None}),
    ProviderSpec("supabase", "Supabase", "SUPABASE_ACCESS_TOKEN",
                 lambda p: {"project_ref": p.supabase_project_ref or None}),
    ProviderSpec("cloudflare", "Cloudflare", "CLOUDFLARE_API_TOKEN", lambda p: {"zone_id": p.cloudflare_zone_id or None}),
    ProviderSpec("sentry", "Sentry", "SENTRY_AUTH_TOKEN",
                 lambda p: {"org": p.sentry_org, "project": p.sentry_project or None},
                 lambda p: "" if p.sentry_org else "no Sentry organization is set"),
    ProviderSpec("betterstack", "Better Stack", "BETTERSTACK_API_TOKEN", lambda p: {}),
    ProviderSpec("upstash", "Upstash", "UPSTASH_API_KEY", lambda p: {},
                 lambda p: "" if p.upstash_email else "no Upstash account e-mail is set"),
)


async def check_provider(spec: ProviderSpec, providers: ProviderSettings, token: str, *,
                         timeout: float = DEFAULT_TIMEOUT, verify: bool | ssl.SSLContext = True) -> CheckResult:
    from services.providers.factory import build_client
    from services.providers.http_policy import RetryPolicy, Timeouts

    service, label = f"provider:{spec.key}", f"{spec.label} token"
    started = time.perf_counter()
    kwargs = spec.check_kwargs(providers)
    client = build_client(providers, spec.key, token, verify=verify, retry=RetryPolicy(max_attempts=1),
                          timeouts=Timeouts(connect=timeout, read=timeout, write=timeout, pool=timeout))
    target = client.host
    try:
        async with client:
            # Each client's check_token takes its own identity arguments (project, org, zone…).
            answer = await asyncio.wait_for(client.check_token(**kwargs), timeout + 2)  # type: ignore[attr-defined]
    except TimeoutError:
        failure = ConnectionFailure(f"{spec.label} did not answer within {timeout:g} s (timeout)",
                                    kind=FailureKind.TIMEOUT, target=target)
        return _failed(service, label, target, failure, started)
    except ConnectionFailure as raised:
        failure = raised
        if raised.kind == FailureKind.AUTH and raised.status == 401:
            failure = ConnectionFailure(f"{spec.label} rejected the token: it is wrong, expired or revoked",
                                        kind=FailureKind.AUTH, target=target, status=401, detail=raised.detail,
                                        hint=f"Create a new {spec.label} token and save it as {spec.secret}")
        return _failed(service, label, target, failure, started)
    except OpsError as exc:
        failure = ConnectionFailure(exc.message, kind=FailureKind.PROTOCOL, target=target, hint=exc.hint)
        return _failed(service, label, target, failure, started)
    note = f" ({answer.note})" if getattr(answer, "note", "") else ""
    return CheckResult(service, label, target, "ok", f"{spec.label} token works for {answer.subject}{note}",
                       latency_ms=_ms(started))


# --- the environment as a whole --------------------------------------------------------------------


def storage_location(env: Environment, secrets: dict[str, str | None], *, backup: bool) -> S3Location:
    block = env.backup if backup else env.storage
    pair = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if block.credentials == "aws" else (
        "CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY")
    return S3Location(block.endpoint_url, block.region, secrets.get(pair[0]), secrets.get(pair[1]))


def services_of(env: Environment, secret_names: Iterable[str]) -> list[ServiceCheck]:
    """Every check this environment could run, with whether it is configured enough to run."""
    names = set(secret_names)
    out = [
        ServiceCheck("database", "Database", env.database.configured, "no database host is set"),
        ServiceCheck("direct_database", "Direct database", env.direct_database.configured, "no DIRECT_URL is set"),
        ServiceCheck("redis", "Redis", env.redis.configured, "no Redis host is set"),
    ]
    if env.storage.configured:
        for role, bucket in env.storage.buckets().items():
            out.append(ServiceCheck(f"bucket:{role}", f"{role.capitalize()} bucket", bool(bucket),
                                    "no bucket name is set"))
    else:
        out.append(ServiceCheck("bucket:files", "Files bucket", False, "no storage endpoint is set"))
    out.append(ServiceCheck("bucket:backups", "Backups bucket", env.backup.configured, "no backup bucket is set"))
    for spec in PROVIDERS:
        missing = spec.requires(env.providers)
        configured = spec.secret in names and not missing
        out.append(ServiceCheck(f"provider:{spec.key}", f"{spec.label} token", configured,
                                missing or f"no {spec.secret} is stored"))
    return out


async def run_checks(ctx: AppContext, env_name: str, *, services: Iterable[str] | None = None,
                     timeout: float = DEFAULT_TIMEOUT, include_unconfigured: bool = False,
                     verify: bool | ssl.SSLContext = True) -> list[CheckResult]:
    """Run the environment's checks (all configured ones, or those named) concurrently."""
    env = ctx.environment(env_name)
    creds = ctx.credentials
    names = await creds.anames(env_name)
    wanted = set(services) if services is not None else None
    plan = [s for s in services_of(env, names) if wanted is None or s.service in wanted]
    secret_names = {"DATABASE_PASSWORD", "DIRECT_DATABASE_PASSWORD", "REDIS_PASSWORD", "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY", "CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY",
                    *(p.secret for p in PROVIDERS)}
    needed = sorted(n for n in secret_names if n in names)
    values = await settle(*(creds.aget(env_name, n) for n in needed))
    secrets: dict[str, str | None] = dict(zip(needed, values, strict=True))

    jobs: list[Awaitable[CheckResult]] = []
    for item in plan:
        if not item.configured:
            if include_unconfigured or (wanted is not None and item.service in wanted):
                jobs.append(_const(CheckResult(item.service, item.label, "", "skipped",
                                               f"Not tested: {item.why_not}")))
            continue
        jobs.append(_one(item, env, secrets, timeout, verify))
    return list(await settle(*jobs))


async def _const(result: CheckResult) -> CheckResult:
    return result


async def _one(item: ServiceCheck, env: Environment, secrets: dict[str, str | None], timeout: float,
               verify: bool | ssl.SSLContext) -> CheckResult:
    try:
        if item.service == "database":
            return await check_database(env.database, secrets.get("DATABASE_PASSWORD"), timeout=timeout)
        if item.service == "direct_database":
            return await check_database(env.direct_database, secrets.get("DIRECT_DATABASE_PASSWORD"),
                                        timeout=timeout, service="direct_database", label="Direct database")
        if item.service == "redis":
            return await check_redis(env.redis, secrets.get("REDIS_PASSWORD"), timeout=timeout)
        if item.service == "bucket:backups":
            return await check_bucket(storage_location(env, secrets, backup=True), env.backup.bucket,
                                      service=item.service, label=item.label, timeout=timeout)
        if item.service.startswith("bucket:"):
            role = item.service.split(":", 1)[1]
            return await check_bucket(storage_location(env, secrets, backup=False), env.storage.buckets()[role],
                                      service=item.service, label=item.label, timeout=timeout)
        if item.service.startswith("provider:"):
            spec = next(p for p in PROVIDERS if f"provider:{p.key}" == item.service)
            token = secrets.get(spec.secret) or ""
            return await check_provider(spec, env.providers, token, timeout=timeout, verify=verify)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("connection check %s failed unexpectedly", item.service)
        return CheckResult(item.service, item.label, "", "failed", "The check failed unexpectedly; see the log",
                           kind=FailureKind.PROTOCOL, detail=type(exc).__name__)
    return CheckResult(item.service, item.label, "", "skipped", "Unknown check")


# --- helpers -------------------------------------------------------------------------------------


def _failed(service: str, label: str, target: str, failure: ConnectionFailure, started: float) -> CheckResult:
    return CheckResult(service, label, target, "failed", failure.message, kind=failure.kind, hint=failure.hint,
                       latency_ms=_ms(started), detail=failure.detail)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)

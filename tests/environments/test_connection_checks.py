"""Connection tests against real servers and the provider stand-ins: each real failure cause gets its
own kind and its own sentence; checks run concurrently, each within its timeout."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from sandbox.provider_standins import vercel
from sandbox.provider_standins.catalog import SANDBOX_SECRETS, sandbox_identities
from services.core.app_context import AppContext
from services.core.errors import FailureKind
from services.core.object_storage import S3Location, make_client
from services.core.workspace import DatabaseSettings, ProviderSettings, RedisSettings
from services.environments.connection_checks import (
    PROVIDERS,
    CheckResult,
    check_bucket,
    check_database,
    check_provider,
    check_redis,
    run_checks,
)
from tests.environments.conftest import PasswordPostgres, PasswordRedis

VERCEL = next(p for p in PROVIDERS if p.key == "vercel")


def _db(pg: PasswordPostgres, **kw: Any) -> DatabaseSettings:
    base = {"host": pg.host, "port": pg.port, "name": pg.database, "user": pg.user, "sslmode": "disable"}
    return DatabaseSettings(**{**base, **kw})


def _vercel_settings(base_url: str) -> ProviderSettings:
    settings = ProviderSettings(**sandbox_identities("production"))
    settings.api_base = {"vercel": base_url}
    return settings


async def _cause(name: str, pg: PasswordPostgres, rd: PasswordRedis, blackhole: int, closed: int, https: str,
                 s3: S3Location, bucket: str, standins: Any) -> CheckResult:
    vercel_url = standins.servers["vercel"].base_url
    if name == "wrong database password":
        return await check_database(_db(pg), "wrong-password", timeout=5)
    if name == "no database password stored":
        return await check_database(_db(pg), None, timeout=5)
    if name == "unknown database host":
        return await check_database(_db(pg, host="db.realtor-nowhere.invalid"), pg.password, timeout=5)
    if name == "refused database port":
        return await check_database(_db(pg, port=closed), pg.password, timeout=5)
    if name == "database timeout":
        return await check_database(_db(pg, port=blackhole), pg.password, timeout=1)
    if name == "database TLS refused":
        return await check_database(_db(pg, sslmode="require"), pg.password, timeout=5)
    if name == "wrong database name":
        return await check_database(_db(pg, name="realtor_typo"), pg.password, timeout=5)
    if name == "database permission missing":
        return await check_database(_db(pg, user=pg.locked_user), pg.password, timeout=5)
    if name == "wrong Redis password":
        return await check_redis(RedisSettings(host="127.0.0.1", port=rd.port), "not-it", timeout=5)
    if name == "Redis timeout":
        return await check_redis(RedisSettings(host="127.0.0.1", port=blackhole), None, timeout=1)
    if name == "missing bucket":
        return await check_bucket(s3, f"{bucket}-missing", service="bucket:files", label="Files bucket", timeout=5)
    if name == "refused storage port":
        refused = S3Location(f"http://127.0.0.1:{closed}", "us-east-1", "k", "s")
        return await check_bucket(refused, bucket, service="bucket:files", label="Files bucket", timeout=3)
    if name == "storage TLS failure":
        bad = S3Location(s3.endpoint_url.replace("http://", "https://"), "us-east-1", "k", "s")
        return await check_bucket(bad, bucket, service="bucket:files", label="Files bucket", timeout=5)
    if name == "revoked token":
        return await check_provider(VERCEL, _vercel_settings(vercel_url), vercel.REVOKED_TOKEN, timeout=5)
    if name == "token lacks permission":
        return await check_provider(VERCEL, _vercel_settings(vercel_url), vercel.LIMITED_TOKEN, timeout=5)
    if name == "provider TLS failure":
        return await check_provider(VERCEL, _vercel_settings(https), vercel.TOKEN, timeout=5)
    if name == "unknown provider host":
        return await check_provider(VERCEL, _vercel_settings("https://api.realtor-nowhere.invalid"), vercel.TOKEN,
                                    timeout=5)
    raise AssertionError(name)


# cause -> (kind, words the sentence must contain)
FAILURE_TABLE: dict[str, tuple[FailureKind, str]] = {
    "wrong database password": (FailureKind.AUTH, "rejected the password for user 'app'"),
    "no database password stored": (FailureKind.AUTH, "asks for a password and none is stored"),
    "unknown database host": (FailureKind.DNS, "could not be resolved (DNS failure)"),
    "refused database port": (FailureKind.REFUSED, "(connection refused)"),
    "database timeout": (FailureKind.TIMEOUT, "did not answer in time (timeout)"),
    "database TLS refused": (FailureKind.TLS, "does not offer TLS, but sslmode=require requires it"),
    "wrong database name": (FailureKind.NOT_FOUND, "has no database named 'realtor_typo'"),
    "database permission missing": (FailureKind.PERMISSION, "may not connect to database 'realtor'"),
    "wrong Redis password": (FailureKind.AUTH, "Redis at 127.0.0.1"),
    "Redis timeout": (FailureKind.TIMEOUT, "Redis at 127.0.0.1"),
    "missing bucket": (FailureKind.NOT_FOUND, "There is no bucket named"),
    "refused storage port": (FailureKind.REFUSED, "refused the connection"),
    "storage TLS failure": (FailureKind.TLS, "TLS handshake"),
    "revoked token": (FailureKind.AUTH, "rejected the token: it is wrong, expired or revoked"),
    "token lacks permission": (FailureKind.PERMISSION, "lacks permission"),
    "provider TLS failure": (FailureKind.TLS, "certificate is not trusted"),
    "unknown provider host": (FailureKind.DNS, "could not be resolved (DNS failure)"),
}


def test_each_real_failure_cause_has_its_own_kind_and_message(
        password_pg: PasswordPostgres, password_redis: PasswordRedis, blackhole_port: int, closed_port: int,
        self_signed_https: str, s3_location: S3Location, s3_bucket: str, standins: Any) -> None:
    async def all_causes() -> dict[str, CheckResult]:
        names = list(FAILURE_TABLE)
        results = await asyncio.gather(*(
            _cause(n, password_pg, password_redis, blackhole_port, closed_port, self_signed_https, s3_location,
                   s3_bucket, standins) for n in names))
        return dict(zip(names, results, strict=True))

    started = time.perf_counter()
    results = asyncio.run(all_causes())
    elapsed = time.perf_counter() - started
    problems = []
    for name, (kind, words) in FAILURE_TABLE.items():
        result = results[name]
        if result.state != "failed" or result.kind != kind or words not in result.message:
            problems.append(f"{name}: got {result.state}/{result.kind}: {result.message}")
    assert problems == []
    messages = [results[n].sentence() for n in FAILURE_TABLE]
    assert len(set(messages)) == len(messages), "two causes share a message"
    for result in results.values():
        assert "wrong-password" not in result.sentence() and password_pg.password not in (result.detail or "")
    assert elapsed < 12, f"checks did not run concurrently ({elapsed:.1f} s)"


def test_good_credentials_pass(password_pg: PasswordPostgres, password_redis: PasswordRedis,
                               s3_location: S3Location, s3_bucket: str, standins: Any) -> None:
    async def run() -> list[CheckResult]:
        return list(await asyncio.gather(
            check_database(_db(password_pg), password_pg.password, timeout=5),
            check_redis(RedisSettings(host="127.0.0.1", port=password_redis.port), password_redis.password,
                        timeout=5),
            check_bucket(s3_location, s3_bucket, service="bucket:files", label="Files bucket", timeout=5),
            check_provider(VERCEL, _vercel_settings(standins.servers["vercel"].base_url), vercel.TOKEN, timeout=5),
        ))

    results = asyncio.run(run())
    assert [r.state for r in results] == ["ok"] * 4, [r.message for r in results]
    assert "Connected as app to realtor" in results[0].message
    assert "Vercel token works for project" in results[3].message


@pytest.fixture
def configured(ctx: AppContext, password_pg: PasswordPostgres, redis_url: str, s3_location: S3Location,
               standins: Any) -> AppContext:
    """Staging pointed at real servers, its secrets in the real keyring."""
    env = ctx.environment("staging")
    env.database = _db(password_pg)
    env.redis = RedisSettings(host="127.0.0.1", port=int(redis_url.rsplit(":", 1)[1].split("/")[0]), db=0)
    client = make_client(s3_location)
    suffix = uuid.uuid4().hex[:8]
    env.storage.endpoint_url = s3_location.endpoint_url
    env.storage.region = "us-east-1"
    for role in ("files", "images", "documents"):
        setattr(env.storage, f"{role}_bucket", f"realtor-{role}-{suffix}")
        client.create_bucket(Bucket=f"realtor-{role}-{suffix}")
    env.backup.endpoint_url = s3_location.endpoint_url
    env.backup.bucket = f"realtor-backups-{suffix}"
    client.create_bucket(Bucket=env.backup.bucket)
    env.providers = ProviderSettings(**sandbox_identities("staging"))
    env.providers.api_base = dict(standins.api_base)
    ctx.save_workspace()
    secrets = {"DATABASE_PASSWORD": password_pg.password, "CLOUDFLARE_R2_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
               "CLOUDFLARE_R2_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY, "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
               "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY, **SANDBOX_SECRETS}
    for name, value in secrets.items():
        ctx.credentials.set("staging", name, value)
    return ctx


def test_an_environment_checks_every_service_concurrently(configured: AppContext) -> None:
    results = asyncio.run(run_checks(configured, "staging", timeout=5))
    by_service = {r.service: r for r in results}
    expected = {"database", "redis", "bucket:files", "bucket:images", "bucket:documents", "bucket:backups",
                *(f"provider:{p.key}" for p in PROVIDERS)}
    assert set(by_service) == expected
    assert {s: r.state for s, r in by_service.items() if r.state != "ok"} == {}, \
        {s: r.message for s, r in by_service.items() if r.state != "ok"}


def test_timeouts_run_side_by_side(configured: AppContext, blackhole_port: int) -> None:
    env = configured.environment("staging")
    env.database.port = blackhole_port
    env.redis.port = blackhole_port
    env.providers.api_base = {k: f"http://127.0.0.1:{blackhole_port}" for k in env.providers.api_base}
    started = time.perf_counter()
    results = asyncio.run(run_checks(configured, "staging", timeout=1.5,
                                     services=["database", "redis", "provider:vercel", "provider:github"]))
    elapsed = time.perf_counter() - started
    assert [r.kind for r in results] == [FailureKind.TIMEOUT] * 4, [r.message for r in results]
    assert elapsed < 4.5, f"four 1.5 s timeouts took {elapsed:.1f} s: not concurrent"


def test_unconfigured_services_are_skipped_with_a_reason(ctx: AppContext) -> None:
    results = asyncio.run(run_checks(ctx, "production", include_unconfigured=True))
    assert results and all(r.state == "skipped" for r in results)
    assert any(r.service == "database" and "no database host" in r.message for r in results)
    assert any(r.service == "provider:vercel" and "no VERCEL_TOKEN is stored" in r.message for r in results)

"""Drift between two sandbox environments, against the seed's template, and against Vercel's env vars."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.provider_standins import vercel
from sandbox.provider_standins.catalog import sandbox_identities
from sandbox.runtime import SandboxRuntime
from services.core.app_context import AppContext, AppPaths, build_context
from services.core.credentials import CredentialStore
from services.core.workspace import DatabaseSettings, RedisSettings
from services.environments.drift import Fingerprinter, diff_environments
from tests.environments.conftest import cleanup_keyring


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRuntime]:
    runtime = SandboxRuntime(tmp_path_factory.mktemp("sandbox"))
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


@pytest.fixture
def sandbox_ctx(sandbox: SandboxRuntime, app_dirs: dict[str, Path]) -> Iterator[AppContext]:
    workspace = copy.deepcopy(sandbox.workspace)
    ctx = build_context(workspace, app_dirs["config"] / "sandbox.toml", paths=AppPaths.from_os())
    # The sandbox's own secrets, under a random keyring service so nothing of a real sandbox is touched.
    ctx.credentials = sandbox.credentials(f"test-{uuid.uuid4().hex}")
    yield ctx
    cleanup_keyring(ctx.credentials, list(workspace.environments))


def test_two_sandbox_environments_differing_in_three_known_ways(sandbox_ctx: AppContext) -> None:
    ctx = sandbox_ctx
    # The seed gives staging testIntegrations and production not; plant two more differences.
    ctx.credentials.set("staging", "MLS_API_KEY", f"mls-{uuid.uuid4().hex}")
    ctx.credentials.set("staging", "RESEND_API_KEY", f"re-staging-{uuid.uuid4().hex}")
    ctx.credentials.set("production", "RESEND_API_KEY", f"re-production-{uuid.uuid4().hex}")

    report = asyncio.run(diff_environments(ctx, "staging", "production", with_vercel=False))
    drift = {(i.category, i.key, i.a, i.b) for i in report.between.drift}
    assert drift == {
        ("presence", "MLS_API_KEY", "set", "not set"),
        ("value", "RESEND_API_KEY", "set", "set"),
        ("flag", "testIntegrations", "on", "off"),
    }
    # What differs by nature (URL, database, buckets) is listed as expected, not as drift.
    expected = {i.key for i in report.between.items if not i.drift}
    assert {"NEXT_PUBLIC_APP_URL", "DATABASE_URL", "BACKUP_BUCKET_NAME", "CLOUDFLARE_R2_BUCKET_NAME"} <= expected
    # No value is shown, only words.
    shown = repr(report)
    for name in ("MLS_API_KEY", "RESEND_API_KEY"):
        for env in ("staging", "production"):
            value = ctx.credentials.get(env, name)
            assert value is None or value not in shown


def test_each_environment_against_the_template(sandbox_ctx: AppContext) -> None:
    report = asyncio.run(diff_environments(sandbox_ctx, "staging", "production", with_vercel=False))
    template = report.sections[1]
    missing = {i.key for i in template.items}
    # The sandbox configures URLs, database, Redis, buckets and storage keys; the app's secrets are not set.
    assert "DATABASE_URL" not in missing and "CLOUDFLARE_R2_ACCESS_KEY_ID" not in missing
    assert {"NEXTAUTH_SECRET", "JWT_SECRET", "ENCRYPTION_KEY", "MLS_API_KEY"} <= missing
    assert "DIRECT_URL" in missing


def test_fingerprints_are_keyed_per_workspace(sandbox_ctx: AppContext) -> None:
    first = Fingerprinter.for_store(sandbox_ctx.credentials)
    again = Fingerprinter.for_store(sandbox_ctx.credentials)
    assert first("x") == again("x") and len(first("x")) == 16
    other_store = CredentialStore(f"test-{uuid.uuid4().hex}")
    other = Fingerprinter.for_store(other_store)
    assert other("x") != first("x")
    cleanup_keyring(other_store, [])
    assert "key" not in repr(first).replace("<key hidden>", "")


def test_against_vercel_per_target(ctx: AppContext, standins: Any) -> None:
    env = ctx.environment("production")
    for field, value in sandbox_identities("production").items():
        setattr(env.providers, field, value)
    env.providers.api_base = {"vercel": standins.servers["vercel"].base_url}
    env.database = DatabaseSettings(host="db.realtor.internal", port=6543, name="postgres", user="postgres.prod")
    env.redis = RedisSettings(host="realtor-cache.upstash.io", port=6379, username="default", tls=True)
    env.providers.vercel_analytics_id = "va_not_the_same"
    ctx.credentials.set("production", "VERCEL_TOKEN", vercel.TOKEN)
    ctx.credentials.set("production", "DATABASE_PASSWORD", "sandbox")  # same URL as Vercel's
    ctx.credentials.set("production", "REDIS_PASSWORD", "not-sandbox")  # differs
    ctx.credentials.set("production", "RESEND_API_KEY", "re_sandbox_resend")  # same
    ctx.credentials.set("production", "JWT_SECRET", "only-here")
    ctx.credentials.set("production", "MLS_API_KEY", "mls-local")  # Vercel keeps it sensitive

    report = asyncio.run(diff_environments(ctx, "staging", "production"))
    sections = {s.title: s for s in report.sections}
    section = sections["production ↔ Vercel (production)"]
    assert section.error == ""
    items = {i.key: i for i in section.items}
    assert items["REDIS_URL"].note.startswith("value differs")
    assert items["VERCEL_ANALYTICS_ID"].note.startswith("value differs")
    assert "DATABASE_URL" not in items and "RESEND_API_KEY" not in items and "SENTRY_DSN" in items
    assert items["MLS_API_KEY"].drift is False and "not compared" in items["MLS_API_KEY"].note
    assert items["JWT_SECRET"].b == "missing"
    assert items["CLOUDFLARE_R2_BUCKET"].a == "not set"  # Vercel's own name for what we call ..._BUCKET_NAME
    assert "staging ↔ Vercel (preview)" not in sections  # no Vercel token for staging

    # A revoked token: the comparison says why it could not be made.
    ctx.credentials.set("production", "VERCEL_TOKEN", vercel.REVOKED_TOKEN)
    report = asyncio.run(diff_environments(ctx, "staging", "production"))
    broken = next(s for s in report.sections if "Vercel" in s.title)
    assert "rejected the token" in broken.error

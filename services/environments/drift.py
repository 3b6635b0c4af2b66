"""Drift: how two environments differ, how each differs from the seed's template, and from Vercel.

Environments are compared as the ``.env`` variables they amount to (settings, and secret names from
the keyring). Values are compared by fingerprint — HMAC-SHA256 under a per-workspace key kept in the
keyring, truncated — and never shown. Keys whose value belongs to one environment by nature (its URL,
database, buckets, connection passwords) are expected to differ and are not counted as drift.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import secrets as pysecrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from services.core.app_context import AppContext
from services.core.concurrency import settle
from services.core.credentials import CredentialStore
from services.core.errors import KeyringUnavailableError, OpsError
from services.core.workspace import Environment, EnvironmentKind, Features
from services.environments.env_export import full_variables, setting_variables
from services.environments.env_variables import (
    IMPORTED_SECRETS,
    TEMPLATE_SECTIONS,
    TEMPLATE_VARIABLES,
    URL_VARIABLES,
)

log = logging.getLogger(__name__)

FINGERPRINT_SCOPE = "__workspace__"
FINGERPRINT_SECRET = "FINGERPRINT_KEY"
FINGERPRINT_HEX = 16

# Keys whose value is the environment's own by nature: a difference is expected, not drift.
PER_ENVIRONMENT: frozenset[str] = frozenset({
    "NEXT_PUBLIC_APP_URL", "NEXT_PUBLIC_APP_ENV", "NEXTAUTH_URL", "DATABASE_URL", "DIRECT_URL", "REDIS_URL",
    "DATABASE_PASSWORD", "DIRECT_DATABASE_PASSWORD", "REDIS_PASSWORD", "CLOUDFLARE_R2_BUCKET_NAME",
    "BACKUP_BUCKET_NAME", "SUPABASE_PROJECT_REF", "CLOUDFLARE_ZONE_ID",
})

# Variables the platform itself reads (so Vercel's project should have them); the rest are the console's.
APP_VARIABLES: tuple[str, ...] = tuple(n for title, names in TEMPLATE_SECTIONS if title != "Backups" for n in names)

VERCEL_TARGETS: dict[EnvironmentKind, str] = {
    EnvironmentKind.PRODUCTION: "production",
    EnvironmentKind.STAGING: "preview",
    EnvironmentKind.DEVELOPMENT: "development",
    EnvironmentKind.OTHER: "preview",
}

Category = Literal["presence", "value", "flag", "template", "vercel"]


class Fingerprinter:
    """HMAC-SHA256 of values under a per-workspace key, truncated. The key never leaves the keyring."""

    _ephemeral: dict[str, bytes] = {}

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str) -> str:
        return hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:FINGERPRINT_HEX]

    def __repr__(self) -> str:
        return "Fingerprinter(<key hidden>)"

    @classmethod
    def for_store(cls, creds: CredentialStore) -> Fingerprinter:
        """The workspace's key from the keyring, created on first use. When the keyring cannot hold it
        (--secrets-from-env, sandbox without keyring) a key for this process only is used."""
        try:
            stored = creds.get(FINGERPRINT_SCOPE, FINGERPRINT_SECRET)
            if not stored:
                stored = pysecrets.token_hex(32)
                creds.set(FINGERPRINT_SCOPE, FINGERPRINT_SECRET, stored)
            return cls(bytes.fromhex(stored))
        except (KeyringUnavailableError, ValueError):
            key = cls._ephemeral.setdefault(creds.service, pysecrets.token_bytes(32))
            return cls(key)


@dataclass(frozen=True)
class DriftItem:
    category: Category
    key: str
    a: str  # a word for the first side: "set", "not set", "on", "off", a setting's value, "fingerprint differs"
    b: str
    note: str
    drift: bool = True


@dataclass
class DriftSection:
    title: str
    left: str
    right: str
    items: list[DriftItem] = field(default_factory=list)
    error: str = ""  # when this comparison could not be made (e.g. Vercel unreachable)

    @property
    def drift(self) -> list[DriftItem]:
        return [i for i in self.items if i.drift]

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "left": self.left, "right": self.right, "error": self.error,
                "items": [dataclasses.asdict(i) for i in self.items]}


@dataclass
class DriftReport:
    a: str
    b: str
    sections: list[DriftSection] = field(default_factory=list)

    @property
    def between(self) -> DriftSection:
        return self.sections[0]

    @property
    def drift_count(self) -> int:
        return sum(len(s.drift) for s in self.sections)

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "drift_count": self.drift_count,
                "sections": [s.to_json() for s in self.sections]}


@dataclass(frozen=True)
class EnvSnapshot:
    """An environment as keys, a kind per key, fingerprints of the values, displayable setting values."""

    name: str
    kind: EnvironmentKind
    fingerprints: Mapping[str, str]
    secret_keys: frozenset[str]
    shown: Mapping[str, str]  # settings only (never secrets)
    features: Features


async def snapshot(ctx: AppContext, env_name: str, fp: Fingerprinter) -> EnvSnapshot:
    env = ctx.environment(env_name)
    # Every secret of the environment: the known ones and those the import kept for variables the
    # console does not know.
    wanted = await ctx.credentials.anames(env_name)
    values = await settle(*(ctx.credentials.aget(env_name, n) for n in wanted))
    secrets = {n: v for n, v in zip(wanted, values, strict=True) if v}
    settings = setting_variables(env)
    prints = {k: fp(v) for k, v in settings.items()}
    prints.update({k: fp(v) for k, v in secrets.items()})
    return EnvSnapshot(env_name, env.kind, prints, frozenset(secrets), dict(settings), env.features)


def compare(a: EnvSnapshot, b: EnvSnapshot) -> DriftSection:
    """Keys in one and not the other, values that differ (by fingerprint), feature flags that differ."""
    section = DriftSection(f"{a.name} ↔ {b.name}", a.name, b.name)
    for key in sorted(set(a.fingerprints) | set(b.fingerprints)):
        in_a, in_b = key in a.fingerprints, key in b.fingerprints
        what = "secret" if key in a.secret_keys | b.secret_keys else "setting"
        if in_a and not in_b:
            section.items.append(DriftItem("presence", key, "set", "not set", f"{what} only in {a.name}"))
        elif in_b and not in_a:
            section.items.append(DriftItem("presence", key, "not set", "set", f"{what} only in {b.name}"))
        elif a.fingerprints[key] != b.fingerprints[key]:
            expected = key in PER_ENVIRONMENT
            note = ("differs, as expected: each environment has its own" if expected
                    else f"{what} value differs (compared by fingerprint)")
            if what == "setting":
                left, right = a.shown.get(key, "set"), b.shown.get(key, "set")
            else:
                left, right = "set", "set"
            section.items.append(DriftItem("value", key, left, right, note, drift=not expected))
    for flag in ("debugMode", "hotReload", "mockData", "testIntegrations"):
        va, vb = getattr(a.features, flag), getattr(b.features, flag)
        if va != vb:
            section.items.append(DriftItem("flag", flag, "on" if va else "off", "on" if vb else "off",
                                           "feature flag differs"))
    return section


def against_template(snap: EnvSnapshot, env: Environment) -> DriftSection:
    """Template variables the environment lacks. Connection URLs count as set when their settings are."""
    section = DriftSection(f"{snap.name} ↔ seed template", snap.name, "template")
    for key in TEMPLATE_VARIABLES:
        if key in snap.fingerprints:
            continue
        if key in URL_VARIABLES and getattr(env, URL_VARIABLES[key][0]).configured:
            continue
        kind = "secret" if key in IMPORTED_SECRETS else "setting"
        section.items.append(DriftItem("template", key, "not set", "in template",
                                       f"{kind} the seed's template has and {snap.name} lacks"))
    return section


async def against_vercel(ctx: AppContext, env_name: str, *, target: str | None = None) -> DriftSection | None:
    """The environment against its Vercel target's env vars; None when no Vercel token/project is set."""
    env = ctx.environment(env_name)
    project = env.providers.vercel_project_id
    token = await ctx.credentials.aget(env_name, "VERCEL_TOKEN") if project else None
    if not (project and token):
        return None
    target = target or VERCEL_TARGETS[env.kind]
    section = DriftSection(f"{env_name} ↔ Vercel ({target})", env_name, f"Vercel {target}")
    from services.providers.factory import build_client
    from services.providers.vercel_client import VercelClient

    client = build_client(env.providers, "vercel", token)
    assert isinstance(client, VercelClient)
    try:
        async with client:
            remote = await client.list_project_env(project, decrypt=True)
    except OpsError as exc:
        section.error = exc.sentence()
        return section
    names = await ctx.credentials.anames(env_name)
    values = await settle(*(ctx.credentials.aget(env_name, n) for n in names))
    local = full_variables(env, {n: v for n, v in zip(names, values, strict=True) if v})
    theirs: dict[str, str | None] = {}
    for var in remote:
        if target in var.targets and not var.git_branch:
            theirs[var.key] = var.fingerprint
    for key in sorted(set(theirs) | {k for k in local if k in APP_VARIABLES or k.startswith("NEXT_PUBLIC_")}):
        if key not in theirs:
            section.items.append(DriftItem("vercel", key, "set", "missing", f"not set in Vercel for {target}"))
        elif key not in local:
            section.items.append(DriftItem("vercel", key, "not set", "set", f"set in Vercel for {target} only"))
        else:
            remote_fp = theirs[key]
            if remote_fp is None:
                section.items.append(DriftItem("vercel", key, "set", "set",
                                               "Vercel does not reveal this value; not compared", drift=False))
            elif hashlib.sha256(local[key].encode("utf-8")).hexdigest() != remote_fp:
                section.items.append(DriftItem("vercel", key, "set", "set",
                                               "value differs from Vercel's (compared by fingerprint)"))
    return section


async def diff_environments(ctx: AppContext, a: str, b: str, *, with_template: bool = True,
                            with_vercel: bool = True) -> DriftReport:
    fp = await asyncio.to_thread(Fingerprinter.for_store, ctx.credentials)
    snap_a, snap_b = await settle(snapshot(ctx, a, fp), snapshot(ctx, b, fp))
    report = DriftReport(a, b, [compare(snap_a, snap_b)])
    if with_template:
        report.sections.append(against_template(snap_a, ctx.environment(a)))
        report.sections.append(against_template(snap_b, ctx.environment(b)))
    if with_vercel:
        for section in await settle(against_vercel(ctx, a), against_vercel(ctx, b)):
            if section is not None:
                report.sections.append(section)
    return report

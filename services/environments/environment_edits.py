"""Changing environments: add, edit, duplicate, remove, secrets, and the audited reveal.

Every change takes an :class:`~services.core.guard.Authorization` for its environment (from
``guard.authorize`` or the console's unlock dialog), saves the workspace atomically and is recorded in
the audit log with the outcome. The changes are coroutines (the keyring and the file block, so each runs
in a worker thread). ``validate_setting`` is the validation the editor runs as one types.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from services.core import workspace as ws_mod
from services.core.app_context import AppContext
from services.core.errors import (
    ConfigError,
    GuardRefusedError,
    OpsError,
    ViewerRefusedError,
    WorkspaceFileError,
)
from services.core.guard import Authorization
from services.core.workspace import Environment, EnvironmentKind, Profile
from services.environments.setting_paths import get_setting, label_of, set_setting
from services.environments.summaries import EnvironmentRemoval

log = logging.getLogger(__name__)
T = TypeVar("T")

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}"
                      r"[A-Za-z0-9_])?)*\.?$|^\[?[0-9A-Fa-f:.]+\]?$")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class FieldSpec:
    """One editable setting: its path in the Environment, label, type and validation."""

    path: str
    label: str
    type: str  # "text", "int", "bool", "choice", "float"
    group: str
    choices: tuple[str, ...] = ()
    placeholder: str = ""


def _fields() -> tuple[FieldSpec, ...]:
    out = [
        FieldSpec("kind", "Kind", "choice", "General", tuple(k.value for k in EnvironmentKind)),
        FieldSpec("app_url", "App URL", "text", "General", placeholder="https://realtor-platform.com"),
        FieldSpec("health_path", "Health path", "text", "General", placeholder="/api/health"),
    ]
    for block, title in (("database", "Database"), ("direct_database", "Direct database")):
        out += [
            FieldSpec(f"{block}.host", "Host", "text", title, placeholder="db.xxxx.supabase.co"),
            FieldSpec(f"{block}.port", "Port", "int", title),
            FieldSpec(f"{block}.name", "Database", "text", title),
            FieldSpec(f"{block}.user", "User", "text", title),
            FieldSpec(f"{block}.sslmode", "SSL mode", "choice", title, SSLMODES),
            FieldSpec(f"{block}.pool_limit", "Pool limit", "int", title),
        ]
    out += [
        FieldSpec("redis.host", "Host", "text", "Redis", placeholder="xxxx.upstash.io"),
        FieldSpec("redis.port", "Port", "int", "Redis"),
        FieldSpec("redis.username", "User", "text", "Redis"),
        FieldSpec("redis.db", "Database number", "int", "Redis"),
        FieldSpec("redis.tls", "TLS (rediss://)", "bool", "Redis"),
        FieldSpec("redis.maxmemory_bytes", "Max memory (bytes)", "int", "Redis"),
        FieldSpec("redis.eviction_policy", "Eviction policy", "choice", "Redis",
                  ("allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "allkeys-random", "volatile-random",
                   "volatile-ttl", "noeviction")),
        FieldSpec("storage.endpoint_url", "Endpoint", "text", "Storage",
                  placeholder="https://<account>.r2.cloudflarestorage.com"),
        FieldSpec("storage.region", "Region", "text", "Storage"),
        FieldSpec("storage.files_bucket", "Files bucket", "text", "Storage"),
        FieldSpec("storage.images_bucket", "Images bucket", "text", "Storage"),
        FieldSpec("storage.documents_bucket", "Documents bucket", "text", "Storage"),
        FieldSpec("storage.credentials", "Credentials", "choice", "Storage", ("r2", "aws")),
        FieldSpec("backup.endpoint_url", "Endpoint", "text", "Backups", placeholder="empty = AWS S3"),
        FieldSpec("backup.region", "Region", "text", "Backups"),
        FieldSpec("backup.bucket", "Bucket", "text", "Backups"),
        FieldSpec("backup.prefix", "Prefix", "text", "Backups"),
        FieldSpec("backup.storage_class", "Storage class", "choice", "Backups",
                  ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR")),
        FieldSpec("backup.credentials", "Credentials", "choice", "Backups", ("aws", "r2")),
        FieldSpec("backup.schedule_cron", "Schedule (cron, UTC)", "text", "Backups"),
        FieldSpec("backup.expire_days", "Expire after (days)", "int", "Backups"),
        FieldSpec("providers.vercel_team_id", "Vercel team", "text", "Providers"),
        FieldSpec("providers.vercel_project_id", "Vercel project", "text", "Providers"),
        FieldSpec("providers.supabase_project_ref", "Supabase project ref", "text", "Providers"),
        FieldSpec("providers.cloudflare_account_id", "Cloudflare account", "text", "Providers"),
        FieldSpec("providers.cloudflare_zone_id", "Cloudflare zone", "text", "Providers"),
        FieldSpec("providers.sentry_org", "Sentry organization", "text", "Providers"),
        FieldSpec("providers.sentry_project", "Sentry project", "text", "Providers"),
        FieldSpec("providers.github_repository", "GitHub repository", "text", "Providers", placeholder="owner/repo"),
        FieldSpec("providers.github_workflow", "GitHub workflow", "text", "Providers"),
        FieldSpec("providers.upstash_database_id", "Upstash database", "text", "Providers"),
        FieldSpec("providers.upstash_email", "Upstash e-mail", "text", "Providers"),
        FieldSpec("providers.vercel_analytics_id", "Vercel Analytics id", "text", "Providers"),
        FieldSpec("health.interval_s", "Poll interval (s)", "int", "Health"),
        FieldSpec("health.timeout_s", "Timeout (s)", "float", "Health"),
    ]
    return tuple(out)


FIELDS: tuple[FieldSpec, ...] = _fields()
FLAGS: tuple[str, ...] = ("debugMode", "hotReload", "mockData", "testIntegrations")


def field_spec(path: str) -> FieldSpec:
    for spec in FIELDS:
        if spec.path == path:
            return spec
    raise KeyError(path)


def validate_setting(path: str, text: str) -> str | None:
    """None when ``text`` is a valid value for the setting at ``path``; otherwise what is wrong."""
    spec = field_spec(path)
    value = text.strip()
    if spec.type == "int":
        if not re.fullmatch(r"-?\d+", value):
            return "a whole number"
        number = int(value)
        if path.endswith(".port") and not 0 < number < 65536:
            return "a port between 1 and 65535"
        if number < 0:
            return "zero or more"
        return None
    if spec.type == "float":
        try:
            return None if float(value) > 0 else "more than zero"
        except ValueError:
            return "a number"
    if spec.type == "choice":
        return None if value in spec.choices else "one of " + ", ".join(spec.choices)
    if spec.type == "bool":
        return None
    if not value:
        if path in ("app_url",) or path.endswith((".port",)):
            return "required"
        return None
    if path.endswith(("url", "endpoint_url")):
        return None if re.match(r"^https?://[^/\s]+$|^https?://[^/\s]+/\S*$", value) else "an http(s):// URL"
    if path.endswith(".host"):
        return None if _HOST_RE.match(value) else "a host name or IP address"
    if path.endswith("_bucket") or path == "backup.bucket":
        return None if _BUCKET_RE.fullmatch(value) else "3-63 lower-case letters, digits, '.' or '-'"
    if path == "health_path":
        return None if value.startswith("/") else "a path starting with /"
    if path == "providers.github_repository":
        return None if re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", value) else "owner/repository"
    if path == "backup.schedule_cron":
        return None if len(value.split()) == 5 else "five cron fields (minute hour day month weekday)"
    if path == "providers.upstash_email":
        return None if re.fullmatch(r"[^@\s]+@[^@\s]+", value) else "an e-mail address"
    if any(c.isspace() for c in value) and path != "redis.username":
        return "no spaces"
    return None


def convert(path: str, text: str) -> Any:
    spec = field_spec(path)
    if spec.type == "int":
        return int(text.strip())
    if spec.type == "float":
        return float(text.strip())
    if spec.type == "bool":
        return text.strip().lower() in ("1", "true", "yes", "on")
    if path == "kind":
        return EnvironmentKind(text.strip())
    return text.strip()


def display(env: Environment, path: str) -> str:
    value = get_setting(env, path)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


# --- changes (blocking; the coroutines below run them in a worker thread) -------------------------


def _check(ctx: AppContext, auth: Authorization, env_name: str) -> None:
    if ctx.workspace.profile != Profile.ADMIN:
        raise ViewerRefusedError("This workspace's profile is 'viewer', so nothing can be changed")
    if auth.environment != env_name:
        raise GuardRefusedError(f"The unlock was for {auth.environment}, not {env_name}")


def _validate_env(env: Environment) -> None:
    try:
        ws_mod.loads(ws_mod.dumps(ws_mod.Workspace(environments={env.name: env})), path=env.name)
    except WorkspaceFileError as exc:
        raise ConfigError(f"That setting cannot be saved: {exc.message.split(': ', 1)[-1]}") from None


def _save(ctx: AppContext, env_name: str, action: str, auth: Authorization, mutate: Callable[[], T],
          undo: Callable[[], None], details: dict[str, Any]) -> T:
    try:
        result = mutate()
        ctx.save_workspace()
    except BaseException as exc:
        undo()
        ctx.audit.record(environment=env_name, action=action, outcome=f"failed: {_why(exc)}", reason=auth.reason,
                         details=details)
        raise
    ctx.audit.record(environment=env_name, action=action, outcome="done", reason=auth.reason, details=details)
    return result


def _why(exc: BaseException) -> str:
    return exc.sentence() if isinstance(exc, OpsError) else type(exc).__name__


def _add_environment(ctx: AppContext, name: str, kind: EnvironmentKind, auth: Authorization) -> Environment:
    _check(ctx, auth, name)
    if not NAME_RE.fullmatch(name):
        raise ConfigError(f"'{name}' cannot be an environment name", hint="Use letters, digits, '.', '_' and '-'")
    if name in ctx.workspace.environments:
        raise ConfigError(f"There is already an environment named '{name}'")
    env = ws_mod.seed_environment(name, kind)

    def mutate() -> Environment:
        ctx.workspace.environments[name] = env
        return env

    def undo() -> None:
        ctx.workspace.environments.pop(name, None)

    return _save(ctx, name, "add environment", auth, mutate, undo, {"kind": kind.value})


def _update_environment(ctx: AppContext, name: str, changes: dict[str, Any], auth: Authorization) -> Environment:
    _check(ctx, auth, name)
    current = ctx.environment(name)
    updated = copy.deepcopy(current)
    changed = []
    for path, value in changes.items():
        if path.startswith("features."):
            flag = path.split(".", 1)[1]
            if flag not in FLAGS:
                raise ConfigError(f"There is no feature flag named '{flag}'")
            old = getattr(updated.features, flag)
            setattr(updated.features, flag, bool(value))
        elif path == "kind":
            old = updated.kind
            updated.kind = EnvironmentKind(value)
        else:
            old = get_setting(updated, path)
            set_setting(updated, path, value)
        if old != value:
            changed.append(path)
    if not changed:
        return current
    if "app_url" in changed:
        # TLS domains derived from the old app URL follow the new one (none for an http:// URL).
        old_host = current.app_url.split("//", 1)[-1].split("/", 1)[0]
        if updated.health.tls_domains == [old_host]:
            updated.health.tls_domains = []
            changed.append("health.tls_domains")
    _validate_env(updated)

    def swap() -> Environment:
        ctx.workspace.environments[name] = updated
        return updated

    labels = [label_of(p) if not p.startswith("features.") else p for p in changed]
    def undo() -> None:
        ctx.workspace.environments[name] = current

    return _save(ctx, name, "edit environment", auth, swap, undo,
                 {"changed": changed, "labels": labels})


def _duplicate_environment(ctx: AppContext, source: str, new_name: str, kind: EnvironmentKind,
                           auth: Authorization, *, copy_secrets: bool = False) -> Environment:
    _check(ctx, auth, new_name)
    if not NAME_RE.fullmatch(new_name):
        raise ConfigError(f"'{new_name}' cannot be an environment name", hint="Use letters, digits, '.', '_' and '-'")
    if new_name in ctx.workspace.environments:
        raise ConfigError(f"There is already an environment named '{new_name}'")
    env = dataclasses.replace(copy.deepcopy(ctx.environment(source)), name=new_name, kind=kind)
    copied: list[str] = []

    def mutate() -> Environment:
        if copy_secrets:
            for secret in ctx.credentials.names(source):
                value = ctx.credentials.get(source, secret)
                if value:
                    ctx.credentials.set(new_name, secret, value)
                    copied.append(secret)
        ctx.workspace.environments[new_name] = env
        return env

    def undo() -> None:
        ctx.workspace.environments.pop(new_name, None)
        for secret in copied:
            try:
                ctx.credentials.delete(new_name, secret)
            except OpsError:
                log.warning("could not remove copied secret %s of %s", secret, new_name)

    return _save(ctx, new_name, "duplicate environment", auth, mutate, undo,
                 {"from": source, "secrets_copied": copied})


def _keyring_entries(ctx: AppContext, name: str) -> list[str]:
    return [f"{ctx.credentials.service} / {name}/{secret}" for secret in ctx.credentials.names(name)]


def _remove_environment(ctx: AppContext, name: str, auth: Authorization) -> list[str]:
    _check(ctx, auth, name)
    env = ctx.environment(name)
    ctx.workspace.environments.pop(name)
    try:
        ctx.save_workspace()
    except BaseException as exc:
        ctx.workspace.environments[name] = env
        ctx.audit.record(environment=name, action="remove environment", outcome=f"failed: {_why(exc)}",
                         reason=auth.reason)
        raise
    try:
        removed = ctx.credentials.delete_environment(name)
    except OpsError as exc:
        ctx.audit.record(environment=name, action="remove environment", reason=auth.reason,
                         outcome=f"removed; keyring entries left behind: {exc.sentence()}")
        raise
    ctx.audit.record(environment=name, action="remove environment", outcome="done", reason=auth.reason,
                     details={"secrets_removed": removed})
    return removed


def _set_secret(ctx: AppContext, env_name: str, secret: str, value: str, auth: Authorization) -> None:
    _check(ctx, auth, env_name)
    ctx.environment(env_name)
    ctx.masker.add(value)
    try:
        ctx.credentials.set(env_name, secret, value)
    except OpsError as exc:
        ctx.audit.record(environment=env_name, action="set secret", target=secret, reason=auth.reason,
                         outcome=f"failed: {exc.sentence()}")
        raise
    ctx.audit.record(environment=env_name, action="set secret", target=secret, reason=auth.reason, outcome="done")


def _delete_secret(ctx: AppContext, env_name: str, secret: str, auth: Authorization) -> None:
    _check(ctx, auth, env_name)
    ctx.credentials.delete(env_name, secret)
    ctx.audit.record(environment=env_name, action="delete secret", target=secret, reason=auth.reason,
                     outcome="done")


def _reveal_secret(ctx: AppContext, env_name: str, secret: str) -> str | None:
    if ctx.workspace.profile != Profile.ADMIN:
        ctx.audit.record(environment=env_name, action="reveal secret", target=secret, outcome="refused: viewer")
        raise ViewerRefusedError("This workspace's profile is 'viewer', so secrets stay masked")
    value = ctx.credentials.get(env_name, secret)
    ctx.audit.record(environment=env_name, action="reveal secret", target=secret,
                     outcome="shown" if value else "not set")
    return value


# --- the API: coroutines (keyring and file I/O block, so each change runs in a worker thread) -----


async def add_environment(ctx: AppContext, name: str, kind: EnvironmentKind, auth: Authorization) -> Environment:
    return await asyncio.to_thread(_add_environment, ctx, name, kind, auth)


async def update_environment(ctx: AppContext, name: str, changes: dict[str, Any], auth: Authorization
                             ) -> Environment:
    """Apply ``{path: value}`` (settings, ``features.X`` flags, ``kind``) to ``name`` and save."""
    return await asyncio.to_thread(_update_environment, ctx, name, changes, auth)


async def duplicate_environment(ctx: AppContext, source: str, new_name: str, kind: EnvironmentKind,
                                auth: Authorization, *, copy_secrets: bool = False) -> Environment:
    """A copy of ``source`` named ``new_name``; its secrets are copied only when asked."""
    return await asyncio.to_thread(_duplicate_environment, ctx, source, new_name, kind, auth,
                                   copy_secrets=copy_secrets)


async def remove_environment(ctx: AppContext, name: str, auth: Authorization) -> EnvironmentRemoval:
    """Remove the environment and every keyring entry of it; the result names the secrets removed."""
    return EnvironmentRemoval(name, tuple(await asyncio.to_thread(_remove_environment, ctx, name, auth)))


async def keyring_entries(ctx: AppContext, name: str) -> list[str]:
    """What removing ``name`` takes out of the keyring (names only)."""
    return await asyncio.to_thread(_keyring_entries, ctx, name)


async def set_secret(ctx: AppContext, env_name: str, secret: str, value: str, auth: Authorization) -> None:
    await asyncio.to_thread(_set_secret, ctx, env_name, secret, value, auth)


async def delete_secret(ctx: AppContext, env_name: str, secret: str, auth: Authorization) -> None:
    await asyncio.to_thread(_delete_secret, ctx, env_name, secret, auth)


async def reveal_secret(ctx: AppContext, env_name: str, secret: str) -> str | None:
    """The secret's value, for showing on request; the reveal itself is audited (never the value)."""
    return await asyncio.to_thread(_reveal_secret, ctx, env_name, secret)

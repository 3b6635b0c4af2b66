"""Secrets, kept only in the OS keyring (or, for headless runs, read from the process environment).

Entries are keyed by workspace, environment and secret name: service ``realtor-ops/<workspace id>``,
user name ``<environment>/<SECRET_NAME>``. Secret names are the variable names a ``.env`` file uses,
so ``--secrets-from-env`` reads the very same names from the environment (optionally prefixed with the
environment's name in upper case, as the seed does with ``STAGING_DATABASE_URL``).

Keyring calls block (D-Bus, Keychain): async callers use the ``a*`` variants, which run off-thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import keyring
import keyring.backend
import keyring.errors

from services.core.errors import KeyringUnavailableError

# Every secret the console knows, with the words shown next to it. Names follow .env conventions.
SECRET_NAMES: dict[str, str] = {
    "DATABASE_PASSWORD": "Database password (from DATABASE_URL)",
    "DIRECT_DATABASE_PASSWORD": "Direct database password (from DIRECT_URL)",
    "REDIS_PASSWORD": "Redis password (from REDIS_URL)",
    "NEXTAUTH_SECRET": "NextAuth secret",
    "CLOUDFLARE_R2_ACCESS_KEY_ID": "R2 access key id",
    "CLOUDFLARE_R2_SECRET_ACCESS_KEY": "R2 secret access key",
    "AWS_ACCESS_KEY_ID": "AWS access key id",
    "AWS_SECRET_ACCESS_KEY": "AWS secret access key",
    "MLS_API_KEY": "MLS API key",
    "TWILIO_ACCOUNT_SID": "Twilio account SID",
    "TWILIO_AUTH_TOKEN": "Twilio auth token",
    "RESEND_API_KEY": "Resend API key",
    "SENTRY_DSN": "Sentry DSN of the platform",
    "ENCRYPTION_KEY": "Encryption key",
    "JWT_SECRET": "JWT secret",
    "VERCEL_TOKEN": "Vercel token",
    "GITHUB_TOKEN": "GitHub token",
    "SUPABASE_ACCESS_TOKEN": "Supabase access token",
    "CLOUDFLARE_API_TOKEN": "Cloudflare API token",
    "SENTRY_AUTH_TOKEN": "Sentry auth token",
    "BETTERSTACK_API_TOKEN": "Better Stack API token",
    "UPSTASH_API_KEY": "Upstash API key",
    "CONSOLE_SENTRY_DSN": "DSN for the console's own crash reports (opt-in)",
}

# Secrets that can also be derived from a connection URL variable in the environment.
URL_DERIVED: dict[str, str] = {
    "DATABASE_PASSWORD": "DATABASE_URL",
    "DIRECT_DATABASE_PASSWORD": "DIRECT_URL",
    "REDIS_PASSWORD": "REDIS_URL",
}

_INDEX = "__index__"
_WEAK_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


@dataclass(frozen=True)
class BackendInfo:
    name: str
    weak: bool
    reason: str


def describe_backend(backend: keyring.backend.KeyringBackend | None = None) -> BackendInfo:
    backend = backend or keyring.get_keyring()
    module = type(backend).__module__
    name = f"{module}.{type(backend).__name__}"
    if module.startswith(_WEAK_MODULES):
        return BackendInfo(name, True, "no OS keyring was found; secrets cannot be stored safely")
    try:
        priority = float(getattr(backend, "priority", 1))
    except Exception:
        priority = 0.0
    if priority < 1:
        return BackendInfo(name, True, "the keyring backend in use is a weak fallback")
    return BackendInfo(name, False, "OS keyring")


def _password_from_url(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return unquote(parts.password) if parts.password else None


def env_prefix(environment: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", environment.upper())


class CredentialStore:
    """Secrets of one workspace. ``from_env`` switches to reading the process environment only."""

    def __init__(
        self,
        workspace_id: str,
        *,
        from_env: Mapping[str, str] | None = None,
        backend: keyring.backend.KeyringBackend | None = None,
        defaults: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.service = f"realtor-ops/{workspace_id}"
        self._env = from_env
        # Fallback values that are not secret (the sandbox's dummy tokens); the keyring wins.
        self._defaults = dict(defaults or {})
        self._backend = backend
        self._lock = threading.Lock()
        # Values revealed or read in this process, for masking in logs. Never persisted.
        self._seen: set[str] = set()

    # --- backend ---------------------------------------------------------------------------
    @property
    def reads_environment(self) -> bool:
        return self._env is not None

    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def backend_info(self) -> BackendInfo:
        if self._env is not None:
            return BackendInfo("process environment (--secrets-from-env)", False, "read-only")
        return describe_backend(self.backend())

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            with self._lock:
                return fn(*args)
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailableError(
                f"The OS keyring is locked, so the secret could not be {what}",
                hint="Unlock your keyring (log in again or open the keyring app) and retry",
            ) from None
        except keyring.errors.NoKeyringError:
            raise KeyringUnavailableError(
                f"No OS keyring is available, so the secret could not be {what}",
                hint="Install or start your desktop's keyring service, or use --secrets-from-env",
            ) from None
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailableError(
                f"The OS keyring failed, so the secret could not be {what}",
                hint="Check that the keyring service is running and unlocked",
                detail=type(exc).__name__,
            ) from None
        except Exception as exc:  # D-Bus and platform errors arrive as many types
            raise KeyringUnavailableError(
                f"The OS keyring could not be reached, so the secret could not be {what}",
                hint="Check that the keyring service is running and unlocked, or use --secrets-from-env",
                detail=type(exc).__name__,
            ) from None

    def _require_real_backend(self) -> None:
        info = self.backend_info()
        if info.weak:
            raise KeyringUnavailableError(
                f"Secrets cannot be stored: {info.reason} ({info.name})",
                hint="Install or unlock an OS keyring, or run headless with --secrets-from-env",
            )

    # --- reading ---------------------------------------------------------------------------
    def get(self, environment: str, name: str) -> str | None:
        if self._env is not None:
            value = self._from_environment(environment, name)
        else:
            try:
                value = self._call("read", self.backend().get_password, self.service, f"{environment}/{name}")
            except KeyringUnavailableError:
                # The sandbox (the only store with defaults) runs without a keyring: its dummy values
                # are all it needs, and what it has no value for it does not need (trust auth).
                if not self._defaults:
                    raise
                value = None
        if not value:
            value = self._defaults.get((environment, name))
        if value:
            self._seen.add(value)
        return value

    def _from_environment(self, environment: str, name: str) -> str | None:
        assert self._env is not None
        prefix = env_prefix(environment)
        for key in (f"{prefix}_{name}", name):
            if self._env.get(key):
                return self._env[key]
        url_var = URL_DERIVED.get(name)
        if url_var:
            for key in (f"{prefix}_{url_var}", url_var):
                if self._env.get(key):
                    return _password_from_url(self._env[key])
        return None

    def names(self, environment: str) -> list[str]:
        """Names of the secrets stored for an environment (values are not read)."""
        if self._env is not None:
            return [n for n in SECRET_NAMES if self._from_environment(environment, n)]
        try:
            raw = self._call("read", self.backend().get_password, self.service, f"{environment}/{_INDEX}")
        except KeyringUnavailableError:
            if not self._defaults:
                raise
            raw = ""
        stored = {n for n in (raw or "").split(",") if n}
        return sorted(stored | {n for (e, n) in self._defaults if e == environment})

    def has(self, environment: str, name: str) -> bool:
        return name in self.names(environment)

    # --- writing ---------------------------------------------------------------------------
    def _write_guard(self) -> None:
        if self._env is not None:
            raise KeyringUnavailableError(
                "Secrets are read from the environment in this run, so none can be stored",
                hint="Run without --secrets-from-env to store secrets in the OS keyring",
            )
        self._require_real_backend()

    def set(self, environment: str, name: str, value: str) -> None:
        self._write_guard()
        backend = self.backend()
        self._call("stored", backend.set_password, self.service, f"{environment}/{name}", value)
        self._seen.add(value)
        names = set(self.names(environment)) | {name}
        self._call("stored", backend.set_password, self.service, f"{environment}/{_INDEX}", ",".join(sorted(names)))

    def delete(self, environment: str, name: str) -> None:
        self._write_guard()
        backend = self.backend()
        try:
            self._call("deleted", backend.delete_password, self.service, f"{environment}/{name}")
        except KeyringUnavailableError as exc:
            if exc.detail != "PasswordDeleteError":
                raise
        names = set(self.names(environment)) - {name}
        self._call("stored", backend.set_password, self.service, f"{environment}/{_INDEX}", ",".join(sorted(names)))

    def delete_environment(self, environment: str) -> list[str]:
        """Remove every secret of an environment; returns the names removed."""
        removed = self.names(environment)
        for name in removed:
            self.delete(environment, name)
        try:
            self._call("deleted", self.backend().delete_password, self.service, f"{environment}/{_INDEX}")
        except KeyringUnavailableError:
            pass
        return removed

    def known_values(self) -> frozenset[str]:
        """Secret values this process has touched, so log filters can mask them."""
        return frozenset(self._seen)

    # --- async wrappers (keyring blocks) ----------------------------------------------------
    async def aget(self, environment: str, name: str) -> str | None:
        return await asyncio.to_thread(self.get, environment, name)

    async def aset(self, environment: str, name: str, value: str) -> None:
        await asyncio.to_thread(self.set, environment, name, value)

    async def anames(self, environment: str) -> list[str]:
        return await asyncio.to_thread(self.names, environment)


def store_for(workspace_id: str, *, secrets_from_env: bool) -> CredentialStore:
    return CredentialStore(workspace_id, from_env=dict(os.environ) if secrets_from_env else None)

"""Importing a ``.env`` file into an environment: a plan first, then an all-or-nothing apply.

Every variable PRODUCT.md names is recognised. Connection URLs (DATABASE_URL, DIRECT_URL, REDIS_URL)
are split into settings (host, port, database, user, sslmode, other query parameters) and a password
that goes to the keyring; the other secrets go to the keyring as they are; everything else becomes a
setting of the workspace. Nothing secret is ever written anywhere but the keyring.

``plan_import`` compares the file with what the environment holds now and lists each change (secret
changes by name only). Importing the same file twice gives an empty plan. ``apply_import`` writes the
secrets first and the workspace second, and undoes the secrets it wrote if anything fails, so an import
is applied entirely or not at all.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from services.core import workspace as ws_mod
from services.core.app_context import AppContext
from services.core.credentials import env_prefix
from services.core.errors import ConfigError, OpsError, WorkspaceFileError
from services.core.guard import Authorization
from services.core.workspace import Environment, EnvironmentKind
from services.environments.dotenv_parser import (
    DotenvEntry,
    DotenvError,
    DotenvFile,
    entropy_bits_per_char,
    parse_dotenv,
)

log = logging.getLogger(__name__)

# --- the catalogue of variables ------------------------------------------------------------------

# The seed's .env template (its "Environment Management" section), in its order, plus the backup
# variables its BackupManager reads. "Missing" is reported against this list.
TEMPLATE_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Application", ("NEXT_PUBLIC_APP_URL", "NEXT_PUBLIC_APP_ENV")),
    ("Database", ("DATABASE_URL", "DIRECT_URL")),
    ("Redis Cache", ("REDIS_URL",)),
    ("Authentication", ("NEXTAUTH_SECRET", "NEXTAUTH_URL")),
    ("File Storage", ("CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY", "CLOUDFLARE_R2_BUCKET_NAME")),
    ("External Services", ("MLS_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "RESEND_API_KEY")),
    ("Monitoring", ("SENTRY_DSN", "VERCEL_ANALYTICS_ID")),
    ("Security", ("ENCRYPTION_KEY", "JWT_SECRET")),
    ("Backups", ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "BACKUP_BUCKET_NAME")),
)
TEMPLATE_VARIABLES: tuple[str, ...] = tuple(name for _, names in TEMPLATE_SECTIONS for name in names)

# The providers' own conventional names: recognised, never reported missing.
PROVIDER_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Vercel", ("VERCEL_TOKEN", "VERCEL_ORG_ID", "VERCEL_PROJECT_ID")),
    ("GitHub", ("GITHUB_TOKEN", "GITHUB_REPOSITORY")),
    ("Supabase", ("SUPABASE_ACCESS_TOKEN", "SUPABASE_PROJECT_REF")),
    ("Cloudflare", ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_ZONE_ID", "CLOUDFLARE_R2_ENDPOINT")),
    ("Sentry", ("SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT")),
    ("Better Stack", ("BETTERSTACK_API_TOKEN",)),
    ("Upstash", ("UPSTASH_EMAIL", "UPSTASH_API_KEY")),
    ("S3-compatible endpoint", ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")),
)

# Variables whose value is a secret and goes to the keyring under the same name.
SECRET_VARIABLES: frozenset[str] = frozenset({
    "NEXTAUTH_SECRET", "CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY", "MLS_API_KEY",
    "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "RESEND_API_KEY", "SENTRY_DSN", "ENCRYPTION_KEY", "JWT_SECRET",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "VERCEL_TOKEN", "GITHUB_TOKEN", "SUPABASE_ACCESS_TOKEN",
    "CLOUDFLARE_API_TOKEN", "SENTRY_AUTH_TOKEN", "BETTERSTACK_API_TOKEN", "UPSTASH_API_KEY",
})

# Connection URLs: variable -> (settings block, secret holding the password).
URL_VARIABLES: dict[str, tuple[str, str]] = {
    "DATABASE_URL": ("database", "DATABASE_PASSWORD"),
    "DIRECT_URL": ("direct_database", "DIRECT_DATABASE_PASSWORD"),
    "REDIS_URL": ("redis", "REDIS_PASSWORD"),
}

# Plain settings: variable -> dotted path in the Environment ("extra.NAME" keeps it in ``extra``).
SETTING_VARIABLES: dict[str, str] = {
    "NEXT_PUBLIC_APP_URL": "app_url",
    "NEXT_PUBLIC_APP_ENV": "extra.NEXT_PUBLIC_APP_ENV",
    "NEXTAUTH_URL": "extra.NEXTAUTH_URL",
    "CLOUDFLARE_R2_BUCKET_NAME": "storage.files_bucket",
    "CLOUDFLARE_R2_ENDPOINT": "storage.endpoint_url",
    "VERCEL_ANALYTICS_ID": "providers.vercel_analytics_id",
    "AWS_REGION": "backup.region",
    "BACKUP_BUCKET_NAME": "backup.bucket",
    "AWS_ENDPOINT_URL": "backup.endpoint_url",
    "AWS_ENDPOINT_URL_S3": "backup.endpoint_url",
    "VERCEL_ORG_ID": "providers.vercel_team_id",
    "VERCEL_PROJECT_ID": "providers.vercel_project_id",
    "GITHUB_REPOSITORY": "providers.github_repository",
    "SUPABASE_PROJECT_REF": "providers.supabase_project_ref",
    "CLOUDFLARE_ACCOUNT_ID": "providers.cloudflare_account_id",
    "CLOUDFLARE_ZONE_ID": "providers.cloudflare_zone_id",
    "SENTRY_ORG": "providers.sentry_org",
    "SENTRY_PROJECT": "providers.sentry_project",
    "UPSTASH_EMAIL": "providers.upstash_email",
}

RECOGNISED: frozenset[str] = frozenset(SECRET_VARIABLES | set(URL_VARIABLES) | set(SETTING_VARIABLES))
assert set(TEMPLATE_VARIABLES) <= RECOGNISED
assert {n for _, names in PROVIDER_SECTIONS for n in names} <= RECOGNISED

# Secret names the import may write (SECRET_VARIABLES plus the URL passwords).
IMPORTED_SECRETS: frozenset[str] = frozenset(SECRET_VARIABLES | {s for _, s in URL_VARIABLES.values()})

SETTING_LABELS: dict[str, str] = {
    "app_url": "App URL",
    "storage.files_bucket": "Files bucket",
    "storage.endpoint_url": "Storage endpoint",
    "backup.bucket": "Backup bucket",
    "backup.region": "Backup region",
    "backup.endpoint_url": "Backup endpoint",
}

_ENV_ALIASES: dict[EnvironmentKind, tuple[str, ...]] = {
    EnvironmentKind.DEVELOPMENT: ("DEV", "DEVELOPMENT", "LOCAL"),
    EnvironmentKind.STAGING: ("STAGING", "STAGE", "PREVIEW"),
    EnvironmentKind.PRODUCTION: ("PROD", "PRODUCTION"),
}


def guess_kind(name: str, app_env: str = "") -> EnvironmentKind:
    """The kind an environment of this name (or NEXT_PUBLIC_APP_ENV value) most likely is."""
    for text in (name, app_env):
        word = text.strip().lower()
        for kind, aliases in _ENV_ALIASES.items():
            if word in (a.lower() for a in aliases) or word == kind.value:
                return kind
    return EnvironmentKind.OTHER


# --- variables the console does not know: kept, as plain settings or as secrets -------------------

_SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN)(_ID)?$|PASSWORD|PASSWD|PASSPHRASE|_PWD$|_PASS$|PRIVATE|_DSN$"
                          r"|CREDENTIAL|^SECRET_|_SALT$|_SIGNING|_AUTH$|_SID$|WEBHOOK|(^|_)HASH$", re.IGNORECASE)
_PASSWORD_HASH = re.compile(r"^\$(2[abxy]?|argon2(id|i|d)|scrypt|[156y]|pbkdf2[-_a-z0-9]*)\$")
_TOKEN_PREFIX = re.compile(r"^(gh[pousr]_|github_pat_|sk_(live|test)_|rk_(live|test)_|xox[abpr]-|AKIA|ASIA|SG\.|"
                           r"re_[A-Za-z0-9]{8}|glpat-|npm_|pk_live_|whsec_|eyJ[A-Za-z0-9_-]{8,}\.)")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_\-.~]{20,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


MAX_EXTRA_SECRETS = 1000  # keyring entries one import may add for variables the console does not know


def secret_reason(name: str, value: str) -> str:
    """Why a variable the console does not know looks secret ("" when it does not)."""
    if name.startswith("NEXT_PUBLIC_"):
        return ""  # shipped to every browser by Next.js: public by definition
    found = _SECRET_NAME.search(name)
    if found:
        return f"its name has '{found.group(0).strip('_').upper()}'"
    text = value.strip()
    if "-----BEGIN" in text:
        return "its value holds key material (-----BEGIN ...)"
    if _PASSWORD_HASH.match(text):
        return "its value looks like a password hash"
    if "://" in text:
        try:
            if urlsplit(text).password:
                return "its value is a URL with a password"
        except ValueError:
            pass
        return ""
    if _TOKEN_PREFIX.match(text):
        return "its value starts like an API token"
    if _TOKEN_CHARS.fullmatch(text) and not _UUID.fullmatch(text) and any(c.isdigit() for c in text) \
            and any(c.isalpha() for c in text) and entropy_bits_per_char(text) >= 3.5:
        return "its value looks like a random token (high entropy)"
    return ""


# --- errors --------------------------------------------------------------------------------------


class ImportChangedError(ConfigError):
    title = "The environment changed"


class ImportApplyError(OpsError):
    """Applying failed; says what was rolled back (and what could not be)."""

    title = "The import was not applied"


# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingChange:
    path: str
    label: str
    old: str
    new: str
    variable: str
    line: int

    def sentence(self) -> str:
        if not self.old:
            return f"{self.label}: set to {self.new!r} (from {self.variable}, line {self.line})"
        return f"{self.label}: {self.old!r} → {self.new!r} (from {self.variable}, line {self.line})"


@dataclass(frozen=True)
class SecretChange:
    name: str
    action: Literal["add", "change"]
    variable: str
    line: int

    def sentence(self) -> str:
        verb = "new" if self.action == "add" else "changed"
        source = f"password in {self.variable}" if self.variable != self.name else self.variable
        return f"secret {self.name}: {verb} value from {source}, line {self.line} (stored in the keyring)"


@dataclass(frozen=True)
class UnknownVariable:
    """A variable that is not imported (it is meant for another environment)."""

    name: str
    line: int
    note: str = "not imported"


@dataclass(frozen=True)
class ExtraVariable:
    """A variable the console does not know, kept as it is: a plain setting or a keyring secret."""

    name: str
    line: int
    secret: bool
    why: str  # why it is taken for a secret, or for a plain setting
    flipped: bool = False  # the user chose the other kind (--secret / --plain)

    def sentence(self) -> str:
        where = "secret, kept in the keyring" if self.secret else "plain setting, kept in the workspace"
        flip = f"--plain {self.name}" if self.secret else f"--secret {self.name}"
        why = "as you asked" if self.flipped else self.why
        return f"{self.name} (line {self.line}): {where} ({why}); the other way: {flip}"


@dataclass(frozen=True)
class ReadingNote:
    """A value whose text in the file and Next's reading differ (the note never holds a secret)."""

    variable: str
    line: int
    note: str

    def sentence(self) -> str:
        return f"{self.variable} (line {self.line}): {self.note}"


@dataclass
class ImportPlan:
    """What importing a file would change. Secret values are held privately and never printed."""

    environment: str
    source: str
    kind: EnvironmentKind
    creates_environment: bool
    settings: list[SettingChange] = field(default_factory=list)
    secrets: list[SecretChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown: list[UnknownVariable] = field(default_factory=list)
    extras: list[ExtraVariable] = field(default_factory=list)
    readings: list[ReadingNote] = field(default_factory=list)
    removed_secrets: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recognised: list[str] = field(default_factory=list)
    _new_env: Environment | None = field(default=None, repr=False)
    _secret_values: dict[str, str] = field(default_factory=dict, repr=False)
    _base_digest: str = field(default="", repr=False)

    @property
    def is_noop(self) -> bool:
        return not (self.settings or self.secrets or self.creates_environment or self.removed_secrets)

    def summary(self) -> str:
        if self.is_noop:
            return f"Nothing to change: {self.environment} already holds what {self.source} says."
        parts = []
        if self.creates_environment:
            parts.append(f"creates environment '{self.environment}' ({self.kind.value})")
        if self.settings:
            parts.append(f"{len(self.settings)} setting(s)")
        if self.secrets:
            parts.append(f"{len(self.secrets)} secret(s)")
        return f"Importing {self.source} into {self.environment}: " + ", ".join(parts) + "."

    def lines(self) -> list[str]:
        """The plan as sentences for people (no secret value in any of them)."""
        out = [self.summary()]
        out += ["  " + c.sentence() for c in self.settings]
        out += ["  " + c.sentence() for c in self.secrets]
        out += [f"  secret {name}: removed from the keyring (now a plain setting)" for name in self.removed_secrets]
        if self.readings:
            out.append("Read differently by Next.js than written (the value imported is Next's reading):")
            out += ["  " + r.sentence() for r in self.readings]
        if self.extras:
            out.append("Variables the console does not know, kept as they are:")
            out += ["  " + x.sentence() for x in self.extras]
        if self.missing:
            out.append("Missing against the seed's template: " + ", ".join(self.missing))
        if self.unknown:
            out += [f"Not imported: {u.name} (line {u.line}): {u.note}" for u in self.unknown]
        if self.empty:
            out.append("Empty as Next.js reads them, left as they are: " + ", ".join(self.empty))
        out += ["Warning: " + w for w in self.warnings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "source": self.source,
            "kind": self.kind.value,
            "creates_environment": self.creates_environment,
            "noop": self.is_noop,
            "settings": [dataclasses.asdict(c) for c in self.settings],
            "secrets": [dataclasses.asdict(c) for c in self.secrets],
            "unchanged": self.unchanged,
            "missing": self.missing,
            "unknown": [dataclasses.asdict(u) for u in self.unknown],
            "extras": [dataclasses.asdict(x) for x in self.extras],
            "readings": [dataclasses.asdict(r) for r in self.readings],
            "removed_secrets": self.removed_secrets,
            "empty": self.empty,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class ImportResult:
    environment: str
    settings_changed: int
    secrets_written: tuple[str, ...]
    created: bool
    noop: bool


# --- URL splitting -------------------------------------------------------------------------------

_URL_HINT = "If the password holds @ : / # ? or %, URL-encode it (# is %23, / is %2F, ? is %3F, % is %25)"


def _url_problem(message: str, *, key: str, line: int, source: str) -> DotenvError:
    return DotenvError(message, source=source, line=line, key=key, hint=_URL_HINT)


def split_database_url(value: str, *, key: str = "DATABASE_URL", line: int = 0, source: str = ".env"
                       ) -> tuple[dict[str, Any], str | None]:
    """Settings of a postgres:// URL and its password (URL-decoded), or DotenvError naming the line."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise _url_problem("is not a valid postgresql:// URL (its host or port cannot be read)",
                           key=key, line=line, source=source) from None
    if parts.scheme.lower() not in ("postgres", "postgresql"):
        raise DotenvError("is not a postgresql:// URL", source=source, line=line, key=key,
                          hint="Write it as postgresql://user:password@host:5432/database")
    if parts.fragment:
        raise _url_problem("has a '#' that is not URL-encoded", key=key, line=line, source=source)
    if not parts.hostname:
        raise _url_problem("has no host", key=key, line=line, source=source)
    if port == 0:
        raise DotenvError("has port 0", source=source, line=line, key=key)
    name = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if "/" in name:
        raise _url_problem("has a database name with '/' in it", key=key, line=line, source=source)
    query = parse_qsl(parts.query, keep_blank_values=True)
    settings: dict[str, Any] = {
        "host": parts.hostname,
        "port": port or 5432,
        "name": name or "postgres",
        "user": unquote(parts.username) if parts.username else "postgres",
        "sslmode": "prefer",
        "params": {},
    }
    params: dict[str, str] = {}
    for k, v in query:
        if k == "sslmode":
            settings["sslmode"] = v
        else:
            params[k] = v
    settings["params"] = params
    password = unquote(parts.password) if parts.password else None
    return settings, password


def split_redis_url(value: str, *, key: str = "REDIS_URL", line: int = 0, source: str = ".env"
                    ) -> tuple[dict[str, Any], str | None, list[str]]:
    """Settings of a redis:// or rediss:// URL, its password, and notes on what was ignored."""
    notes: list[str] = []
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise _url_problem("is not a valid redis:// URL (its host or port cannot be read)",
                           key=key, line=line, source=source) from None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        raise DotenvError("is not a redis:// or rediss:// URL", source=source, line=line, key=key,
                          hint="Write it as rediss://default:password@host:6379")
    if parts.fragment:
        raise _url_problem("has a '#' that is not URL-encoded", key=key, line=line, source=source)
    if not parts.hostname:
        raise _url_problem("has no host", key=key, line=line, source=source)
    if port == 0:
        raise DotenvError("has port 0", source=source, line=line, key=key)
    path = parts.path.strip("/")
    db = 0
    if path:
        if not path.isdigit():
            raise DotenvError("has a path where a database number belongs (redis://host:6379/0)", source=source,
                              line=line, key=key)
        db = int(path)
    if parts.query:
        notes.append(f"{key} (line {line}): query parameters are not used by the console and were ignored")
    settings = {
        "host": parts.hostname,
        "port": port or 6379,
        "username": unquote(parts.username) if parts.username else "",
        "db": db,
        "tls": scheme == "rediss",
    }
    password = unquote(parts.password) if parts.password else None
    return settings, password, notes


# --- reading and writing settings by path ---------------------------------------------------------


def get_setting(env: Environment, path: str) -> Any:
    if path.startswith("extra."):
        return env.extra.get(path[len("extra."):], "")
    obj: Any = env
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def set_setting(env: Environment, path: str, value: Any) -> None:
    if path.startswith("extra."):
        env.extra[path[len("extra."):]] = value
        return
    *parents, last = path.split(".")
    obj: Any = env
    for part in parents:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def show(value: Any) -> str:
    if isinstance(value, dict):
        return urlencode(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def label_of(path: str) -> str:
    if path in SETTING_LABELS:
        return SETTING_LABELS[path]
    if path.startswith("extra."):
        return path[len("extra."):]
    block, _, name = path.partition(".")
    block_label = {"database": "Database", "direct_database": "Direct database", "redis": "Redis",
                   "providers": "Provider", "storage": "Storage", "backup": "Backup"}.get(block, block)
    return f"{block_label} {name.replace('_', ' ')}" if name else block_label


def environment_digest(env: Environment | None) -> str:
    """A digest of an environment's settings, to notice a change between plan and apply."""
    if env is None:
        return "absent"
    data = ws_mod.to_dict(ws_mod.Workspace(environments={env.name: env}))["environments"]
    return hashlib.sha256(repr(sorted(_flatten(data))).encode()).hexdigest()


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, repr(value))]


# --- planning ------------------------------------------------------------------------------------

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _validate_setting(variable: str, path: str, value: str, *, line: int, source: str) -> None:
    if path in ("app_url", "storage.endpoint_url", "backup.endpoint_url", "extra.NEXTAUTH_URL"):
        if not re.match(r"^https?://[^/\s]+", value):
            raise DotenvError("is not an http(s) URL", source=source, line=line, key=variable,
                              hint="Write it as https://host")
        try:
            port = urlsplit(value).port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            raise DotenvError("has a port out of range (1-65535) or a host that cannot be read", source=source,
                              line=line, key=variable)
    if path == "providers.github_repository" and not _REPOSITORY.fullmatch(value):
        raise DotenvError("is not in the form owner/repository", source=source, line=line, key=variable)
    if path in ("storage.files_bucket", "backup.bucket") and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
                                                                            value):
        raise DotenvError("is not a valid bucket name (3-63 lower-case letters, digits, '.' or '-')",
                          source=source, line=line, key=variable)


def _prefixes(workspace: ws_mod.Workspace, env_name: str, kind: EnvironmentKind) -> tuple[set[str], set[str]]:
    """Prefixes that mean 'this environment' and prefixes that mean another one."""
    own = {env_prefix(env_name)} | set(_ENV_ALIASES.get(kind, ()))
    others: set[str] = set()
    for other in workspace.environments.values():
        if other.name != env_name:
            others.add(env_prefix(other.name))
            others |= set(_ENV_ALIASES.get(other.kind, ()))
    for aliases in _ENV_ALIASES.values():
        others |= set(aliases)
    return own, others - own


def _resolve_names(dotenv: DotenvFile, own: set[str], others: set[str]
                   ) -> tuple[dict[str, tuple[str, str, int]], list[DotenvEntry], list[UnknownVariable], list[str]]:
    """Map file keys to canonical variable names. Returns ({canonical: (value, file key, line)}, the
    variables the console does not know, those meant for another environment, notes)."""
    chosen: dict[str, tuple[str, str, int]] = {}
    extras: list[DotenvEntry] = []
    unknown: list[UnknownVariable] = []
    notes: list[str] = []
    prefixed: dict[str, tuple[str, str, int]] = {}
    for key, entry in dotenv.entries.items():
        if key in RECOGNISED:
            chosen[key] = (entry.value, key, entry.line)
            continue
        head, sep, tail = key.partition("_")
        if sep and tail in RECOGNISED:
            if head in own:
                prefixed[tail] = (entry.value, key, entry.line)
                continue
            if head in others:
                unknown.append(UnknownVariable(key, entry.line, f"meant for another environment ({head}); "
                                                                  "not imported"))
                continue
        extras.append(entry)
    for name, item in prefixed.items():
        if name in chosen:
            notes.append(f"{item[1]} (line {item[2]}) overrides {name} (line {chosen[name][2]}) for this environment")
        chosen[name] = item
    return chosen, extras, unknown, notes


def _is_secret_variable(name: str) -> bool:
    return name in SECRET_VARIABLES or name in URL_VARIABLES


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def plan_import(ctx: AppContext, env_name: str, text: str, *, source: str = ".env",
                kind: EnvironmentKind | None = None, secret: Iterable[str] = (),
                plain: Iterable[str] = ()) -> ImportPlan:
    """Parse ``text`` and compare it with environment ``env_name`` (created if it does not exist).

    Values are read as Next.js reads them. Variables the console does not know are kept: as plain
    settings, or in the keyring when they look secret; ``secret`` and ``plain`` name variables to keep
    the other way. Reads the keyring to tell new and changed secrets from unchanged ones (blocking:
    async callers use :func:`aplan_import`). Raises DotenvError naming the line for anything it cannot
    read, ConfigError for a --secret/--plain that names no such variable.
    """
    dotenv = parse_dotenv(text, source=source)
    workspace = ctx.workspace
    current = workspace.environments.get(env_name)
    app_env_entry = dotenv.entries.get("NEXT_PUBLIC_APP_ENV")
    if current is None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", env_name):
            raise ConfigError(f"'{env_name}' cannot be an environment name",
                              hint="Use letters, digits, '.', '_' and '-' only")
        new_kind = kind or guess_kind(env_name, app_env_entry.value if app_env_entry else "")
        base = ws_mod.seed_environment(env_name, new_kind)
        # The seed's example URLs never become a user's settings: the file says where the app is.
        base.app_url = ""
        base.health.tls_domains = []
    else:
        new_kind = current.kind
        base = current
    new_env = copy.deepcopy(base)
    plan = ImportPlan(env_name, source, new_kind, creates_environment=current is None,
                      _base_digest=environment_digest(current))
    plan.warnings += [w.sentence() for w in dotenv.warnings]

    own, others = _prefixes(workspace, env_name, new_kind)
    chosen, extra_entries, unknown, notes = _resolve_names(dotenv, own, others)
    plan.unknown = unknown
    plan.warnings += notes
    plan.recognised = sorted(chosen)
    plan.missing = [name for name in TEMPLATE_VARIABLES if name not in chosen]

    want_secret, want_plain = set(secret), set(plain)
    extra_names = {e.key for e in extra_entries}
    for flag, names in (("--secret", want_secret), ("--plain", want_plain)):
        for name in sorted(names):
            if name in chosen or name in RECOGNISED:
                raise ConfigError(f"{flag} {name}: {name} is a variable the console knows; it always goes where it "
                                  "belongs (secrets to the keyring, settings to the workspace)")
            if name not in extra_names:
                raise ConfigError(f"{flag} {name}: {source} has no variable {name} the console does not know")
    both = want_secret & want_plain
    if both:
        raise ConfigError(f"{', '.join(sorted(both))}: asked to keep as secret and as plain at once")

    # (path, value, variable, line) for settings; (secret, value, variable, line) for secrets.
    settings: list[tuple[str, Any, str, int]] = []
    secrets: list[tuple[str, str, str, int]] = []
    for name, (value, key, line) in chosen.items():
        if value == "":
            plan.empty.append(key)
            continue
        if name in URL_VARIABLES:
            block, secret_name = URL_VARIABLES[name]
            url_secret: str | None  # the password inside the URL, bound for the keyring
            if block == "redis":
                fields, url_secret, url_notes = split_redis_url(value, key=key, line=line, source=source)
                plan.warnings += url_notes
            else:
                fields, url_secret = split_database_url(value, key=key, line=line, source=source)
            for fname, fvalue in fields.items():
                settings.append((f"{block}.{fname}", fvalue, key, line))
            if url_secret:
                secrets.append((secret_name, url_secret, key, line))
        elif name in SECRET_VARIABLES:
            secrets.append((name, value, key, line))
        elif name in SETTING_VARIABLES:
            path = SETTING_VARIABLES[name]
            if name == "AWS_ENDPOINT_URL" and "AWS_ENDPOINT_URL_S3" in chosen and chosen["AWS_ENDPOINT_URL_S3"][0]:
                continue  # boto3: the service-specific variable wins
            _validate_setting(key, path, value, line=line, source=source)
            settings.append((path, value, key, line))

    # Variables the console does not know: every one is kept, as a plain setting or as a secret.
    stored: set[str] = set()
    if current is not None:
        stored = set(ctx.credentials.names(env_name))
    extra_secrets: set[str] = set()
    for entry in extra_entries:
        if entry.value == "":
            plan.empty.append(entry.key)  # as for known variables: an empty value changes nothing
            continue
        if entry.key in stored and entry.key not in IMPORTED_SECRETS:
            guessed, why = True, "kept in the keyring, as before"
        elif entry.key in new_env.extra:
            guessed, why = False, "a plain setting, as before"
        else:
            why = secret_reason(entry.key, entry.value)
            guessed = bool(why)
            if not why:
                why = ("public by definition (NEXT_PUBLIC_)" if entry.key.startswith("NEXT_PUBLIC_")
                       else "nothing about it looks secret")
        is_secret = (guessed or entry.key in want_secret) and entry.key not in want_plain
        flipped = is_secret != guessed
        plan.extras.append(ExtraVariable(entry.key, entry.line, is_secret, why, flipped))
        if is_secret:
            extra_secrets.add(entry.key)
            if entry.value:
                secrets.append((entry.key, entry.value, entry.key, entry.line))
            if entry.key in new_env.extra:  # it was a plain setting before
                settings.append((f"extra.{entry.key}", None, entry.key, entry.line))
        else:
            settings.append((f"extra.{entry.key}", entry.value, entry.key, entry.line))
            if entry.key in stored and entry.key not in IMPORTED_SECRETS:
                plan.removed_secrets.append(entry.key)

    if len(extra_secrets) > MAX_EXTRA_SECRETS:
        raise ConfigError(
            f"{source}: {len(extra_secrets):,} variables the console does not know look secret; an import keeps "
            f"at most {MAX_EXTRA_SECRETS:,} of them in the OS keyring",
            hint="Check that this is the .env file of the platform; nothing was changed")

    # R2's endpoint follows from the Cloudflare account when none is given.
    account = chosen.get("CLOUDFLARE_ACCOUNT_ID")
    if account and account[0] and "CLOUDFLARE_R2_ENDPOINT" not in chosen and not new_env.storage.endpoint_url:
        settings.append(("storage.endpoint_url", f"https://{account[0]}.r2.cloudflarestorage.com",
                         account[1], account[2]))
    if app_env_entry and app_env_entry.value and guess_kind("", app_env_entry.value) not in (
            new_kind, EnvironmentKind.OTHER):
        plan.warnings.append(f"NEXT_PUBLIC_APP_ENV (line {app_env_entry.line}) says '{app_env_entry.value}' "
                             f"but {env_name} is a {new_kind.value} environment")

    old_app_url = new_env.app_url
    for path, value, key, line in settings:
        old = get_setting(new_env, path)
        if value is None:  # an extra setting that is now kept as a secret
            new_env.extra.pop(path[len("extra."):], None)
            plan.settings.append(SettingChange(path, label_of(path), show(old), "(now kept in the keyring)", key,
                                               line))
            continue
        if old == value and not (path.startswith("extra.") and path[len("extra."):] not in new_env.extra):
            plan.unchanged.append(f"{label_of(path)} ({key})")
            continue
        set_setting(new_env, path, value)
        plan.settings.append(SettingChange(path, label_of(path), show(old), show(value), key, line))
    _follow_app_url(new_env, old_app_url, plan, fresh=current is None)

    for secret_name, value, key, line in secrets:
        existing = ctx.credentials.get(env_name, secret_name) if secret_name in stored else None
        ctx.masker.add(value)  # from now on this value is masked in every log line
        if existing == value:
            plan.unchanged.append(f"secret {secret_name} ({key})")
            continue
        plan.secrets.append(SecretChange(secret_name, "change" if existing else "add", key, line))
        plan._secret_values[secret_name] = value

    # Where Next.js reads a value differently from its text: say so now, and keep the note with the
    # environment so that its settings show it too.
    notes_now: dict[str, str] = {}
    not_imported = {u.name for u in plan.unknown}
    canonical_of = {item[1]: name for name, item in chosen.items()}
    for key, entry in dotenv.entries.items():
        if not entry.differs or key in not_imported:
            continue
        canonical = canonical_of.get(key, key)
        if canonical in chosen:
            is_secret = _is_secret_variable(canonical)
        elif key in want_plain:
            is_secret = False
        else:  # what the value was meant to be counts too: "$2b$..." that Next.js reads as "" is a secret
            is_secret = key in extra_secrets or key in want_secret or key in stored or bool(
                secret_reason(key, entry.value) or secret_reason(key, entry.literal))
        note = entry.reading_note(secret=is_secret)
        plan.readings.append(ReadingNote(key, entry.line, note))
        notes_now[key] = note
    if notes_now or new_env.dotenv_notes:
        kept = {k: v for k, v in new_env.dotenv_notes.items() if k not in dotenv.entries}
        new_env.dotenv_notes = {**kept, **notes_now}

    # The workspace model validates itself on save; check now so a bad value is named before applying.
    probe = ws_mod.Workspace(environments={env_name: new_env})
    try:
        ws_mod.loads(ws_mod.dumps(probe), path=source)
    except WorkspaceFileError as exc:
        field_path = (exc.field or "").split(".", 2)[-1]
        culprit = next((s for s in settings if s[0] == field_path), settings[0] if settings else None)
        line, key = (culprit[3], culprit[2]) if culprit else (1, "")
        # The workspace's sentence may quote the value; a .env error never does.
        why = re.sub(r"'[^']*'", "the value", exc.message.split(": ", 1)[-1])
        raise DotenvError(f"gives a setting the workspace cannot hold ({why})",
                          source=source, line=line, key=key or None) from None
    plan._new_env = new_env
    return plan


def _follow_app_url(env: Environment, old_url: str, plan: ImportPlan, *, fresh: bool) -> None:
    """Settings derived from the app URL follow it: the TLS domains (none for http://; the health and
    header checks read the app URL itself). A list the user wrote by hand is kept."""
    if not fresh and env.app_url == old_url:
        return
    derived = not env.health.tls_domains or env.health.tls_domains == [_host_of(old_url)]
    if derived and env.health.tls_domains:
        before = ", ".join(env.health.tls_domains)
        env.health.tls_domains = []
        follows = (f"follows the app URL ({_host_of(env.app_url)})" if env.app_url.startswith("https://")
                   else "none: the app URL is not https, so there is no certificate to check")
        plan.settings.append(SettingChange("health.tls_domains", "TLS domains", before, follows,
                                           "NEXT_PUBLIC_APP_URL", dotenv_line(plan, "app_url")))
    if fresh and not env.app_url:
        plan.warnings.append("the file has no NEXT_PUBLIC_APP_URL: the app's health, headers and TLS checks stay "
                             "off until an app URL is set")


def dotenv_line(plan: ImportPlan, path: str) -> int:
    return next((c.line for c in plan.settings if c.path == path), 0)


@dataclass(frozen=True)
class KeptVariable:
    """A variable an environment holds from an imported .env, for the environment's settings view."""

    name: str
    kept_as: str  # "extra setting", "secret (keyring)", "setting", "setting + keyring"
    value: str    # shown for plain settings only; "" for secrets
    note: str     # how Next.js reads it differently from the file's text ("" when it does not)


def kept_variables(env: Environment, secret_names: Iterable[str]) -> list[KeptVariable]:
    """Extra settings, extra secrets and every variable Next.js reads differently, sorted by name."""
    rows: dict[str, KeptVariable] = {}
    notes = env.dotenv_notes
    for name, value in env.extra.items():
        rows[name] = KeptVariable(name, "extra setting", value, notes.get(name, ""))
    for name in secret_names:
        if name not in IMPORTED_SECRETS and name != "CONSOLE_SENTRY_DSN":
            rows[name] = KeptVariable(name, "secret (keyring)", "", notes.get(name, ""))
    for name, note in notes.items():
        if name in rows:
            continue
        if name in URL_VARIABLES:
            kept = "setting + keyring"
        elif name in SECRET_VARIABLES:
            kept = "secret (keyring)"
        elif name in SETTING_VARIABLES:
            kept = "setting"
        else:
            kept = "not kept: Next.js reads it as empty"
        value = str(get_setting(env, SETTING_VARIABLES[name])) if name in SETTING_VARIABLES and not kept.startswith(
            "secret") else ""
        rows[name] = KeptVariable(name, kept, value, note)
    return [rows[name] for name in sorted(rows)]


def read_dotenv_file(path: str | Path) -> tuple[str, str]:
    """The text of a .env file and the name to show for it (the view never opens files itself)."""
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8"), file.name
    except FileNotFoundError:
        raise ConfigError(f"There is no file {file}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text", hint="Save it as UTF-8 and try again") from None
    except OSError as exc:
        raise ConfigError(f"{file} cannot be read ({exc.strerror})") from None


async def aread_dotenv_file(path: str | Path) -> tuple[str, str]:
    return await asyncio.to_thread(read_dotenv_file, path)


async def aplan_import(ctx: AppContext, env_name: str, text: str, *, source: str = ".env",
                       kind: EnvironmentKind | None = None, secret: Iterable[str] = (),
                       plain: Iterable[str] = ()) -> ImportPlan:
    return await asyncio.to_thread(plan_import, ctx, env_name, text, source=source, kind=kind, secret=secret,
                                   plain=plain)


# --- applying ------------------------------------------------------------------------------------


def apply_import(ctx: AppContext, plan: ImportPlan, auth: Authorization,
                 *, save: Callable[[], None] | None = None) -> ImportResult:
    """Write the plan: secrets to the keyring, then the workspace; all or nothing. Audited.

    ``auth`` comes from ``guard.authorize`` (or the console's unlock dialog) for this environment.
    """
    if auth.environment != plan.environment:
        raise ConfigError(f"The authorization is for {auth.environment}, not {plan.environment}")
    if plan.is_noop:
        return ImportResult(plan.environment, 0, (), False, True)
    current = ctx.workspace.environments.get(plan.environment)
    if environment_digest(current) != plan._base_digest:
        raise ImportChangedError(f"{plan.environment} changed since the import was previewed",
                                 hint="Preview the import again")
    assert plan._new_env is not None
    creds = ctx.credentials
    written: list[tuple[str, str | None]] = []  # (secret, previous value or None)
    details = {"source": plan.source, "settings": [c.path for c in plan.settings],
               "secrets": [c.name for c in plan.secrets], "removed_secrets": plan.removed_secrets,
               "created": plan.creates_environment}
    previous_env = current
    try:
        for change in plan.secrets:
            before = creds.get(plan.environment, change.name) if change.action == "change" else None
            creds.set(plan.environment, change.name, plan._secret_values[change.name])
            written.append((change.name, before))
        for name in plan.removed_secrets:
            before = creds.get(plan.environment, name)
            creds.delete(plan.environment, name)
            written.append((name, before))
        ctx.workspace.environments[plan.environment] = plan._new_env
        (save or ctx.save_workspace)()
    except BaseException as exc:
        if previous_env is None:
            ctx.workspace.environments.pop(plan.environment, None)
        else:
            ctx.workspace.environments[plan.environment] = previous_env
        left = _rollback(ctx, plan.environment, written)
        outcome = "failed; nothing applied" if not left else f"failed; could not undo {', '.join(left)}"
        ctx.audit.record(environment=plan.environment, action="import .env", target=plan.source,
                         reason=auth.reason, outcome=outcome, details=details)
        if not isinstance(exc, Exception):
            raise
        why = exc.sentence() if isinstance(exc, OpsError) else "an unexpected error"
        if left:
            raise ImportApplyError(
                f"The import failed ({why}) and these keyring entries could not be restored: {', '.join(left)}",
                hint="Check them in the environment's secrets", detail=f"{type(exc).__name__}") from None
        raise ImportApplyError(f"The import failed ({why}); nothing was changed",
                               detail=f"{type(exc).__name__}") from None
    ctx.audit.record(environment=plan.environment, action="import .env", target=plan.source, reason=auth.reason,
                     outcome=f"applied: {len(plan.settings)} setting(s), {len(plan.secrets)} secret(s)",
                     details=details)
    log.info("imported %s into %s: %d settings, %d secrets", plan.source, plan.environment,
             len(plan.settings), len(plan.secrets))
    return ImportResult(plan.environment, len(plan.settings), tuple(n for n, _ in written),
                        plan.creates_environment, False)


def _rollback(ctx: AppContext, env_name: str, written: list[tuple[str, str | None]]) -> list[str]:
    left = []
    for name, before in reversed(written):
        try:
            if before is None:
                ctx.credentials.delete(env_name, name)
            else:
                ctx.credentials.set(env_name, name, before)
        except Exception:
            left.append(name)
    return left


async def aapply_import(ctx: AppContext, plan: ImportPlan, auth: Authorization) -> ImportResult:
    return await asyncio.to_thread(apply_import, ctx, plan, auth)

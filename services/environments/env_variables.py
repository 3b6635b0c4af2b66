"""The variables of the platform's ``.env`` files as the console knows them: the seed's template, the
providers' own names, which are secrets, connection URLs or settings; how a variable the console does not
know is taken for a secret or a plain setting; and what an environment holds from an imported file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.core.workspace import Environment, EnvironmentKind
from services.environments.setting_paths import get_setting

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

ENV_ALIASES: dict[EnvironmentKind, tuple[str, ...]] = {
    EnvironmentKind.DEVELOPMENT: ("DEV", "DEVELOPMENT", "LOCAL"),
    EnvironmentKind.STAGING: ("STAGING", "STAGE", "PREVIEW"),
    EnvironmentKind.PRODUCTION: ("PROD", "PRODUCTION"),
}


def guess_kind(name: str, app_env: str = "") -> EnvironmentKind:
    """The kind an environment of this name (or NEXT_PUBLIC_APP_ENV value) most likely is."""
    for text in (name, app_env):
        word = text.strip().lower()
        for kind, aliases in ENV_ALIASES.items():
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


def entropy_bits_per_char(value: str) -> float:
    """Shannon entropy of the characters of ``value`` (bits per character)."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    total = len(value)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


# --- what an environment holds from an imported .env --------------------------------------------


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

"""The workspace model: environments and their settings as typed dataclasses, the seed's defaults, and
the checks a workspace must pass before it is saved or after it is loaded.

The model never holds a secret (secrets live in the OS keyring, see ``credentials``). Its TOML form is in
``workspace_toml``, where the files are in ``workspace_paths``; ``workspace`` gathers all three.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.core.errors import ConfigError
from services.core.workspace_checks import FieldProblem, check_workspace

SCHEMA_VERSION = 1


class EnvironmentKind(enum.StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"
    OTHER = "other"


class Profile(enum.StrEnum):
    VIEWER = "viewer"
    ADMIN = "admin"


@dataclass
class Features:
    """The seed's per-environment feature flags (deployment/config.ts)."""

    debugMode: bool = False
    hotReload: bool = False
    mockData: bool = False
    testIntegrations: bool = False


@dataclass
class DatabaseSettings:
    """A PostgreSQL connection without its password (that is the secret DATABASE_PASSWORD)."""

    host: str = ""
    port: int = 5432
    name: str = "postgres"
    user: str = "postgres"
    sslmode: str = "prefer"
    # Extra URL query parameters (pgbouncer=true, connection_limit, ...), kept verbatim.
    params: dict[str, str] = field(default_factory=dict)
    # The seed's scaling config: Supabase pro tier, 100 connections.
    pool_limit: int = 100

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass
class RedisSettings:
    host: str = ""
    port: int = 6379
    username: str = ""
    db: int = 0
    tls: bool = False
    # The seed's Upstash config: 1 GB, allkeys-lru.
    maxmemory_bytes: int = 1024**3
    eviction_policy: str = "allkeys-lru"

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass
class StorageSettings:
    """Object storage for the platform's files (Cloudflare R2 in the seed)."""

    endpoint_url: str = ""
    region: str = "auto"
    files_bucket: str = "realtor-files"
    images_bucket: str = "realtor-images"
    documents_bucket: str = "realtor-documents"
    # Which secret pair signs requests: "r2" = CLOUDFLARE_R2_*, "aws" = AWS_*.
    credentials: str = "r2"

    @property
    def configured(self) -> bool:
        return bool(self.endpoint_url or self.credentials == "aws")

    def buckets(self) -> dict[str, str]:
        return {"files": self.files_bucket, "images": self.images_bucket, "documents": self.documents_bucket}


@dataclass
class RetentionPolicy:
    """Grandfather-father-son counts; the seed keeps backups 7 years."""

    daily: int = 7
    weekly: int = 5
    monthly: int = 12
    yearly: int = 7
    min_verified: int = 3


@dataclass
class BackupSettings:
    """Where and how database backups go (S3 or R2; the seed's BACKUP_BUCKET_NAME)."""

    endpoint_url: str = ""
    region: str = "us-east-1"
    bucket: str = ""
    prefix: str = "database"
    storage_class: str = "STANDARD_IA"
    credentials: str = "aws"
    part_size_mib: int = 8  # every part but the last this size (R2); peak memory is about 3 parts + ~90 MB
    compression: str = "zstd"
    compression_level: int = 1  # zstd; see services/backup/dump_stream.py for why
    schedule_cron: str = "0 2 * * *"
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    transition_ia_days: int = 30
    expire_days: int = 2555

    @property
    def configured(self) -> bool:
        return bool(self.bucket)

    @property
    def is_r2(self) -> bool:
        """Cloudflare R2 (by its credentials or its endpoint): only STANDARD and STANDARD_IA exist there."""
        host = re.sub(r"^[a-z]+://", "", self.endpoint_url.strip().lower()).split("/", 1)[0].split(":", 1)[0]
        return self.credentials == "r2" or host.endswith(".r2.cloudflarestorage.com")


R2_STORAGE_CLASSES = ("STANDARD", "STANDARD_IA")


@dataclass
class ProviderSettings:
    """Provider identities (never tokens: those are secrets)."""

    vercel_team_id: str = ""
    vercel_project_id: str = ""
    supabase_project_ref: str = ""
    cloudflare_account_id: str = ""
    cloudflare_zone_id: str = ""
    sentry_org: str = ""
    sentry_project: str = ""
    sentry_region: str = "us"  # Sentry's data region: us (us.sentry.io) or de (de.sentry.io)
    betterstack_monitor_ids: list[str] = field(default_factory=list)
    github_repository: str = ""
    github_workflow: str = "deploy.yml"
    upstash_database_id: str = ""
    upstash_email: str = ""
    vercel_analytics_id: str = ""
    # Base URLs per provider, for the sandbox stand-ins or a proxy. Empty = the provider's own.
    api_base: dict[str, str] = field(default_factory=dict)


@dataclass
class ExternalApis:
    """The platform's external services (seed: MLS, email, SMS, 3CX phone), health URLs."""

    mls: str = ""
    email: str = ""
    sms: str = ""
    phone: str = ""

    def items(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in dataclasses.asdict(self).items() if v]


@dataclass
class HealthSettings:
    interval_s: int = 60
    timeout_s: float = 10.0
    retries: int = 2
    tls_domains: list[str] = field(default_factory=list)
    intervals: dict[str, int] = field(default_factory=dict)


@dataclass
class Environment:
    name: str = ""
    kind: EnvironmentKind = EnvironmentKind.OTHER
    app_url: str = ""
    health_path: str = "/api/health"
    features: Features = field(default_factory=Features)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    direct_database: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    providers: ProviderSettings = field(default_factory=ProviderSettings)
    external_apis: ExternalApis = field(default_factory=ExternalApis)
    health: HealthSettings = field(default_factory=HealthSettings)
    # Free-form settings imported from .env that the model has no field for (non-secret only).
    extra: dict[str, str] = field(default_factory=dict)
    # Variables whose text in the imported .env differs from what Next.js reads: variable -> a note saying
    # how ("Next.js will read this as ..."; for secrets only how it differs, never the value).
    dotenv_notes: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.kind == EnvironmentKind.PRODUCTION

    @property
    def health_url(self) -> str:
        if not self.app_url:
            return ""
        return self.app_url.rstrip("/") + "/" + self.health_path.lstrip("/")


@dataclass
class Workspace:
    name: str = "Realtor platform"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    schema_version: int = SCHEMA_VERSION
    profile: Profile = Profile.VIEWER
    sandbox: bool = False
    environments: dict[str, Environment] = field(default_factory=dict)

    def environment(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ConfigError(
                f"There is no environment named '{name}' in this workspace",
                hint=f"Known environments: {known}",
            ) from None

    def production(self) -> Environment | None:
        for env in self.environments.values():
            if env.is_production:
                return env
        return None


@dataclass(frozen=True)
class WorkspaceInfo:
    """A workspace and its file: what ``workspace init`` made (``created``) or ``workspace show`` found."""

    path: str
    workspace: Workspace
    created: bool = False

    def to_json(self) -> dict[str, Any]:
        space = self.workspace
        data: dict[str, Any] = {"workspace": self.path, "name": space.name, "id": space.id,
                                "profile": space.profile.value}
        if not self.created:
            data["sandbox"] = space.sandbox
            data["environments"] = [{"name": e.name, "kind": e.kind.value} for e in space.environments.values()]
        return data


# --- seed defaults ---------------------------------------------------------------------------

SEED_FEATURES = {
    EnvironmentKind.DEVELOPMENT: Features(debugMode=True, hotReload=True, mockData=True, testIntegrations=True),
    EnvironmentKind.STAGING: Features(testIntegrations=True),
    EnvironmentKind.PRODUCTION: Features(),
}
SEED_URLS = {
    EnvironmentKind.DEVELOPMENT: "https://dev-realtor-app.vercel.app",
    EnvironmentKind.STAGING: "https://staging-realtor-app.vercel.app",
    EnvironmentKind.PRODUCTION: "https://realtor-platform.com",
}


def seed_environment(name: str, kind: EnvironmentKind) -> Environment:
    """A new environment with the seed's defaults for its kind."""
    env = Environment(name=name, kind=kind, app_url=SEED_URLS.get(kind, ""))
    env.features = dataclasses.replace(SEED_FEATURES.get(kind, Features()))
    if env.app_url:
        env.health.tls_domains = [env.app_url.split("//", 1)[1].split("/", 1)[0]]
    return env


# --- the profile, and checks -------------------------------------------------------------------


def profile_note(profile: Profile) -> str:
    """What the profile allows and how to change it, in one sentence (the file's header, `workspace show`)."""
    if profile is Profile.ADMIN:
        return ('profile "admin": changes are allowed (production still asks for its name and a reason); '
                'set profile = "viewer" to make this workspace read-only')
    return ('profile "viewer": read-only, nothing is changed (no backups, restores or imports); '
            'set profile = "admin" to allow changes')


_SECRET_SHAPED = re.compile(r"^(gh[opsur]_|github_pat_|sk_|rk_|xox|AKIA|ASIA|eyJ|whsec_|re_|sntrys_)")


def shown_field(path: list[str]) -> str:
    """A dotted field name fit for an error message: a key that looks like a pasted secret (long, or with a
    token's prefix) is not repeated."""
    return ".".join("<key>" if len(p) > 40 or _SECRET_SHAPED.match(p) else p for p in path)


def check_fields(ws: Workspace) -> None:
    """Raise FieldProblem naming the first field that is wrong (the loader adds the file's line)."""
    check_workspace(ws)
    for name, env in ws.environments.items():
        base = ["environments", name]
        if env.backup.is_r2 and (env.backup.storage_class or "STANDARD") not in R2_STORAGE_CLASSES:
            # Already checked to be one of S3's class names, so it is safe to repeat.
            raise FieldProblem([*base, "backup", "storage_class"],
                               f"R2 has no storage class '{env.backup.storage_class}': use STANDARD or STANDARD_IA "
                               "(Infrequent Access)")


def validate(ws: Workspace) -> None:
    """Raise ConfigError naming the first field that is wrong (for callers that hold a model, not a file)."""
    try:
        check_fields(ws)
    except FieldProblem as problem:
        raise ConfigError(f"The workspace field '{shown_field(problem.path)}' {problem.message}",
                          hint="Nothing was saved") from None

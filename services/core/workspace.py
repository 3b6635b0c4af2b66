"""The workspace: a typed model of environments and their settings, stored as TOML.

The file never holds a secret (secrets live in the OS keyring, see ``credentials``). It is
schema-versioned and written atomically; a malformed file is reported with its line and field and is
never overwritten.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import tomllib
import types
import typing
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import platformdirs
import tomli_w

from services.core.atomic_file import write_atomically
from services.core.errors import ConfigError, WorkspaceFileError
from services.core.workspace_checks import FieldProblem as _FieldProblem
from services.core.workspace_checks import check_workspace

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SCHEMA_VERSION = 1
APP_NAME = "realtor-ops"
WORKSPACE_ENV_VAR = "REALTOR_OPS_WORKSPACE"


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


# --- locations ---------------------------------------------------------------------------------


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_workspace_path() -> Path:
    return config_dir() / "workspace.toml"


def resolve_workspace_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """--workspace beats REALTOR_OPS_WORKSPACE beats the OS config folder."""
    if cli_value:
        return Path(cli_value).expanduser()
    env_value = os.environ.get(WORKSPACE_ENV_VAR)
    if env_value:
        return Path(env_value).expanduser()
    return default_workspace_path()


# --- (de)serialisation -----------------------------------------------------------------------


def to_dict(ws: Workspace) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    data: dict[str, Any] = clean(dataclasses.asdict(ws))
    for name, env in data["environments"].items():
        env.pop("name", None)
        data["environments"][name] = env
    return data


def profile_note(profile: Profile) -> str:
    """What the profile allows and how to change it, in one sentence (the file's header, `workspace show`)."""
    if profile is Profile.ADMIN:
        return ('profile "admin": changes are allowed (production still asks for its name and a reason); '
                'set profile = "viewer" to make this workspace read-only')
    return ('profile "viewer": read-only, nothing is changed (no backups, restores or imports); '
            'set profile = "admin" to allow changes')


def dumps(ws: Workspace) -> str:
    header = (
        "# Realtor Ops Console workspace. Holds no secrets: those live in the OS keyring.\n"
        f"# schema_version {SCHEMA_VERSION}\n"
        f"# {profile_note(ws.profile)}.\n"
    )
    return header + tomli_w.dumps(to_dict(ws))


_TOML_LINE = re.compile(r"at line (\d+)")


def _line_of(text: str, path: list[str]) -> int | None:
    """Best-effort line number of a dotted field in TOML text (table header, then key)."""
    lines = text.splitlines()
    if not path:
        return None
    # Look for the deepest table header that prefixes the path, then the key under it.
    for cut in range(len(path), 0, -1):
        header_parts = path[:cut]
        header_pattern = re.compile(
            r"^\s*\[\s*" + r"\s*\.\s*".join(f'(?:{re.escape(p)}|"{re.escape(p)}")' for p in header_parts)
            + r"\s*\]\s*(#.*)?$"
        )
        for i, line in enumerate(lines):
            if header_pattern.match(line):
                if cut == len(path):
                    return i + 1
                key = path[cut]
                key_pattern = re.compile(rf'^\s*(?:{re.escape(key)}|"{re.escape(key)}")\s*=')
                for j in range(i + 1, len(lines)):
                    if lines[j].lstrip().startswith("["):
                        break
                    if key_pattern.match(lines[j]):
                        return j + 1
                return i + 1
    key_pattern = re.compile(rf'^\s*(?:{re.escape(path[-1])}|"{re.escape(path[-1])}")\s*=')
    for i, line in enumerate(lines):
        if key_pattern.match(line):
            return i + 1
    # Inline tables, arrays of tables: the first line that mentions the field's name at all.
    word = re.compile(rf'(?:^|[\s.\[{{,"]){re.escape(path[-1])}(?:[\s.\]}}=,"]|$)')
    for i, line in enumerate(lines):
        if word.search(line):
            return i + 1
    return None


def _toml_error_line(text: str, exc: tomllib.TOMLDecodeError) -> int | None:
    """The line of a TOML syntax error. tomllib reports some (a duplicate key, a key without '=') only
    "at end of document"; then the first prefix of the text that fails the same way names the line."""
    found = _TOML_LINE.search(str(exc))
    if found:
        return int(found.group(1))
    lines = text.split("\n")
    if "end of document" not in str(exc) or len(lines) > 2000:
        return None
    message = str(exc).split(" (at", 1)[0]
    for count in range(1, len(lines) + 1):
        try:
            tomllib.loads("\n".join(lines[:count]))
        except tomllib.TOMLDecodeError as prefix_exc:
            if str(prefix_exc).split(" (at", 1)[0] == message:
                return count
    return len(lines)


def _convert(tp: Any, value: Any, path: list[str]) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise _FieldProblem(path, f"expected a table, found {_kind_of(value)}")
        return _from_table(tp, value, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise _FieldProblem(path, f"is not one of: {allowed}") from None
    if origin is dict:
        _key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise _FieldProblem(path, f"expected a table, found {_kind_of(value)}")
        return {str(k): _convert(val_tp, v, [*path, str(k)]) for k, v in value.items()}
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise _FieldProblem(path, f"expected an array, found {_kind_of(value)}")
        return [_convert(item_tp, v, [*path, str(i)]) for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _convert(arg, value, path)
            except _FieldProblem:
                continue
        raise _FieldProblem(path, f"unexpected {_kind_of(value)}")
    if tp is bool:
        if not isinstance(value, bool):
            raise _FieldProblem(path, f"expected true or false, found {_kind_of(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _FieldProblem(path, f"expected a whole number, found {_kind_of(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _FieldProblem(path, f"expected a number, found {_kind_of(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _FieldProblem(path, f"expected a string, found {_kind_of(value)}")
        return value
    return value


_D = TypeVar("_D", bound="DataclassInstance")


def _from_table(cls: type[_D], table: dict[str, Any], path: list[str]) -> _D:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise _FieldProblem([*path, key], "unknown field")
        kwargs[key] = _convert(hints[key], value, [*path, key])
    return cls(**kwargs)


def _kind_of(value: Any) -> str:
    """What a TOML value is, in words; never the value itself (it may be a pasted secret)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time" if hasattr(value, "isoformat") else type(value).__name__


_SECRET_SHAPED = re.compile(r"^(gh[opsur]_|github_pat_|sk_|rk_|xox|AKIA|ASIA|eyJ|whsec_|re_|sntrys_)")


def shown_field(path: list[str]) -> str:
    """A dotted field name fit for an error message: a key that looks like a pasted secret (long, or with a
    token's prefix) is not repeated."""
    return ".".join("<key>" if len(p) > 40 or _SECRET_SHAPED.match(p) else p for p in path)


def _validate(ws: Workspace, path: list[str]) -> None:
    check_workspace(ws)
    for name, env in ws.environments.items():
        base = [*path, "environments", name]
        if env.backup.is_r2 and (env.backup.storage_class or "STANDARD") not in R2_STORAGE_CLASSES:
            # Already checked to be one of S3's class names, so it is safe to repeat.
            raise _FieldProblem([*base, "backup", "storage_class"],
                                f"R2 has no storage class '{env.backup.storage_class}': use STANDARD or STANDARD_IA "
                                "(Infrequent Access)")


def validate(ws: Workspace) -> None:
    """Raise ConfigError naming the first field that is wrong (for callers that hold a model, not a file)."""
    try:
        _validate(ws, [])
    except _FieldProblem as problem:
        raise ConfigError(f"The workspace field '{shown_field(problem.path)}' {problem.message}",
                          hint="Nothing was saved") from None


_BOM = "\ufeff"
# tomllib recurses once per nesting level of arrays and inline tables; a hostile file nests thousands deep.
# Refuse far above anything a workspace needs and far below Python's recursion limit.
MAX_NESTING = 64


def _nesting_problem(text: str) -> int | None:
    """The line where brackets/braces nest deeper than MAX_NESTING (outside strings and comments), else None.
    A quick scan so the parser never runs into Python's recursion limit."""
    depth = 0
    line = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "\"'":
            triple = text.startswith(c * 3, i)
            quote = c * 3 if triple else c
            j = i + len(quote)
            while j < n:
                if text[j] == "\\" and c == '"':
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if text[j] == "\n":
                    if not triple:
                        break  # unterminated: the parser will say so; go on counting lines from here
                    line += 1
                j += 1
            i = j if j < n and text[j] == "\n" and not triple else j + len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def loads(text: str, *, path: str = "<workspace>") -> Workspace:
    """Parse workspace TOML; raise WorkspaceFileError naming the line and field on any problem.

    A leading UTF-8 byte order mark (Windows editors write one) is accepted."""
    text = text.removeprefix(_BOM)
    deep = _nesting_problem(text)
    if deep is not None:
        raise WorkspaceFileError(
            f"not valid TOML (arrays or tables nested more than {MAX_NESTING} deep)",
            path=path, line=deep, hint="Fix the file by hand or restore it; it was not changed",
        )
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, MemoryError) as exc:
        # tomllib's messages name the place (line, column), never the offending text.
        reason = str(exc).split(" (at", 1)[0] if isinstance(exc, tomllib.TOMLDecodeError) else "nested too deeply"
        line = _toml_error_line(text, exc) if isinstance(exc, tomllib.TOMLDecodeError) else None
        raise WorkspaceFileError(
            f"not valid TOML ({reason})",
            path=path,
            line=line,
            hint="Fix the file by hand or restore it; it was not changed",
        ) from None
    version = raw.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise WorkspaceFileError(
            f"schema_version {version if isinstance(version, int) else _kind_of(version)} is not one this version "
            "of the console understands "
            f"(it reads 1 to {SCHEMA_VERSION})",
            path=path,
            line=_line_of(text, ["schema_version"]),
            field="schema_version",
            hint="Update the console, or fix the field",
        )
    try:
        envs_raw = raw.get("environments", {})
        if not isinstance(envs_raw, dict):
            raise _FieldProblem(["environments"], "expected a table of environments")
        top = {k: v for k, v in raw.items() if k != "environments"}
        ws = _from_table(Workspace, top, [])
        for name, env_raw in envs_raw.items():
            if not isinstance(env_raw, dict):
                raise _FieldProblem(["environments", name], "expected a table")
            env = _from_table(Environment, {**env_raw, "name": name}, ["environments", name])
            ws.environments[name] = env
        _validate(ws, [])
    except _FieldProblem as problem:
        dotted = shown_field(problem.path)
        raise WorkspaceFileError(
            problem.message,
            path=path,
            line=_line_of(text, problem.path),
            field=dotted,
            hint="Fix the field by hand; the file was not changed",
        ) from None
    ws.schema_version = SCHEMA_VERSION
    return ws


def load(path: Path) -> Workspace:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No workspace file at {path}",
            hint="Create one with 'realtor-ops workspace init' (or start the console once), or pass --workspace",
        ) from None
    except UnicodeDecodeError:
        raise WorkspaceFileError("the file is not UTF-8 text", path=str(path)) from None
    except OSError as exc:
        raise WorkspaceFileError(f"cannot be read ({exc.strerror})", path=str(path)) from None
    return loads(text, path=str(path))


def save(ws: Workspace, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, fsync, then rename over the old one."""
    validate(ws)
    text = dumps(ws)
    # Round-trip before writing so that a model bug can never leave an unreadable file behind.
    loads(text, path=str(path))
    write_atomically(path, text)


def create(path: Path, *, name: str = "Realtor platform", profile: Profile = Profile.ADMIN) -> Workspace:
    """A new, empty workspace file at ``path``. Never overwrites: an existing file (or anything else at that
    path) is refused and left as it is."""
    ws = Workspace(name=name, profile=profile)
    validate(ws)
    text = dumps(ws)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: refused when anything exists at the path, a dangling symlink included; no check-then-write race.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ConfigError(f"There is already a workspace at {path}; it was not changed",
                          hint="Pass --workspace with another path, or edit that file") from None
    except OSError as exc:
        raise ConfigError(f"Cannot create a workspace at {path} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ws

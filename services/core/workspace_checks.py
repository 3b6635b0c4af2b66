"""Every field of the workspace checked at the boundary: on load, before save, and so on every .env import
(the importer round-trips its new environment through the loader before it applies anything).

A problem names the field and says what would be valid; it never repeats the value when the value is text
(someone may have pasted a token into the wrong field). Numbers are not secret and are named.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from services.core.workspace_model import BackupSettings, DatabaseSettings, Environment, Workspace


class FieldProblem(Exception):
    """One field is wrong: ``path`` is the field's place in the TOML, ``message`` what is wrong with it."""

    def __init__(self, path: list[str], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IDENT = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_WORKFLOW = re.compile(r"[A-Za-z0-9_.-]{1,100}\.ya?ml|\d{1,20}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}")
_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*")
_EXTRA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?#LW-]{1,60}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
EVICTION_POLICIES = ("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                     "volatile-random", "volatile-ttl")
STORAGE_CLASSES = ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER",
                   "DEEP_ARCHIVE", "REDUCED_REDUNDANCY")
CREDENTIAL_PAIRS = ("r2", "aws")
COMPRESSIONS = ("zstd",)
ZSTD_LEVELS = (1, 22)
MAX_TEXT = 2048
MAX_DAYS = 36500
MAX_SECONDS = 7 * 24 * 3600


def _text(path: list[str], value: str, *, multiline: bool = False) -> None:
    """Every string: bounded, and no control characters (a newline in a region or a host is an
    injection, not a setting)."""
    if len(value) > (65536 if multiline else MAX_TEXT):
        raise FieldProblem(path, f"is too long ({len(value)} characters)")
    bad = _CONTROL.search(value.replace("\n", "").replace("\t", "") if multiline else value)
    if bad:
        raise FieldProblem(path, "contains a control character (a line break, a tab or similar)")


def _between(path: list[str], value: float, low: float, high: float, what: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldProblem(path, f"must be a finite number ({what} between {low:g} and {high:g})")
    if not low <= value <= high:
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        if len(shown) > 24:
            shown = "the number"
        raise FieldProblem(path, f"{shown} is out of range: {what} between {low:g} and {high:g}")


def _one_of(path: list[str], value: str, allowed: Iterable[str], *, empty_ok: bool = False) -> None:
    allowed = tuple(allowed)
    if (empty_ok and value == "") or value in allowed:
        return
    raise FieldProblem(path, "is not one of: " + ", ".join(allowed))


def valid_host(host: str) -> bool:
    """A DNS name (letters, digits, '-', '_' per label) or an IPv4/IPv6 address."""
    if not host or len(host) > 253:
        return False
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(_HOST_LABEL.fullmatch(label) for label in labels)


def _host(path: list[str], value: str, *, empty_ok: bool = True) -> None:
    if value == "" and empty_ok:
        return
    _text(path, value)
    if not valid_host(value):
        raise FieldProblem(path, "is not a host name or IP address (letters, digits, '.', '-')")


def _port(path: list[str], value: int) -> None:
    if not 0 < value < 65536:
        raise FieldProblem(path, f"port {value} is out of range (1 to 65535)")


def url_problem(value: str) -> str | None:
    """What is wrong with an http(s) URL, in words that never repeat it; None when it is fine."""
    if _CONTROL.search(value) or " " in value:
        return "contains a space or a control character"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return "has a port that is not a number from 1 to 65535"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "is not an http(s) URL (write it as https://host)"
    if parts.username is not None or parts.password is not None:
        return "carries a user name or password; URLs in the workspace must not (secrets go to the keyring)"
    if not valid_host(parts.hostname or ""):
        return "does not name a valid host"
    if port is not None and not 0 < port < 65536:
        return f"port {port} is out of range (1 to 65535)"
    return None


def _url(path: list[str], value: str, *, empty_ok: bool = True) -> None:
    if value == "" and empty_ok:
        return
    if len(value) > MAX_TEXT:
        raise FieldProblem(path, f"is too long ({len(value)} characters)")
    problem = url_problem(value)
    if problem:
        raise FieldProblem(path, problem)


def _bucket(path: list[str], value: str) -> None:
    if value == "":
        return
    _text(path, value)
    if not _BUCKET.fullmatch(value) or ".." in value or _is_ip(value):
        raise FieldProblem(path, "is not a valid bucket name (3 to 63 lower-case letters, digits, '.' or '-', "
                           "starting and ending with a letter or digit)")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _region(path: list[str], value: str) -> None:
    _text(path, value)
    if not _REGION.fullmatch(value):
        raise FieldProblem(path, "is not a region name (lower-case letters, digits and '-', like us-east-1 or auto)")


def _ident(path: list[str], value: str) -> None:
    if value == "":
        return
    _text(path, value)
    if not _IDENT.fullmatch(value):
        raise FieldProblem(path, "is not an identifier (letters, digits, '_', '.', ':' or '-', at most 128)")


def _database(base: list[str], db: DatabaseSettings) -> None:
    _host([*base, "host"], db.host)
    _port([*base, "port"], db.port)
    for key in ("name", "user"):
        value = getattr(db, key)
        _text([*base, key], value)
        if db.host and not value:
            raise FieldProblem([*base, key], "is empty")
        if len(value.encode()) > 63:
            raise FieldProblem([*base, key], "is longer than PostgreSQL's 63-byte limit for names")
    _one_of([*base, "sslmode"], db.sslmode, SSL_MODES, empty_ok=True)
    for key, value in db.params.items():
        _text([*base, "params", key], key)
        _text([*base, "params", key], value)
    _between([*base, "pool_limit"], db.pool_limit, 1, 100000, "a connection count")


def _backup(base: list[str], b: BackupSettings) -> None:
    _url([*base, "endpoint_url"], b.endpoint_url)
    _region([*base, "region"], b.region)
    _bucket([*base, "bucket"], b.bucket)
    _text([*base, "prefix"], b.prefix)
    if b.prefix and (not _PREFIX.fullmatch(b.prefix) or any(p in (".", "..") for p in b.prefix.split("/"))):
        raise FieldProblem([*base, "prefix"], "is not a key prefix (letters, digits, '-', '_', '.', separated by "
                           "'/', no '..', no leading or trailing '/')")
    _one_of([*base, "storage_class"], b.storage_class, STORAGE_CLASSES, empty_ok=True)
    _one_of([*base, "credentials"], b.credentials, CREDENTIAL_PAIRS)
    _between([*base, "part_size_mib"], b.part_size_mib, 5, 5120, "MiB per part (S3 allows 5 MiB to 5 GiB)")
    _one_of([*base, "compression"], b.compression, COMPRESSIONS)
    _between([*base, "compression_level"], b.compression_level, *ZSTD_LEVELS, "a zstd level")
    _text([*base, "schedule_cron"], b.schedule_cron)
    fields = b.schedule_cron.split()
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise FieldProblem([*base, "schedule_cron"], "is not a cron line of five fields (minute hour day month "
                           "weekday, e.g. 0 2 * * *)")
    r = b.retention
    for key in ("daily", "weekly", "monthly", "yearly", "min_verified"):
        _between([*base, "retention", key], getattr(r, key), 0, 10000, "a count")
    _between([*base, "transition_ia_days"], b.transition_ia_days, 0, MAX_DAYS, "days")
    _between([*base, "expire_days"], b.expire_days, 1, MAX_DAYS, "days")


def _environment(base: list[str], env: Environment) -> None:
    _url([*base, "app_url"], env.app_url)
    _text([*base, "health_path"], env.health_path)
    if env.health_path and (not env.health_path.startswith("/") or " " in env.health_path):
        raise FieldProblem([*base, "health_path"], "is not a path (it starts with '/', e.g. /api/health)")
    _database([*base, "database"], env.database)
    _database([*base, "direct_database"], env.direct_database)

    r = env.redis
    _host([*base, "redis", "host"], r.host)
    _port([*base, "redis", "port"], r.port)
    _text([*base, "redis", "username"], r.username)
    _between([*base, "redis", "db"], r.db, 0, 65535, "a database number")
    _between([*base, "redis", "maxmemory_bytes"], r.maxmemory_bytes, 0, 2**50, "bytes")
    _one_of([*base, "redis", "eviction_policy"], r.eviction_policy, EVICTION_POLICIES, empty_ok=True)

    s = env.storage
    _url([*base, "storage", "endpoint_url"], s.endpoint_url)
    _region([*base, "storage", "region"], s.region)
    for key in ("files_bucket", "images_bucket", "documents_bucket"):
        _bucket([*base, "storage", key], getattr(s, key))
    _one_of([*base, "storage", "credentials"], s.credentials, CREDENTIAL_PAIRS)

    _backup([*base, "backup"], env.backup)

    p = env.providers
    for key in ("vercel_team_id", "vercel_project_id", "supabase_project_ref", "cloudflare_account_id",
                "cloudflare_zone_id", "sentry_org", "sentry_project", "upstash_database_id", "vercel_analytics_id"):
        _ident([*base, "providers", key], getattr(p, key))
    for i, monitor in enumerate(p.betterstack_monitor_ids):
        _ident([*base, "providers", "betterstack_monitor_ids", str(i)], monitor)
    if p.github_repository:
        _text([*base, "providers", "github_repository"], p.github_repository)
        if not _REPOSITORY.fullmatch(p.github_repository):
            raise FieldProblem([*base, "providers", "github_repository"], "is not in the form owner/repository")
    if p.github_workflow:
        _text([*base, "providers", "github_workflow"], p.github_workflow)
        if not _WORKFLOW.fullmatch(p.github_workflow):
            raise FieldProblem([*base, "providers", "github_workflow"],
                               "is not a workflow file name (like deploy.yml) or a workflow id")
    if p.upstash_email:
        _text([*base, "providers", "upstash_email"], p.upstash_email)
        if not _EMAIL.fullmatch(p.upstash_email):
            raise FieldProblem([*base, "providers", "upstash_email"], "is not an e-mail address")
    for key, url in p.api_base.items():
        _text([*base, "providers", "api_base", key], key)
        _url([*base, "providers", "api_base", key], url, empty_ok=True)

    for key, url in env.external_apis.items():
        _url([*base, "external_apis", key], url)

    h = env.health
    _between([*base, "health", "interval_s"], h.interval_s, 1, MAX_SECONDS, "seconds")
    _between([*base, "health", "timeout_s"], h.timeout_s, 0.1, 600, "seconds")
    _between([*base, "health", "retries"], h.retries, 0, 10, "a count")
    for i, domain in enumerate(h.tls_domains):
        _host([*base, "health", "tls_domains", str(i)], domain, empty_ok=False)
    for key, seconds in h.intervals.items():
        _text([*base, "health", "intervals", key], key)
        _between([*base, "health", "intervals", key], seconds, 1, MAX_SECONDS, "seconds")

    for key, value in env.extra.items():
        if not _EXTRA_KEY.fullmatch(key):
            raise FieldProblem([*base, "extra"], "has a name that is not a variable name (letters, digits, '_')")
        if isinstance(value, str):
            _text([*base, "extra", key], value, multiline=True)


def check_workspace(ws: Workspace) -> None:
    """Raise FieldProblem for the first field that is wrong."""
    _text(["name"], ws.name)
    if not ws.name.strip():
        raise FieldProblem(["name"], "is empty")
    if len(ws.name) > 200:
        raise FieldProblem(["name"], "is longer than 200 characters")
    _text(["id"], ws.id)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", ws.id):
        raise FieldProblem(["id"], "is not a workspace id (letters, digits, '-' and '_')")
    for name, env in ws.environments.items():
        base = ["environments", name]
        if not ENV_NAME.fullmatch(name):
            raise FieldProblem(base, "environment names use letters, digits, '.', '_' and '-' only")
        _environment(base, env)

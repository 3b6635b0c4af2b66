"""The manifest of one backup, and where a backup's objects live in the bucket.

Layout, per environment and date (``prefix`` from the settings, ``database`` by default)::

    {prefix}/{environment}/{YYYY}/{MM}/{DD}/{id}/dump.pgc.zst      the archive (pg_dump -Fc, zstd)
    {prefix}/{environment}/{YYYY}/{MM}/{DD}/{id}/manifest.json     written last: the backup is good
    {prefix}/{environment}/{YYYY}/{MM}/{DD}/{id}/verification.json the last verification's result

The id is the UTC start time plus a random suffix (``20250115T020000Z-a1b2``), so the folder of any id
is known without listing, and ids sort by time. The manifest holds no secret: no password, no key,
no connection string with credentials.
"""

from __future__ import annotations

import builtins
import json
import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.core.errors import ConfigError

MANIFEST_VERSION = 1
ARCHIVE_NAME = "dump.pgc.zst"
MANIFEST_NAME = "manifest.json"
VERIFICATION_NAME = "verification.json"
_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{4,8}$")


def new_backup_id(now: datetime | None = None) -> str:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def id_time(backup_id: str) -> datetime:
    m = _ID.match(backup_id)
    if not m:
        raise ConfigError(f"'{backup_id}' is not a backup id", hint="Ids look like 20250115T020000Z-a1b2; "
                          "see 'backup list'")
    y, mo, d, h, mi, s = (int(g) for g in m.groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except ValueError:  # the right shape, but no such moment (2026-02-29, month 13, 99:99:99)
        raise ConfigError(f"'{backup_id}' is not a backup id: {y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d} "
                          "is not a date and time", hint="Ids look like 20250115T020000Z-a1b2; see 'backup list'"
                          ) from None


def is_backup_id(text: str) -> bool:
    try:
        id_time(text)
    except ConfigError:
        return False
    return True


def env_prefix(prefix: str, environment: str) -> str:
    return f"{prefix.strip('/')}/{environment}/" if prefix.strip("/") else f"{environment}/"


def folder(prefix: str, environment: str, backup_id: str) -> str:
    t = id_time(backup_id)
    return f"{env_prefix(prefix, environment)}{t:%Y/%m/%d}/{backup_id}/"


def archive_key(prefix: str, environment: str, backup_id: str) -> str:
    return folder(prefix, environment, backup_id) + ARCHIVE_NAME


def manifest_key(prefix: str, environment: str, backup_id: str) -> str:
    return folder(prefix, environment, backup_id) + MANIFEST_NAME


def verification_key(prefix: str, environment: str, backup_id: str) -> str:
    return folder(prefix, environment, backup_id) + VERIFICATION_NAME


def split_key(key: str) -> tuple[str, str] | None:
    """(backup id, file name) of a key in the layout, or None for anything else."""
    parts = key.rsplit("/", 2)
    if len(parts) != 3 or not is_backup_id(parts[1]):
        return None
    return parts[1], parts[2]


@dataclass(frozen=True)
class TableStat:
    schema: str
    name: str
    rows: int  # exact, counted in the dump's snapshot; -1 when it could not be counted
    estimate: int  # pg_class.reltuples at backup time (-1: never analysed)
    bytes: int


@dataclass(frozen=True)
class Manifest:
    id: str
    environment: str
    database: str
    key: str
    created_at: datetime
    finished_at: datetime
    duration_s: float
    created_by: str
    trigger: str  # "manual", "scheduled", "safety"
    server_version: str
    client_version: str
    client_major: int
    bytes: int  # stored (compressed) archive size
    dump_bytes: int  # pg_dump's output before compression
    database_bytes: int
    sha256: str  # of the stored object
    compression: str
    compression_level: int
    part_size: int
    parts: int
    storage_class: str
    excluded_schemas: tuple[str, ...] = ()
    tables: tuple[TableStat, ...] = ()
    notes: tuple[str, ...] = ()
    format: str = "pg_dump custom"
    manifest_version: int = MANIFEST_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | builtins.bytes) -> Manifest:
        data = json.loads(text)
        data["created_at"] = datetime.fromisoformat(data["created_at"])
        data["finished_at"] = datetime.fromisoformat(data["finished_at"])
        data["tables"] = tuple(TableStat(**t) for t in data.get("tables", ()))
        data["excluded_schemas"] = tuple(data.get("excluded_schemas", ()))
        data["notes"] = tuple(data.get("notes", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def table_rows(self) -> dict[str, int]:
        return {f"{t.schema}.{t.name}": t.rows for t in self.tables if t.rows >= 0}

    def summary_json(self) -> dict[str, Any]:
        """What ``backup create --json`` prints (``to_json`` is the manifest file's text)."""
        return {"id": self.id, "environment": self.environment, "key": self.key, "bytes": self.bytes,
                "sha256": self.sha256, "created_at": self.created_at.isoformat(),
                "finished_at": self.finished_at.isoformat(), "duration_s": self.duration_s,
                "dump_bytes": self.dump_bytes, "database_bytes": self.database_bytes,
                "server_version": self.server_version, "client_version": self.client_version,
                "trigger": self.trigger, "compression": self.compression, "storage_class": self.storage_class,
                "parts": self.parts, "tables": len(self.tables), "notes": list(self.notes)}


@dataclass(frozen=True)
class Verification:
    backup_id: str
    checked_at: datetime
    ok: bool
    checksum_ok: bool
    archive_ok: bool
    toc_entries: int
    restore_tested: bool
    restore_ok: bool | None
    problems: tuple[str, ...] = ()
    checked_by: str = ""
    duration_s: float = 0.0

    def to_json(self) -> str:
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat()
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Verification:
        data = json.loads(text)
        data["checked_at"] = datetime.fromisoformat(data["checked_at"])
        data["problems"] = tuple(data.get("problems", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary_json(self) -> dict[str, Any]:
        """What ``backup verify --json`` prints (``to_json`` is verification.json's text)."""
        return {"id": self.backup_id, "ok": self.ok, "checksum_ok": self.checksum_ok, "archive_ok": self.archive_ok,
                "toc_entries": self.toc_entries, "restore_tested": self.restore_tested, "restore_ok": self.restore_ok,
                "problems": list(self.problems), "checked_at": self.checked_at.isoformat()}

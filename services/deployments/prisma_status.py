"""Prisma migration status: the environment's ``_prisma_migrations`` table against a
``prisma/migrations`` folder (the repository's, through GitHub's contents API, or a local one).

The classification follows Prisma's own code (prisma-engines ``diagnose_migration_history.rs`` and
``checksum.rs``; prisma ``MigrateStatus.ts``):

- folder and table are matched **by name**; for each folder migration the *first* row with that
  name (rows ordered by ``started_at``) is the one compared;
- *failed*: any row with ``finished_at`` and ``rolled_back_at`` both null;
- *edited*: the compared row's checksum is not SHA-256 of ``migration.sql``, nor of it with CRLF→LF
  or LF→CRLF, nor the same digests without zero padding (old engines wrote those);
- *pending* (``databaseIsBehind``): folder migrations with no row at all; *not in folder*
  (``migrationsDirectoryIsBehind``): rows whose name has no folder; both at once: ``historiesDiverge``;
- the verdict of ``prisma migrate status``: exit 1 for pending, diverged, no table or failed (checked
  in that order); otherwise "Database schema is up to date!" (exit 0) — edited migrations and rows
  missing from the folder do not change it.

``rolled_back`` lists migrations whose rows are all rolled back: ``migrate status`` does not call them
pending (a row exists), but ``migrate deploy`` applies them again.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from services.core.concurrency import settle
from services.core.errors import ConfigError

CHECKSUM_LEN = 64
_NAME = re.compile(r"^[^/\\\x00]{1,255}$")


@dataclass(frozen=True)
class MigrationRow:
    """One row of ``_prisma_migrations``."""

    id: str
    checksum: str
    migration_name: str
    started_at: datetime
    finished_at: datetime | None
    rolled_back_at: datetime | None
    logs: str | None
    applied_steps_count: int

    @property
    def failed(self) -> bool:
        return self.finished_at is None and self.rolled_back_at is None

    @property
    def applied(self) -> bool:
        return self.finished_at is not None and self.rolled_back_at is None


@dataclass(frozen=True)
class FolderMigration:
    """``prisma/migrations/<name>/migration.sql``, as bytes (line endings untouched)."""

    name: str
    script: bytes


@dataclass(frozen=True)
class MigrationStatus:
    source: str  # where the folder was read from
    has_table: bool
    folder: tuple[str, ...]  # names in the folder, sorted
    applied: tuple[str, ...]
    pending: tuple[str, ...]
    failed: tuple[str, ...]
    rolled_back: tuple[str, ...]
    modified: tuple[str, ...]
    not_in_folder: tuple[str, ...]
    history: str | None  # databaseIsBehind, migrationsDirectoryIsBehind, historiesDiverge, or None
    last_common: str | None
    verdict: str  # what `prisma migrate status` would say, in one sentence
    exit_code: int  # what `prisma migrate status` would exit with
    failure_logs: dict[str, str] = field(default_factory=dict)
    applied_at: dict[str, datetime] = field(default_factory=dict)  # name -> finished_at of its applied row

    @property
    def up_to_date(self) -> bool:
        return self.exit_code == 0

    @property
    def deploy_would_apply(self) -> tuple[str, ...]:
        """What ``prisma migrate deploy`` would run (it refuses while a migration is failed)."""
        return tuple(n for n in self.folder if n in self.pending or n in self.rolled_back)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "applied": list(self.applied), "pending": list(self.pending),
                "failed": list(self.failed), "rolled_back": list(self.rolled_back), "modified": list(self.modified),
                "not_in_folder": list(self.not_in_folder), "up_to_date": self.up_to_date, "history": self.history,
                "verdict": self.verdict, "deploy_would_apply": list(self.deploy_would_apply)}


def _digests(script: bytes) -> list[bytes]:
    return [
        hashlib.sha256(script).digest(),
        hashlib.sha256(script.replace(b"\r\n", b"\n")).digest(),
        hashlib.sha256(script.replace(b"\n", b"\r\n")).digest(),
    ]


def script_matches_checksum(script: bytes, checksum: str) -> bool:
    """Prisma's ``script_matches_checksum``: line-ending tolerant, and old unpadded hex accepted."""
    for digest in _digests(script):
        if checksum and len(checksum) != CHECKSUM_LEN:
            rendered = "".join(f"{b:x}" for b in digest)
        else:
            rendered = digest.hex()
        if rendered == checksum:
            return True
    return False


def classify(
    rows: Sequence[MigrationRow] | None, folder: Sequence[FolderMigration], *, source: str = ""
) -> MigrationStatus:
    """``rows`` None: the table does not exist. Rows in any order; sorted by ``started_at`` here."""
    has_table = rows is not None
    ordered = sorted(rows or (), key=lambda r: r.started_at)
    fs = sorted(folder, key=lambda m: m.name)
    names = [m.name for m in fs]
    first_row: dict[str, MigrationRow] = {}
    for row in ordered:
        first_row.setdefault(row.migration_name, row)
    edited: list[str] = []
    fs_not_in_db: list[tuple[int, str]] = []
    for index, migration in enumerate(fs):
        match = first_row.get(migration.name)
        if match is None:
            fs_not_in_db.append((index, migration.name))
        elif not script_matches_checksum(migration.script, match.checksum):
            edited.append(match.migration_name)
    folder_names = set(names)
    failed = [r.migration_name for r in ordered if r.failed]
    not_in_folder = [r.migration_name for r in ordered if r.migration_name not in folder_names]
    by_name: dict[str, list[MigrationRow]] = {}
    for row in ordered:
        by_name.setdefault(row.migration_name, []).append(row)
    applied = [n for n in names if any(r.applied for r in by_name.get(n, ()))]
    rolled_back = [
        n for n in names if by_name.get(n) and all(r.rolled_back_at is not None for r in by_name[n])
    ]
    pending = [n for _, n in fs_not_in_db]
    history: str | None = None
    last_common: str | None = None
    if pending and not_in_folder:
        history = "historiesDiverge"
        first_index = fs_not_in_db[0][0]
        last_common = names[first_index - 1] if first_index > 0 else None
    elif pending:
        history = "databaseIsBehind"
    elif not_in_folder:
        history = "migrationsDirectoryIsBehind"
    verdict, code = _verdict(history, has_table, names, pending, failed, not_in_folder, last_common)
    applied_at = {}
    for n in applied:
        done = [r.finished_at for r in by_name[n] if r.applied and r.finished_at is not None]
        if done:
            applied_at[n] = max(done)
    logs = {r.migration_name: (r.logs or "") for r in ordered if r.failed}
    return MigrationStatus(
        source=source,
        has_table=has_table,
        folder=tuple(names),
        applied=tuple(applied),
        pending=tuple(pending),
        failed=tuple(dict.fromkeys(failed)),
        rolled_back=tuple(rolled_back),
        modified=tuple(dict.fromkeys(edited)),
        not_in_folder=tuple(dict.fromkeys(not_in_folder)),
        history=history,
        last_common=last_common,
        verdict=verdict,
        exit_code=code,
        failure_logs=logs,
        applied_at=applied_at,
    )


def _verdict(
    history: str | None,
    has_table: bool,
    names: list[str],
    pending: list[str],
    failed: list[str],
    not_in_folder: list[str],
    last_common: str | None,
) -> tuple[str, int]:
    # The order of MigrateStatus.ts: behind, diverged, no table, failed, else up to date.
    if history == "databaseIsBehind":
        return f"Following migration(s) have not yet been applied: {', '.join(pending)}", 1
    if history == "historiesDiverge":
        return (
            "Your local migration history and the migrations table from your database are different "
            f"(last common migration: {last_common or 'none'}; not applied: {', '.join(pending)}; "
            f"not found locally: {', '.join(dict.fromkeys(not_in_folder))})",
            1,
        )
    if not has_table:
        return "The current database is not managed by Prisma Migrate", 1
    if failed:
        return f"Following migration(s) have failed: {', '.join(dict.fromkeys(failed))}", 1
    return "Database schema is up to date!", 0


# -- reading the two sides ---------------------------------------------------------------------------

_ROWS_SQL = (
    'SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at, logs, applied_steps_count '
    'FROM "_prisma_migrations" ORDER BY started_at ASC'
)


async def read_rows(conninfo: dict[str, Any], *, schema: str = "public") -> tuple[MigrationRow, ...] | None:
    """The table's rows, or None when the table does not exist (a database Prisma does not manage)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(autocommit=True, **conninfo) as conn:
        cur = await conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."_prisma_migrations"',))
        found = await cur.fetchone()
        if found is None or found[0] is None:
            return None
        await conn.execute("SELECT set_config('search_path', %s, false)", (f'"{schema}"',))
        cur = await conn.execute(_ROWS_SQL)
        rows = await cur.fetchall()
    return tuple(
        MigrationRow(str(r[0]), str(r[1]), str(r[2]), r[3], r[4], r[5], r[6], int(r[7] or 0)) for r in rows
    )


def read_local_folder(path: Path) -> tuple[FolderMigration, ...]:
    """Every sub-folder of ``path`` is a migration whose script is its ``migration.sql`` (as Prisma)."""
    if not path.is_dir():
        raise ConfigError(f"The migrations folder '{path}' does not exist or is not a folder",
                          hint="Give the path of prisma/migrations")
    out = []
    for child in sorted(path.iterdir(), key=lambda p: p.name):
        if not child.is_dir():
            continue  # migration_lock.toml and stray files
        script = child / "migration.sql"
        if not script.is_file():
            raise ConfigError(f"The migration folder '{child.name}' has no migration.sql",
                              hint="Prisma refuses such a folder too; remove it or add its script")
        out.append(FolderMigration(child.name, script.read_bytes()))
    return tuple(out)


async def read_github_folder(client: Any, repository: str, path: str = "prisma/migrations",
                             *, ref: str | None = None, concurrency: int = 6) -> tuple[FolderMigration, ...]:
    """The folder from GitHub's contents API: list it, then fetch each ``migration.sql``."""
    from services.providers.github_actions import file_bytes, list_directory

    entries = await list_directory(client, repository, path, ref=ref)
    dirs = [e for e in entries if e.type == "dir" and _NAME.match(e.name)]
    gate = asyncio.Semaphore(concurrency)

    async def one(name: str) -> FolderMigration:
        async with gate:
            return FolderMigration(name, await file_bytes(client, repository, f"{path}/{name}/migration.sql",
                                                          ref=ref))

    return tuple(await settle(*(one(e.name) for e in dirs)))

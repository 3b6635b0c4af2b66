"""Prisma migration status on a real PostgreSQL ``_prisma_migrations`` table, for every state, with the
verdict ``prisma migrate status`` gives by its own rules (diagnose_migration_history.rs, checksum.rs,
MigrateStatus.ts); and end to end against the sandbox's repository (GitHub stand-in) and schema."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from sandbox import migration_story
from sandbox.realtor_schema import PRISMA_MIGRATIONS_DDL, install_realtor_schema_sync
from services.core.errors import ConfigError
from services.deployments.migrations import MigrationsRequest, migration_status
from services.deployments.prisma_status import (
    FolderMigration,
    classify,
    read_local_folder,
    read_rows,
    script_matches_checksum,
)
from tests.deployments.conftest import make_world
from tests.providers.conftest import Standins

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def conninfo(dsn: str) -> dict[str, object]:
    return dict(psycopg.conninfo.conninfo_to_dict(dsn))


def insert(dsn: str, rows: list[tuple[str, str, int, bool, bool]]) -> None:
    """(name, checksum, minutes after T0, finished, rolled back)."""
    with psycopg.connect(dsn) as conn:
        conn.execute(PRISMA_MIGRATIONS_DDL)
        for name, checksum, minutes, finished, rolled in rows:
            started = T0 + timedelta(minutes=minutes)
            conn.execute(
                'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at,'
                " started_at, applied_steps_count) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                (str(uuid.uuid4()), checksum, started + timedelta(seconds=1) if finished else None,
                 name, None if finished else f"Migration name: {name}\nERROR: boom", started if rolled else None,
                 started, 1 if finished else 0))


def folder(tmp: Path, items: dict[str, bytes]) -> tuple[FolderMigration, ...]:
    (tmp / "migration_lock.toml").write_text('provider = "postgresql"\n')
    for name, script in items.items():
        (tmp / name).mkdir()
        (tmp / name / "migration.sql").write_bytes(script)
    return read_local_folder(tmp)


A, B, C, D = (f"2026010{i}000000_m{i}" for i in range(1, 5))
SQL = {A: b"CREATE TABLE a (id int);\n", B: b"-- b\nCREATE TABLE b (id int);\n", C: b"ALTER TABLE a ADD x int;\n",
       D: b"CREATE INDEX ON a (x);\n"}


async def test_every_state_and_the_diverged_verdict(scratch_db: str, tmp_path: Path) -> None:
    crlf_b = SQL[B].replace(b"\n", b"\r\n")  # checked out on Windows: not an edit for Prisma
    unpadded = "".join(f"{byte:x}" for byte in hashlib.sha256(SQL[A]).digest())  # an old engine's checksum
    insert(scratch_db, [
        ("20251231000000_gone", sha(b"old"), 0, True, False),  # applied, folder deleted since
        (A, unpadded, 1, True, False),
        (B, sha(SQL[B]), 2, True, False),
        (C, sha(b"ALTER TABLE a ADD y int;\n"), 3, True, False),  # edited after it was applied
        (D, sha(SQL[D]), 4, False, False),  # failed
        ("20260105000000_m5", sha(b"x"), 5, False, True),  # failed, then marked rolled back
    ])
    fs = folder(tmp_path, {A: SQL[A], B: crlf_b, C: SQL[C], D: SQL[D], "20260105000000_m5": b"x",
                           "20260106000000_m6": b"CREATE TABLE f ();\n"})
    rows = await read_rows(conninfo(scratch_db))
    assert rows is not None and len(rows) == 6
    status = classify(rows, fs, source=str(tmp_path))
    assert status.applied == (A, B, C)
    assert status.pending == ("20260106000000_m6",)
    assert status.failed == (D,)
    assert status.rolled_back == ("20260105000000_m5",)
    assert status.modified == (C,), "CRLF and unpadded checksums match, as in Prisma"
    assert status.not_in_folder == ("20251231000000_gone",)
    assert status.history == "historiesDiverge" and status.last_common == "20260105000000_m5"
    assert status.exit_code == 1 and not status.up_to_date
    assert "different" in status.verdict
    assert status.deploy_would_apply == ("20260105000000_m5", "20260106000000_m6")
    assert "boom" in status.failure_logs[D]


async def test_verdicts_in_prisma_order(scratch_db: str, tmp_path: Path) -> None:
    fs = folder(tmp_path, {A: SQL[A], B: SQL[B]})
    assert await read_rows(conninfo(scratch_db)) is None
    # No table at all: every folder migration is unapplied — databaseIsBehind comes first.
    none = classify(None, fs)
    assert (none.history, none.exit_code, none.has_table) == ("databaseIsBehind", 1, False)
    assert classify(None, ()).verdict == "The current database is not managed by Prisma Migrate"
    insert(scratch_db, [(A, sha(SQL[A]), 1, True, False)])
    behind = classify(await read_rows(conninfo(scratch_db)), fs)
    assert behind.pending == (B,) and behind.exit_code == 1 and behind.verdict.startswith("Following migration")
    insert(scratch_db, [(B, sha(b"edited"), 2, True, False)])
    edited = classify(await read_rows(conninfo(scratch_db)), fs)
    assert edited.modified == (B,) and edited.exit_code == 0, "an edit does not change migrate status"
    assert edited.verdict == "Database schema is up to date!"
    insert(scratch_db, [("20251201000000_hotfix", sha(b"h"), 3, True, False)])
    dir_behind = classify(await read_rows(conninfo(scratch_db)), fs)
    assert (dir_behind.history, dir_behind.exit_code) == ("migrationsDirectoryIsBehind", 0)
    insert(scratch_db, [("20251201000000_hotfix2", sha(b"h2"), 4, False, False)])
    failed = classify(await read_rows(conninfo(scratch_db)), fs)
    assert failed.exit_code == 1 and failed.verdict.endswith("have failed: 20251201000000_hotfix2")


def test_first_row_by_started_at_is_the_one_compared() -> None:
    """A migration rolled back and applied again with a fixed script: Prisma compares the first row."""
    from services.deployments.prisma_status import MigrationRow

    def row(i: int, checksum: str, rolled: bool) -> MigrationRow:
        at = T0 + timedelta(minutes=i)
        return MigrationRow(str(i), checksum, A, at, None if rolled else at, at if rolled else None, None, 1)

    fixed = b"CREATE TABLE a (id int, y int);\n"
    status = classify([row(2, sha(fixed), False), row(1, sha(b"first try"), True)], [FolderMigration(A, fixed)])
    assert status.applied == (A,) and status.modified == (A,) and status.rolled_back == () and status.exit_code == 0


def test_checksum_rules_from_prisma() -> None:
    # checksum.rs' own cases: line-ending agnostic, but not whitespace agnostic.
    for a in (b"ab\ncd\nef\ngh\rab", b"ab\r\ncd\r\nef\r\ngh\rab"):
        for b in (b"ab\ncd\nef\ngh\rab", b"ab\r\ncd\r\nef\r\ngh\rab"):
            assert script_matches_checksum(a, sha(b))
    assert not script_matches_checksum(b"abc", sha(b"abcd"))
    assert not script_matches_checksum(b"abc\n", sha(b"abc"))


def test_local_folder_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_local_folder(tmp_path / "nope")
    (tmp_path / "20260101_x").mkdir()
    with pytest.raises(ConfigError, match=r"'20260101_x' has no migration\.sql"):
        read_local_folder(tmp_path)


async def test_sandbox_story_from_the_repository_on_github(scratch_db: str, tmp_path: Path,
                                                           app_dirs: dict[str, Path], standins: Standins) -> None:
    install_realtor_schema_sync(scratch_db, rows_scale=0.02)
    migration_story.apply_story(scratch_db, "production")
    world = make_world(tmp_path, app_dirs, standins, database_dsn=scratch_db)
    status = await migration_status(world.ctx, MigrationsRequest("production"))
    assert status.pending == (migration_story.PENDING,)
    assert migration_story.EDITED in status.modified
    # The full-text-search migration's first row is its rolled-back first try: Prisma reports it edited.
    assert "20250402110455_listing_full_text_search" in status.modified
    assert status.exit_code == 1 and status.source.endswith("prisma/migrations")
    contents = [p for _, p, _ in world.github.log if "/contents/" in p]
    assert len(contents) == 1 + len(status.folder)
    migration_story.apply_story(scratch_db, "staging")
    migration_story.apply_story(scratch_db, "staging")  # idempotent
    status = await migration_status(world.ctx, MigrationsRequest("staging"))
    assert status.failed == (migration_story.PENDING,) and status.pending == ()
    assert status.verdict.startswith("Following migration(s) have failed")

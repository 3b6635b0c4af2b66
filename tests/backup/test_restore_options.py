"""Restoring part of a backup: data only into an existing schema, and selected schemas only."""

from __future__ import annotations

import psycopg

from sandbox.realtor_schema import install_realtor_schema_sync
from services.backup.dump_stream import create_backup
from services.backup.restore import RestoreOptions, restore_backup
from tests.backup.conftest import BackupEnv, dsn_for
from tests.backup.fixtures_sql import fingerprint, schema_dump


async def test_data_only_restore_puts_the_rows_back_and_leaves_the_schema(backup_env: BackupEnv) -> None:
    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.05)
    ctx = backup_env.ctx
    manifest = await create_backup(ctx, "staging")
    before_schema, before_fp = schema_dump(backup_env.dsn), fingerprint(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("DELETE FROM showings")
        c.execute("UPDATE listings SET price = price + 1")
    assert fingerprint(backup_env.dsn) != before_fp
    # Into the environment itself: its name is what must be typed, and a safety backup comes first.
    result = await restore_backup(ctx, "staging", manifest.id, "staging", confirm="staging", reason="data fix",
                                  options=RestoreOptions(data_only=True))

    assert result.tables_checked >= 6
    assert result.safety_backup_id
    assert fingerprint(backup_env.dsn) == before_fp
    assert schema_dump(backup_env.dsn) == before_schema


async def test_selected_schema_only(backup_env: BackupEnv, pg_dsn: str) -> None:
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA reporting")
        c.execute("CREATE TABLE reporting.monthly (month date PRIMARY KEY, closed_deals int NOT NULL)")
        c.execute("INSERT INTO reporting.monthly SELECT d, 10 + extract(month FROM d)::int "
                  "FROM generate_series('2025-01-01'::date, '2025-12-01', '1 month') d")
        c.execute("CREATE TABLE public.scratch (id int PRIMARY KEY)")
        c.execute("INSERT INTO public.scratch SELECT generate_series(1, 50)")
    ctx = backup_env.ctx
    manifest = await create_backup(ctx, "staging")
    target = f"{psycopg.conninfo.conninfo_to_dict(backup_env.dsn)['dbname']}_reporting"
    try:
        result = await restore_backup(ctx, "staging", manifest.id, target, confirm=target, reason="reporting only",
                                      options=RestoreOptions(schemas=("reporting",), skip_safety_backup=True))
        assert result.tables_checked == 1
        with psycopg.connect(dsn_for(backup_env.dsn, target)) as c:
            tables = {r[0] for r in c.execute(
                "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema')").fetchall()}
            assert tables == {"reporting.monthly"}
            assert c.execute("SELECT sum(closed_deals) FROM reporting.monthly").fetchone() == (198,)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_table_of_contents_lines_with_spaces_and_empty_owners() -> None:
    """``pg_restore -l`` separates fields with spaces that names may contain too."""
    from services.backup.archive import parse_toc

    listing = "\n".join([
        ";",
        "; Archive created at 2026-11-26 10:00:00 UTC",
        "3; 3079 16385 EXTENSION - pg_trgm ",
        "4; 0 0 COMMENT - EXTENSION pg_trgm ",
        "6; 2615 16400 SCHEMA - Weird \"Schema\" app owner",
        "7; 2615 2200 SCHEMA - public pg_database_owner",
        "9; 1259 16401 TABLE Weird \"Schema\" my table app owner",
        "10; 0 16401 TABLE DATA Weird \"Schema\" my table app owner",
        "11; 1259 16500 TABLE public listings postgres",
        "12; 0 0 ACL public TABLE listings postgres",
        "13; 0 0 DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES postgres",
        "14; 1259 16600 TABLE public stray name unknown_owner",
    ])
    entries = {e.dump_id: e for e in parse_toc(listing, roles=["postgres", "app owner", "anon"])}
    assert (entries[3].desc, entries[3].schema, entries[3].name, entries[3].owner) == ("EXTENSION", "-", "pg_trgm", "")
    assert (entries[4].desc, entries[4].name, entries[4].owner) == ("COMMENT", "EXTENSION pg_trgm", "")
    assert (entries[6].schema, entries[6].name, entries[6].owner) == ("-", 'Weird "Schema"', "app owner")
    assert (entries[9].schema, entries[9].name, entries[9].owner) == ('Weird "Schema"', "my table", "app owner")
    assert (entries[10].desc, entries[10].schema, entries[10].name) == ("TABLE DATA", 'Weird "Schema"', "my table")
    assert (entries[12].desc, entries[12].schema, entries[12].name, entries[12].owner) == (
        "ACL", "public", "TABLE listings", "postgres")
    assert (entries[13].desc, entries[13].name) == ("DEFAULT ACL", "DEFAULT PRIVILEGES FOR TABLES")
    assert (entries[14].schema, entries[14].name, entries[14].owner) == ("public", "stray name", "unknown_owner")


def test_zstd_parameters_widen_the_window_and_table_and_any_decoder_reads_them() -> None:
    """Level 1 misses phrases repeated further apart than 512 KiB; ours looks back 8 MiB (see dump_stream)."""
    import random

    import zstandard

    from services.backup.dump_stream import zstd_parameters

    for level in (1, 3, 9):
        p, base = zstd_parameters(level), zstandard.ZstdCompressionParameters.from_level(level)
        assert p.window_log >= 23 and p.hash_log >= 18
        assert p.window_log >= base.window_log and p.strategy == base.strategy
    # Two 1 MiB blocks of random words, the second a copy of the first: only a window > 1 MiB sees it.
    rng = random.Random(3)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]
    block = " ".join(rng.choices(words, k=200_000)).encode()[: 1 << 20]
    data = block + block
    ours = zstandard.ZstdCompressor(compression_params=zstd_parameters(1)).compress(data)
    plain = zstandard.ZstdCompressor(level=1).compress(data)
    assert len(ours) < 0.6 * len(plain)
    assert zstandard.ZstdDecompressor().decompress(ours) == data
    # The streaming reader restore uses, with its default window limit.
    import io

    assert zstandard.ZstdDecompressor().stream_reader(io.BytesIO(ours)).read() == data

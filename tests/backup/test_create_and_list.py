"""backup create / list against real PostgreSQL and a real S3 endpoint."""

from __future__ import annotations

import hashlib
import json

import zstandard

from sandbox.realtor_schema import install_realtor_schema_sync
from services.backup import manifest as mf
from services.backup.catalog import Catalog, list_backups
from services.backup.dump_stream import create_backup
from services.backup.store import store_for
from services.core.object_storage import make_client
from services.core.progress import Progress
from tests.backup.conftest import BackupEnv


async def test_create_streams_a_checksummed_archive_and_lists_it(backup_env: BackupEnv, s3_location) -> None:
    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.2)
    snapshots = []
    progress = Progress(snapshots.append, min_interval_s=0)
    m = await create_backup(backup_env.ctx, "staging", progress)

    # Key layout per environment and date; the stored object is what the checksum covers.
    assert m.key == f"database/staging/{m.created_at:%Y/%m/%d}/{m.id}/dump.pgc.zst"
    client = make_client(s3_location)
    head = client.head_object(Bucket=backup_env.bucket, Key=m.key)
    assert head["StorageClass"] == "STANDARD_IA" and head["ContentLength"] == m.bytes
    body = client.get_object(Bucket=backup_env.bucket, Key=m.key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == m.sha256
    raw = zstandard.ZstdDecompressor().decompressobj().decompress(body)
    assert raw[:5] == b"PGDMP" and len(raw) == m.dump_bytes
    assert m.bytes < m.dump_bytes

    # Manifest: exact row counts from the dump's snapshot, versions, who, no secrets.
    rows = m.table_rows()
    assert rows["public.listings"] == 480 and rows["public.agents"] == 10
    assert m.server_version.startswith("15") and m.client_major >= 15
    stored = json.loads(client.get_object(Bucket=backup_env.bucket, Key=m.key.replace(mf.ARCHIVE_NAME,
                                                                                      mf.MANIFEST_NAME))["Body"].read())
    assert stored["sha256"] == m.sha256 and stored["id"] == m.id
    assert progress.done == m.dump_bytes and snapshots

    catalog = await list_backups(backup_env.ctx, "staging")
    assert [e.id for e in catalog.entries] == [m.id]
    entry = catalog.entries[0]
    assert entry.state == "good" and entry.verification == "unverified" and entry.sha256 == m.sha256
    assert catalog.freshness.level == "fresh"

    # The audit log has the entry.
    assert backup_env.ctx.audit.entries()[0].action == "backup create"


async def test_catalog_pages_thousands_and_uses_its_cache(backup_env: BackupEnv, s3_location) -> None:
    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.05)
    m = await create_backup(backup_env.ctx, "staging")
    store = await store_for(backup_env.ctx, backup_env.env)
    client = make_client(s3_location)
    # 600 more backups (archive + manifest each): 1,200 keys -> two pages of listing.
    template = json.loads(m.to_json())
    from concurrent.futures import ThreadPoolExecutor

    def put(i: int) -> None:
        bid = f"2024{1 + i % 12:02d}{1 + i % 28:02d}T0{i % 10}0000Z-{i:04x}"
        doc = dict(template, id=bid, key=store.archive_key(bid),
                   created_at=mf.id_time(bid).isoformat(), finished_at=mf.id_time(bid).isoformat())
        client.put_object(Bucket=backup_env.bucket, Key=store.archive_key(bid), Body=b"x")
        client.put_object(Bucket=backup_env.bucket, Key=store.manifest_key(bid), Body=json.dumps(doc).encode())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(600)))
    heard: list[Catalog] = []
    catalog = await list_backups(backup_env.ctx, "staging", on_listed=heard.append)
    assert len([e for e in catalog.entries if e.good]) == 601
    assert catalog.entries[0].id == m.id  # newest first
    # Before the 600 manifests were fetched: the early catalog, from the listing alone.
    early, = heard
    assert early.reading >= 600 and {e.id for e in early.entries} == {e.id for e in catalog.entries}
    assert sum(e.state == "listed" for e in early.entries) >= 600
    assert all(e.state in ("listed", "good") for e in early.entries)
    assert early.freshness.level == catalog.freshness.level == "fresh"

    # Second listing: manifests come from the cache (none fetched again).
    calls = []
    store.client.meta.events.register("before-call.s3.GetObject", lambda **kw: calls.append(1))
    again = await list_backups(backup_env.ctx, "staging", store=store, on_listed=heard.append)
    assert len(again.entries) == 601 and calls == []
    assert len(heard) == 1  # nothing to fetch: no early catalog

    # The bucket unreachable: the last-known catalog, marked as such.
    from services.backup.catalog import list_backups as lb
    from services.core.object_storage import S3Location

    dead = S3Location("http://127.0.0.1:9", "us-east-1", "a", "b")
    from services.backup.store import BackupStore

    offline = await lb(backup_env.ctx, "staging", store=BackupStore(make_client(dead, max_attempts=1), dead,
                                                                     backup_env.env.backup, "staging"),
                       offline_ok=True)
    assert offline.from_cache and len(offline.entries) == 601 and "refused" in offline.offline_reason


def test_an_early_catalog_says_what_it_has_not_read_yet() -> None:
    from datetime import UTC, datetime, timedelta

    from services.backup.catalog import CatalogEntry, freshness

    now = datetime(2026, 11, 29, 12, tzinfo=UTC)

    def listed(hours: float, verification: str) -> CatalogEntry:
        return CatalogEntry("b", "production", "k", "listed", now - timedelta(hours=hours), 10, "", verification,
                            None, "")

    recent = freshness([listed(2, "unread")], now)
    assert recent.level == "fresh" and "its manifest and verification are being read" in recent.sentence
    assert "not verified yet" in freshness([listed(2, "unverified")], now).sentence
    assert freshness([listed(30, "unread")], now).level == "stale"
    damaged = CatalogEntry("b", "production", "k", "damaged", now, 10, "", "unverified", None, "")
    assert freshness([damaged], now).level == "none"


async def test_a_listing_started_before_a_backup_finished_is_not_shared_after_it(backup_env: BackupEnv,
                                                                                   monkeypatch) -> None:
    """Listings asked at once share one read; but once a backup's manifest is written, the next caller
    reads anew: the Backups screen refreshing after 'Back up now' must show the new backup."""
    import asyncio
    import threading

    from services.backup.store import LISTINGS, BackupStore

    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.05)
    monkeypatch.setattr(LISTINGS, "join_s", 600.0)  # the backup finishes while the old listing may be joined
    listing = BackupStore.list_objects
    listed, release = threading.Event(), threading.Event()

    def slow_listing(self, prefix=None):  # type: ignore[no-untyped-def]
        found = list(listing(self, prefix))  # the bucket as it is now, before the backup
        listed.set()
        release.wait(30)  # a far bucket: the answer is still on its way when the backup finishes
        return iter(found)

    monkeypatch.setattr(BackupStore, "list_objects", slow_listing)
    before = asyncio.ensure_future(list_backups(backup_env.ctx, "staging"))
    await asyncio.to_thread(listed.wait, 30)
    monkeypatch.setattr(BackupStore, "list_objects", listing)
    m = await asyncio.wait_for(create_backup(backup_env.ctx, "staging"), 120)
    after = asyncio.ensure_future(list_backups(backup_env.ctx, "staging"))
    await asyncio.sleep(0.2)
    release.set()
    old, new = await asyncio.wait_for(asyncio.gather(before, after), 60)
    assert old.find(m.id) is None  # the listing from before the backup
    assert new.find(m.id) is not None and new.find(m.id).good  # type: ignore[union-attr]

"""The seed's recommendations on a real PostgreSQL and a real (moto) bucket; nothing is ever deleted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.core.object_storage import make_client
from services.costs.prices import default_table
from services.costs.recommendations import (
    StoredObject,
    backups_past_retention,
    images_not_webp,
    old_logs_and_temp,
    recommend,
    references_in,
    smaller_database,
)
from services.health.history import HealthHistory
from services.health.model import CheckResult, Status
from tests.costs.conftest import (
    CLIENT_OVERRIDES,
    FakeContext,
    UsageStandins,
    credentials_for,
    sandbox_like_workspace,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

SCHEMA = """
CREATE TABLE agents (id int PRIMARY KEY, name text, photo_url text);
CREATE TABLE listings (id int PRIMARY KEY, photos text[], description text);
CREATE TABLE "Documents" (id int PRIMARY KEY, bucket_key varchar(300), meta jsonb);
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE SCHEMA crm;
CREATE TABLE crm.attachments (id int PRIMARY KEY, file_path text);
INSERT INTO agents VALUES (1, 'Ana', 'https://images.example.com/agents/1.jpg?w=200'),
                          (2, 'Bo', NULL);
INSERT INTO listings VALUES (1, ARRAY['listings/BK-1/photo-01.jpg', 'listings/BK-1/photo-02.jpg'], 'see photo-09');
INSERT INTO "Documents" VALUES (1, 'docs/purchase agreement 1.pdf', NULL),
                               (2, 'docs/x.pdf', '{"thumb": "thumbs/x%20small.png"}');
INSERT INTO notes VALUES (1, 'old upload at listings/BK-1/photo-03.jpg');
INSERT INTO crm.attachments VALUES (1, '/files/crm/contract-7.pdf');
"""

OBJECTS = {  # role: [(key, size)]
    "images": [("agents/1.jpg", 40_000), ("agents/2.jpg", 41_000), ("listings/BK-1/photo-01.jpg", 300_000),
               ("listings/BK-1/photo-02.jpg", 310_000), ("listings/BK-1/photo-03.jpg", 2_900_000),
               ("listings/BK-9/photo-01.webp", 150_000), ("thumbs/x small.png", 9_000)],
    "documents": [("docs/purchase agreement 1.pdf", 120_000), ("docs/x.pdf", 80_000),
                  ("docs/old-draft.pdf", 4_400_000)],
    "files": [("crm/contract-7.pdf", 70_000), ("exports/big.csv", 7_000_000), ("tmp/upload-1.bin", 1_000)],
}


def test_references_are_found_in_urls_arrays_json_and_paths() -> None:
    keys = {"agents/1.jpg", "thumbs/x small.png", "crm/contract-7.pdf", "a/b.jpg"}
    assert references_in("https://cdn.example.com/agents/1.jpg?w=2#x", keys) == {"agents/1.jpg"}
    assert references_in('{"thumb": "thumbs/x%20small.png"}', keys) == {"thumbs/x small.png"}
    assert references_in("/files/crm/contract-7.pdf", keys) == {"crm/contract-7.pdf"}
    assert references_in("{a/b.jpg,agents/1.jpg}", keys) == {"a/b.jpg", "agents/1.jpg"}
    assert references_in("agents/1.jpgX", keys) == set()
    assert references_in("xagents/1.jpg", keys) == set()  # not at a path boundary


def _workspace(scratch_db: str, s3_location: Any, buckets: dict[str, str], api_base: dict[str, str]) -> Any:
    ws = sandbox_like_workspace(api_base, ("production",))
    env = ws.environments["production"]
    info = psycopg.conninfo.conninfo_to_dict(scratch_db)
    env.database.host = str(info.get("host", "127.0.0.1"))
    env.database.port = int(str(info.get("port") or 5432))
    env.database.name = str(info["dbname"])
    env.database.user = str(info.get("user", "postgres"))
    env.database.sslmode = "disable"
    env.storage.endpoint_url = s3_location.endpoint_url
    env.storage.region = "us-east-1"
    env.storage.files_bucket, env.storage.images_bucket, env.storage.documents_bucket = (
        buckets["files"], buckets["images"], buckets["documents"])
    return ws


@pytest.fixture
def usage() -> Any:
    group = UsageStandins().start()
    yield group
    group.stop()
    group.check()


def test_every_rule_on_a_real_database_and_bucket(scratch_db: str, s3_location: Any, tmp_path: Path,
                                                  usage: UsageStandins) -> None:
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    client = make_client(s3_location)
    buckets = {}
    for role, items in OBJECTS.items():
        name = f"t-{role}-{tmp_path.name[-8:].lower().replace('_', '-')}"
        client.create_bucket(Bucket=name)
        buckets[role] = name
        for key, size in items:
            client.put_object(Bucket=name, Key=key, Body=b"x" * size)
    ws = _workspace(scratch_db, s3_location, buckets, usage.api_base())
    from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY

    creds = credentials_for(ws, {"CLOUDFLARE_R2_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
                                 "CLOUDFLARE_R2_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY})
    history = HealthHistory(tmp_path / "health.sqlite3")
    for h in range(48):
        history.record(CheckResult("production", "database", Status.UP, 3.0, "ok",
                                   NOW - timedelta(hours=h), metrics={"connections": float(4 + h % 9)}))
    history.close()
    ctx = FakeContext(ws, creds, tmp_path)
    result = asyncio.run(recommend(ctx, ws.environments["production"], default_table(), now=NOW,
                                   client_overrides=CLIENT_OVERRIDES))
    by_rule = {r.rule: r for r in result.items}
    # Unused files: 13 objects; referenced: agents/1.jpg (URL), photo-01/02 (array), both documents
    # (varchar), the thumbnail (percent-encoded in JSON), contract-7 (another schema). The note's mention
    # of photo-03 is in a column whose name does not suggest a file, so it is not searched.
    unused = by_rule["unused_files"]
    assert unused.figures["unused_objects"] == 6 and unused.figures["objects"] == 13
    assert unused.figures["columns_searched"] == ['crm.attachments.file_path', 'public.Documents.bucket_key',
                                                  'public.Documents.meta', 'public.agents.photo_url',
                                                  'public.listings.photos']
    assert [o["key"] for o in unused.figures["largest_unused"]][:3] == [
        "exports/big.csv", "docs/old-draft.pdf", "listings/BK-1/photo-03.jpg"]
    unused_bytes = 7_000_000 + 4_400_000 + 2_900_000 + 41_000 + 150_000 + 1_000
    assert unused.figures["unused_bytes"] == unused_bytes
    assert unused.monthly_saving == (Decimal(unused_bytes) / 10**9 * Decimal("0.015")).quantize(Decimal("0.01"))
    # WebP: 6 of the 7 images are JPEG/PNG.
    assert by_rule["images_not_webp"].figures["not_webp"] == 6
    # The database: connections averaged 8, Supabase says Medium ($60.01): step down to Small ($15.04).
    db = by_rule["smaller_database"]
    assert (db.figures["current"], db.figures["suggested"]) == ("Medium", "Small")
    assert db.figures["average_connections"] == pytest.approx(8.0, abs=0.3)
    assert db.monthly_saving == Decimal("60.01") - Decimal("15.04")
    # Nothing was touched.
    for role, items in OBJECTS.items():
        listed = client.list_objects_v2(Bucket=buckets[role]).get("KeyCount", 0)
        assert listed == len(items)


def test_smaller_database_needs_few_connections_and_a_cheaper_size() -> None:
    tiers = default_table().compute_tiers
    micro = ("ci_micro", "Micro", Decimal(10))
    rec, check = smaller_database("p", [25.0, 30.0], 1.0, micro, [], tiers)
    assert rec is None and check.outcome == "fine"
    rec, check = smaller_database("p", [2.0], 1.0, micro, [], tiers)
    assert rec is None and "smallest" in check.reason
    rec, check = smaller_database("p", [], 0, micro, [], tiers)
    assert rec is None and check.outcome == "skipped"
    rec, _ = smaller_database("p", [5.0, 7.0], 3.0, ("ci_large", "Large", Decimal(110)), [], tiers)
    assert rec is not None and rec.figures["suggested"] == "Medium" and rec.monthly_saving == Decimal("50.00")
    assert rec.figures["suggested_max_connections"] == 120


def test_logs_temp_backups_and_webp_rules() -> None:
    def obj(key: str, days: int, size: int = 1000) -> StoredObject:
        return StoredObject("b", key, size, NOW - timedelta(days=days))

    objs = [obj("logs/2026/a.log", 91), obj("logs/b.log", 89), obj("app/log/c.log", 200), obj("tmp/x", 8),
            obj("uploads/temp/y", 6), obj("temp/z", 30, 5_000_000_000)]
    rec, _ = old_logs_and_temp("p", objs, NOW, Decimal("0.015"))
    assert rec is not None and (rec.figures["old_logs"], rec.figures["old_temp"]) == (2, 2)
    assert rec.monthly_saving == Decimal("0.08")  # 5.000002 GB x 0.015
    rec, check = backups_past_retention("p", [], Decimal("0.0125"))
    assert rec is None and check.outcome == "fine"
    rec, _ = backups_past_retention("p", [("b1", 4 * 10**9), ("b2", 4 * 10**9)], Decimal("0.0125"))
    assert rec is not None and rec.monthly_saving == Decimal("0.10")
    assert rec.action == "realtor-ops backup prune --env p --dry-run"
    rec, _ = images_not_webp("p", [obj("a.webp", 1), obj("b.SVG", 1)], Decimal("0.015"))
    assert rec is None

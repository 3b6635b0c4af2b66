"""The Overview's last-known store: what was written comes back with its time, per kind and environment;
a damaged or foreign file is read as empty (the live answer replaces it), never raised."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from services.overview.last_known import (
    STORE_NAME,
    DeploymentDigest,
    DeploymentLine,
    LastKnownStore,
    last_known_deployments,
    remember_deployments,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def digest() -> DeploymentDigest:
    live = DeploymentLine("dpl_live", "abc1234def", "Fix the listing map", "Dana", NOW - timedelta(hours=3))
    failed = (DeploymentLine("dpl_bad", "0badbad00", "Break the build", "Sam", NOW - timedelta(hours=2)),
              DeploymentLine("dpl_old", "0ld0ld000", "Old failure", "Sam", NOW - timedelta(hours=30)))
    return DeploymentDigest(True, "2 deployments failed in the last 24 h", False, live, failed)


def test_round_trip_per_environment(tmp_path: Path) -> None:
    ctx = SimpleNamespace(paths=SimpleNamespace(data=tmp_path))
    assert asyncio.run(last_known_deployments(ctx, "production")) is None
    asyncio.run(remember_deployments(ctx, "production", digest()))
    asyncio.run(remember_deployments(ctx, "staging", DeploymentDigest(True, "No failed deployment in the last 24 h")))
    found = asyncio.run(last_known_deployments(ctx, "production"))
    assert found is not None
    back, at = found
    assert back == digest() and at.tzinfo is not None and abs((datetime.now(UTC) - at).total_seconds()) < 60
    staging = asyncio.run(last_known_deployments(ctx, "staging"))
    assert staging is not None and staging[0].current is None and staging[0].failed == ()
    # A last-known digest ages: a failure older than a day no longer counts.
    assert [d.id for d in back.failed_since(NOW - timedelta(days=1))] == ["dpl_bad"]


def test_damaged_or_foreign_files_read_as_empty(tmp_path: Path) -> None:
    store = LastKnownStore(tmp_path)
    store.save("deployments", "production", digest().to_json(), at=NOW)
    assert store.load("deployments", "production") == (digest().to_json(), NOW)
    for text in ("{not json", "[]", '{"schema_version": 99, "kinds": {}}', '{"schema_version": 1, "kinds": []}',
                 '{"schema_version": 1, "kinds": {"deployments": {"production": {"at": "yesterday", "doc": {}}}}}'):
        (tmp_path / STORE_NAME).write_text(text, encoding="utf-8")
        assert store.load("deployments", "production") is None, text
    (tmp_path / STORE_NAME).write_bytes(b"\xff\xfe\x00 not text")
    assert store.load("deployments", "production") is None
    # A document from another version is skipped by the reader, not raised.
    ctx = SimpleNamespace(paths=SimpleNamespace(data=tmp_path))
    store.save("deployments", "production", {"configured": True})
    assert asyncio.run(last_known_deployments(ctx, "production")) is None
    # Writing over a damaged file works, and leaves no temporary file behind.
    store.save("deployments", "production", digest().to_json(), at=NOW)
    assert store.load("deployments", "production") == (digest().to_json(), NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STORE_NAME]


def test_what_a_live_read_stored_after_it_started_is_no_last_known_attention(tmp_path: Path) -> None:
    """A first launch: the live timeline stores its quick local sources while the card reads the cache;
    those are this launch's answers, not a last-known one (the card showed 'Last known, 0 s ago: Nothing')."""
    from services.overview.last_known import last_known_attention
    from services.timeline.cache import TimelineCache
    from services.timeline.model import Event, Kind
    from services.timeline.sources import SOURCES

    ctx = SimpleNamespace(paths=SimpleNamespace(data=tmp_path))
    cache = TimelineCache(tmp_path / "timeline.sqlite3")
    since = datetime.now(UTC) - timedelta(days=1)
    failed = Event("ci:1", datetime.now(UTC) - timedelta(hours=1), Kind.CI_RUN, "production", "maria",
                   "deploy #1 failure", attention=True)
    for source in SOURCES:
        cache.store(source, "production", [failed] if source == "GitHub Actions" else [], since)
    launched = datetime.now(UTC)
    cache.store("audit log", "production", [], since)  # this launch's live read, quicker than the card

    before = asyncio.run(last_known_attention(ctx, ["production"], before=launched))  # type: ignore[arg-type]
    assert before.read_at is not None and before.read_at < launched and before.sources_missing == 1
    assert [e.id for e in before.events] == ["ci:1"]
    nothing_before = asyncio.run(last_known_attention(  # type: ignore[arg-type]
        ctx, ["production"], before=datetime.now(UTC) - timedelta(days=2)))
    assert nothing_before.read_at is None and not nothing_before.events

"""The sandbox's sample files make at least three recommendations show at once (issue 15 §9), on the real
realtor schema in PostgreSQL and real buckets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from sandbox.realtor_schema import install_realtor_schema_sync
from sandbox.sample_files import seed_sample_files
from services.core.object_storage import make_client
from services.costs.prices import default_table
from services.costs.recommendations import recommend
from services.health.history import HealthHistory
from services.health.model import CheckResult, Status
from tests.costs.conftest import CLIENT_OVERRIDES, FakeContext, UsageStandins, credentials_for
from tests.costs.test_recommendations import _workspace


def test_sample_files_give_three_recommendations(scratch_db: str, s3_location: Any, tmp_path: Path) -> None:
    install_realtor_schema_sync(scratch_db, rows_scale=0.05)
    client = make_client(s3_location)
    suffix = tmp_path.name[-8:].lower().replace("_", "-")
    buckets = {role: f"s-{role}-{suffix}" for role in ("files", "images", "documents")}
    for name in buckets.values():
        client.create_bucket(Bucket=name)
    group = UsageStandins().start()
    try:
        ws = _workspace(scratch_db, s3_location, buckets, group.api_base())
        env = ws.environments["production"]
        assert seed_sample_files(client, env, scratch_db) > 40
        history = HealthHistory(tmp_path / "health.sqlite3")
        history.record(CheckResult("production", "database", Status.UP, 2.0, "ok", datetime.now(UTC),
                                   metrics={"connections": 5.0}))
        history.close()
        creds = credentials_for(ws, {"CLOUDFLARE_R2_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
                                     "CLOUDFLARE_R2_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY})
        recs = asyncio.run(recommend(FakeContext(ws, creds, tmp_path), env, default_table(),
                                     client_overrides=CLIENT_OVERRIDES))
    finally:
        group.stop()
    assert {r.rule for r in recs.items} >= {"smaller_database", "unused_files", "images_not_webp"}
    unused = next(r for r in recs.items if r.rule == "unused_files")
    assert unused.figures["unused_share"] > 0.3
    assert "public.documents.bucket_key" in unused.figures["columns_searched"]
    assert "public.listings.photos" in unused.figures["columns_searched"]

"""Objects in the sandbox's production buckets, so the cost recommendations have something to find: the
photos and documents the database refers to, and some it no longer does (photos of listings that are
gone, old exports, temporary uploads) — over 30% unused, and images in JPEG rather than WebP."""

from __future__ import annotations

import random
from typing import Any

import psycopg

from services.core.workspace import Environment

SEED = 15


def seed_sample_files(client: Any, env: Environment, dsn: str, *, referenced: int = 60, unused: int = 40) -> int:
    """Put objects into ``env``'s files/images/documents buckets; returns how many. Blocking."""
    rng = random.Random(SEED)
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        photos = [p for (arr,) in conn.execute("SELECT photos FROM listings WHERE photos IS NOT NULL ORDER BY id"
                                               " LIMIT %s", (referenced // 4,)) for p in (arr or [])[:3]]
        documents = [k for (k,) in conn.execute("SELECT bucket_key FROM documents ORDER BY id LIMIT %s",
                                                (referenced // 4,))]
    buckets = env.storage.buckets()
    objects: list[tuple[str, str, int]] = []
    objects += [(buckets["images"], key, rng.randint(120_000, 900_000)) for key in photos]
    objects += [(buckets["documents"], key, rng.randint(40_000, 2_500_000)) for key in documents]
    for i in range(unused):
        kind = i % 4
        if kind == 0:
            objects.append((buckets["images"], f"listings/WITHDRAWN-{1000 + i}/photo-01.jpg",
                            rng.randint(300_000, 1_800_000)))
        elif kind == 1:
            objects.append((buckets["files"], f"exports/listings-{i:04d}.csv",
                            rng.randint(1_000_000, 6_000_000)))
        elif kind == 2:
            objects.append((buckets["files"], f"tmp/upload-{i:04d}.bin", rng.randint(10_000, 400_000)))
        else:
            objects.append((buckets["documents"], f"drafts/offer-{i:04d}.pdf", rng.randint(60_000, 900_000)))
    for bucket, key, size in objects:
        client.put_object(Bucket=bucket, Key=key, Body=rng.randbytes(size))
    return len(objects)

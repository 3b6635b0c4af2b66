"""AWS S3 (backups): the bytes of the environment's backup prefix per storage class, read from the
bucket itself, priced per GB-month for today (each day adds bytes/days-in-month GB-month). A backup
bucket on R2 is counted with Cloudflare R2 instead. This is the measured, priced figure; with
``cost_explorer`` on in the cost settings, AWS's own charges replace it (``cost_explorer.py``)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date
from decimal import Decimal

from services.core.errors import OpsError
from services.core.workspace import Environment
from services.costs.metering import Usage, price_usage
from services.costs.model import CostRow, days_in_month
from services.costs.sources.base import (
    CollectContext,
    SourceResult,
    SourceStatus,
    failure_result,
    not_configured,
)

GB = Decimal(10) ** 9  # decimal gigabytes (an assumption: AWS's pages say "GB")
CLASS_KEYS = {"STANDARD": "aws.s3_standard", "STANDARD_IA": "aws.s3_standard_ia", "GLACIER_IR": "aws.s3_glacier_ir",
              "DEEP_ARCHIVE": "aws.s3_deep_archive"}


def bytes_by_class(client: object, bucket: str, prefix: str) -> dict[str, int]:
    """Blocking: every object under ``prefix``, summed by storage class."""
    sizes: dict[str, int] = defaultdict(int)
    pages = client.get_paginator("list_objects_v2").paginate(  # type: ignore[attr-defined]
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": 1000})
    for page in pages:
        for obj in page.get("Contents", ()):
            sizes[str(obj.get("StorageClass") or "STANDARD")] += int(obj["Size"])
    return dict(sizes)


async def collect_s3_backups(cc: CollectContext, env: Environment) -> SourceResult:
    settings = env.backup
    if not settings.configured:
        return not_configured("s3-backups", env.name, "No backup bucket is configured")
    if settings.is_r2:
        return not_configured("s3-backups", env.name, "The backup bucket is on R2: counted with Cloudflare R2")
    from services.backup.store import store_from
    from services.core.object_storage import classify

    try:
        store = await store_from(cc.credentials, env)
    except OpsError as exc:
        return failure_result("s3-backups", env.name, exc, "The backup bucket")
    try:
        sizes = await asyncio.to_thread(bytes_by_class, store.client, store.bucket, store.env_prefix)
    except Exception as exc:
        return failure_result("s3-backups", env.name, classify(exc, target=store.location.label, bucket=store.bucket),
                              "The backup bucket")
    day = cc.today
    n = days_in_month(day.year, day.month)
    rows: list[CostRow] = []
    unknown = []
    for cls, size in sorted(sizes.items()):
        key = CLASS_KEYS.get(cls)
        if key is None or not cc.table.has(key, day):
            unknown.append(cls)
            continue
        service = cc.table.price(key, day).service

        def before(d: date, s: str = service) -> Decimal:
            return cc.quantity_before(env.name, "aws", s, d, [day])

        rows += price_usage(cc.table, key, env.name, [Usage(day, Decimal(size) / GB / n)], unit="GB-month",
                            note=f"{size:,} bytes in {cls}", stored_before=before)
    status = SourceStatus.PARTIAL if unknown else SourceStatus.OK
    reason = (f"no price for storage class {', '.join(unknown)}" if unknown
              else f"{sum(sizes.values()):,} bytes in {len(sizes)} storage class(es)")
    return SourceResult("s3-backups", env.name, status, reason, (day,), tuple(rows))

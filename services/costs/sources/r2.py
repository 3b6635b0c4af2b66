"""Cloudflare R2: storage and class A/B operations from the GraphQL analytics API, priced as R2 bills:
storage is the average of the daily peak (each day adds peak/days-in-month GB-month), usage is rounded up
to the next billing unit (1.1 GB-month -> 2, 1,000,001 operations -> 2 million), and the free tier (10
GB-month, 1 M class A, 10 M class B a month) is deducted once, for the whole account.

R2 keeps analytics for 31 days, so each collect re-reads what it still can and the local store keeps the
rest. Rows are per environment by bucket (the workspace's files/images/documents and R2 backup buckets;
other buckets are "shared"); each day's account cost is split by the environments' usage, to the cent.
A bucket whose default storage class is Infrequent Access (the bucket list says which) has its storage and
operations priced at the Infrequent Access rates, which have no free tier; its data retrieval fee is not
counted (the analytics used here do not report the bytes read).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.core.concurrency import settle
from services.core.errors import ConnectionFailure
from services.core.workspace import Environment
from services.costs.metering import Usage, price_usage
from services.costs.model import SHARED_ENV, ZERO, CostRow, days_in_month
from services.costs.sources.base import (
    CollectContext,
    SourceResult,
    SourceStatus,
    failure_result,
    not_configured,
    split_cents,
)
from services.providers.cloudflare_client import CloudflareClient
from services.providers.factory import client_from

RETENTION_DAYS = 31
GB = Decimal(10) ** 9  # R2 GB-month figures taken as decimal gigabytes
MILLION = Decimal(1_000_000)
CLASS_A = frozenset({
    "ListBuckets", "PutBucket", "ListObjects", "PutObject", "CopyObject", "CompleteMultipartUpload",
    "CreateMultipartUpload", "LifecycleStorageTierTransition", "ListMultipartUploads", "UploadPart",
    "UploadPartCopy", "ListParts", "PutBucketEncryption", "PutBucketCors", "PutBucketLifecycleConfiguration"})
CLASS_B = frozenset({
    "HeadBucket", "HeadObject", "GetObject", "UsageSummary", "GetBucketEncryption", "GetBucketLocation",
    "GetBucketCors", "GetBucketLifecycleConfiguration"})
# Free: DeleteObject, DeleteBucket, AbortMultipartUpload; anything unknown is not billed either.

QUERY = """query R2Usage($accountTag: string!, $start: Date!, $end: Date!) {
  viewer {
    accounts(filter: {accountTag: $accountTag}) {
      r2StorageAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end}) {
        dimensions { date bucketName }
        max { payloadSize metadataSize objectCount }
      }
      r2OperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end}) {
        dimensions { date bucketName actionType }
        sum { requests }
      }
    }
  }
}"""


def bucket_owners(envs: Sequence[Environment]) -> dict[str, str]:
    """R2 bucket -> environment, from the workspace's storage and backup settings."""
    owners: dict[str, str] = {}
    for env in envs:
        st = env.storage
        if st.credentials == "r2" or "r2.cloudflarestorage.com" in st.endpoint_url:
            for bucket in st.buckets().values():
                owners.setdefault(bucket, env.name)
        if env.backup.configured and env.backup.is_r2:
            owners.setdefault(env.backup.bucket, env.name)
    return owners


INFREQUENT = "InfrequentAccess"


def daily_usage(data: Any, owners: Mapping[str, str], classes: Mapping[str, str] | None = None
                ) -> dict[str, dict[date, dict[str, Decimal]]]:
    """metric ("storage" GB-month share, "class_a"/"class_b" millions; "ia_…" for the buckets ``classes``
    says are Infrequent Access) -> day -> env -> quantity."""
    classes = classes or {}

    def metric_of(base: str, bucket: str) -> str:
        return f"ia_{base}" if classes.get(bucket) == INFREQUENT else base

    try:
        account = data["data"]["viewer"]["accounts"][0]
    except (KeyError, IndexError, TypeError):
        raise ValueError("the analytics answer has no account") from None
    out: dict[str, dict[date, dict[str, Decimal]]] = {m: defaultdict(lambda: defaultdict(lambda: ZERO))
                                                      for m in PRICE_KEYS}
    for g in account.get("r2StorageAdaptiveGroups") or []:
        day = date.fromisoformat(str(g["dimensions"]["date"]))
        bucket = str(g["dimensions"].get("bucketName", ""))
        env = owners.get(bucket, SHARED_ENV)
        peak = Decimal(int(g["max"].get("payloadSize") or 0) + int(g["max"].get("metadataSize") or 0))
        out[metric_of("storage", bucket)][day][env] += peak / GB / days_in_month(day.year, day.month)
    for g in account.get("r2OperationsAdaptiveGroups") or []:
        action = str(g["dimensions"].get("actionType", ""))
        metric = "class_a" if action in CLASS_A else "class_b" if action in CLASS_B else None
        if metric is None:
            continue
        day = date.fromisoformat(str(g["dimensions"]["date"]))
        bucket = str(g["dimensions"].get("bucketName", ""))
        env = owners.get(bucket, SHARED_ENV)
        out[metric_of(metric, bucket)][day][env] += Decimal(int(g["sum"].get("requests") or 0)) / MILLION
    return out


PRICE_KEYS = {"storage": ("cloudflare.r2_storage", "GB-month"),
              "class_a": ("cloudflare.r2_class_a", "million requests"),
              "class_b": ("cloudflare.r2_class_b", "million requests"),
              "ia_storage": ("cloudflare.r2_ia_storage", "GB-month"),
              "ia_class_a": ("cloudflare.r2_ia_class_a", "million requests"),
              "ia_class_b": ("cloudflare.r2_ia_class_b", "million requests")}


def price_r2(cc: CollectContext, usage: Mapping[str, Mapping[date, Mapping[str, Decimal]]],
             days: Sequence[date]) -> dict[str, list[CostRow]]:
    """Account-wide pricing per metric (free tier once), then each day's cents split by environment."""
    by_env: dict[str, list[CostRow]] = defaultdict(list)
    for metric, (key, unit) in PRICE_KEYS.items():
        per_day = usage.get(metric, {})
        if metric.startswith("ia_") and not any(per_day.get(d) for d in days):
            continue  # no Infrequent Access bucket used on these days: no line
        service = cc.table.price(key, days[0]).service
        months: dict[tuple[int, int], list[date]] = defaultdict(list)
        for d in days:
            months[(d.year, d.month)].append(d)
        for month_days in months.values():
            account_usage = [Usage(d, sum(per_day.get(d, {}).values(), ZERO)) for d in month_days]
            def before(day: date, s: str = service) -> Decimal:
                return cc.quantity_before(None, "cloudflare", s, day, days)

            priced = price_usage(cc.table, key, "account", account_usage, round_to=Decimal(1), unit=unit,
                                 stored_before=before)
            for row in priced:
                envs = per_day.get(row.date, {})
                names = sorted(envs) or [SHARED_ENV]
                weights = [envs.get(n, ZERO) for n in names]
                for name, part, weight in zip(names, split_cents(row.cost, weights), weights, strict=True):
                    by_env[name].append(CostRow(row.date, name, row.provider, row.service, row.category,
                                                weight if envs else ZERO, unit, part, row.currency, row.source,
                                                "R2 analytics; daily peak, rounded up, free tier deducted"))
    return by_env


async def collect_r2(cc: CollectContext) -> list[SourceResult]:
    envs = [e for e in cc.environments if e.providers.cloudflare_account_id]
    if not envs:
        return [not_configured("r2", SHARED_ENV, "No environment has a Cloudflare account id")]
    env = envs[0]
    account = env.providers.cloudflare_account_id
    client = await client_from(cc.credentials, env, "cloudflare", **cc.client_overrides)
    if client is None:
        return [not_configured("r2", SHARED_ENV, f"No Cloudflare API token is stored for '{env.name}'")]
    month_start = cc.today.replace(day=1)
    start = max(month_start, cc.today - timedelta(days=RETENTION_DAYS - 1))
    async def storage_classes() -> tuple[dict[str, str], str]:
        """Each bucket's default storage class; without them (a token that may not list buckets), every
        bucket is priced as Standard, and the note says so."""
        if not isinstance(client, CloudflareClient):
            return {}, ""
        try:
            listing = await client.list_r2_buckets(account, per_page=1000)
        except ConnectionFailure as exc:
            return {}, f"; the buckets' storage classes could not be read ({exc.message}): priced as Standard"
        return {b.name: b.storage_class or "Standard" for b in listing}, ""

    try:
        async with client:
            response, (classes, class_note) = await settle(
                client.request("POST", "/graphql", json_body={
                    "query": QUERY, "variables": {"accountTag": account, "start": start.isoformat(),
                                                  "end": cc.today.isoformat()}}, resource="R2 analytics"),
                storage_classes())
            body = client.json_of(response)
    except ConnectionFailure as exc:
        return [failure_result("r2", SHARED_ENV, exc, "Cloudflare R2 analytics")]
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        message = str((errors[0] or {}).get("message", "error")) if isinstance(errors, list) else "error"
        status = SourceStatus.NOT_ALLOWED if "authoriz" in message.lower() or "permission" in message.lower() \
            else SourceStatus.FAILED
        return [SourceResult("r2", SHARED_ENV, status, f"Cloudflare R2 analytics: {message}")]
    try:
        usage = daily_usage(body, bucket_owners(cc.environments), classes)
    except (ValueError, KeyError, TypeError) as exc:
        return [SourceResult("r2", SHARED_ENV, SourceStatus.FAILED, f"R2 analytics in an unexpected shape: {exc}")]
    days = [start + timedelta(days=i) for i in range((cc.today - start).days + 1)]
    if any(usage[m] for m in usage if m.startswith("ia_")) and not all(
            cc.table.has(PRICE_KEYS[m][0], d) for m in PRICE_KEYS if m.startswith("ia_") for d in days):
        # A price table edited before these prices were shipped: Standard's, said in the note.
        for metric in [m for m in usage if m.startswith("ia_")]:
            for day, shares in usage.pop(metric).items():
                for env_name, quantity in shares.items():
                    usage[metric[3:]][day][env_name] += quantity
        class_note += "; the price table has no Infrequent Access prices: those buckets priced as Standard"
    by_env = price_r2(cc, usage, days)
    names = sorted(set(by_env) | set(bucket_owners(cc.environments).values()) | {SHARED_ENV})
    note = f"{len(days)} day(s) read" + ("" if start == month_start else
                                         f"; days before {start.isoformat()} kept from earlier collects")
    if any(c == INFREQUENT for c in classes.values()):
        note += "; Infrequent Access buckets at its rates (their data retrieval is not counted)"
    note += class_note
    return [SourceResult("r2", name, SourceStatus.OK, note, tuple(days), tuple(by_env.get(name, ())))
            for name in names]



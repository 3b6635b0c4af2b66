"""The seed's cost recommendations (CostMonitor.getCostOptimizationRecommendations), each with the
figures behind it and an estimated monthly saving. None of them deletes or changes anything.

* ``smaller_database``: average database connections under 20 (from the health history) -> the next
  smaller compute size, named and priced (the Supabase API's offer, else the price table's tiers).
* ``unused_files``: more than 30% of the objects in the files/images/documents buckets are referenced by
  no row of the environment's database: says which tables and columns were searched and lists the
  largest unused objects.
* ``old_logs_and_temp``: log objects older than 90 days, temporary ones older than 7 (the seed's lifecycle).
* ``backups_past_retention``: what ``backup prune --dry-run`` would delete.
* ``images_not_webp``: JPEG/PNG/GIF images, at an assumed 30% saving once converted (the seed wants WebP).
"""

from __future__ import annotations

import asyncio
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from services.core.app_context import AppContext
from services.core.errors import OpsError
from services.core.workspace import Environment
from services.costs.model import cents
from services.costs.prices import ComputeTier, PriceTable
from services.costs.recommendation_model import Recommendation as Recommendation
from services.costs.recommendation_model import Recommendations as Recommendations
from services.costs.recommendation_model import RuleCheck as RuleCheck

CONNECTIONS_THRESHOLD = 20
UNUSED_THRESHOLD = 0.30
LOG_DAYS = 90
TEMP_DAYS = 7
WEBP_SAVING = Decimal("0.30")  # assumed: WebP is typically 25-35% smaller than JPEG at like quality
GB = Decimal(10) ** 9
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast", "auth", "storage", "realtime", "extensions",
                  "graphql", "graphql_public", "pgbouncer", "supabase_functions", "supabase_migrations", "vault",
                  "pgsodium", "net", "cron", "_realtime", "_analytics", "_supavisor")
REFERENCE_COLUMN = re.compile(r"(url|uri|key|path|file|image|photo|picture|document|avatar|attachment|media|src|"
                              r"thumbnail|logo|asset)", re.I)
TOKEN = re.compile(r"[A-Za-z0-9._~!$&()*+;=:@%/\-]+")  # no comma, quote or brace: array and JSON text
LOG_PREFIX = re.compile(r"(^|/)logs?/", re.I)
TEMP_PREFIX = re.compile(r"(^|/)(te?mp|tmp)/", re.I)
RASTER = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    last_modified: datetime


# --- rule: smaller database -----------------------------------------------------------------------
def smaller_database(env: str, samples: Sequence[float], days_covered: float,
                     current: tuple[str, str, Decimal] | None, offers: Sequence[tuple[str, str, Decimal]],
                     tiers: Sequence[ComputeTier]) -> tuple[Recommendation | None, RuleCheck]:
    if not samples:
        return None, RuleCheck("smaller_database", env, "skipped", "no database connection counts in the health "
                               "history yet (the console records them while it runs)")
    avg = statistics.fmean(samples)
    peak = max(samples)
    if avg >= CONNECTIONS_THRESHOLD:
        return None, RuleCheck("smaller_database", env, "fine", f"average {avg:.1f} connections (threshold 20)")
    if current is None:
        return None, RuleCheck("smaller_database", env, "skipped",
                               f"average {avg:.1f} connections, but the current compute size is unknown "
                               "(Supabase's add-ons were not readable)")
    menu = sorted(offers or [(t.id, t.name, t.monthly) for t in tiers], key=lambda o: o[2])
    cheaper = [o for o in menu if o[2] < current[2]]
    if not cheaper:
        return None, RuleCheck("smaller_database", env, "fine",
                               f"average {avg:.1f} connections, already on the smallest size ({current[1]})")
    target = cheaper[-1]
    limit = next((t.max_connections for t in tiers if t.id == target[0]), None)
    saving = cents(current[2] - target[2])
    figures: dict[str, Any] = {"average_connections": round(avg, 1), "peak_connections": round(peak, 1),
                               "samples": len(samples), "days_covered": round(days_covered, 1),
                               "current": current[1], "current_monthly": str(cents(current[2])),
                               "suggested": target[1], "suggested_monthly": str(cents(target[2]))}
    if limit is not None:
        figures["suggested_max_connections"] = limit
    period = f"{days_covered:.1f} days" if days_covered >= 1 else f"{max(days_covered * 24, 1):.0f} hour(s)"
    text = (f"Database connections averaged {avg:.1f} (peak {peak:.0f}) over {period} of health history: the "
            f"{current[1]} compute size (${cents(current[2])}/month) could step down to {target[1]} "
            f"(${cents(target[2])}/month)")
    return (Recommendation("smaller_database", env, text, figures, saving),
            RuleCheck("smaller_database", env, "recommended", text))


def connection_samples(history_path: Path, env: str) -> tuple[list[float], float]:
    """Connection counts of the database check in the health history (raw results: the last 7 days)."""
    from services.health.history import HealthHistory

    if not history_path.exists():
        return [], 0.0
    history = HealthHistory(history_path)
    try:
        results = history.recent(env, "database", limit=100_000)
    finally:
        history.close()
    samples = [(r.checked_at, float(r.metrics["connections"])) for r in results
               if isinstance(r.metrics.get("connections"), (int, float))]
    if not samples:
        return [], 0.0
    span = (max(t for t, _ in samples) - min(t for t, _ in samples)).total_seconds() / 86400
    return [v for _, v in samples], max(span, 1 / 24)


# --- rule: unused files ---------------------------------------------------------------------------
def references_in(value: str, keys: set[str]) -> set[str]:
    """Keys that ``value`` mentions: as a whole, as a URL's path, or as any path suffix of a token."""
    found = set()
    # Whole values, and quoted strings inside array or JSON text (keys may contain spaces).
    for whole in (value.strip(), *value.split('"')[1::2]):
        if whole in keys:
            found.add(whole)
        elif unquote(whole) in keys:
            found.add(unquote(whole))
    for token in TOKEN.findall(value):
        candidate = unquote(token)
        if "://" in candidate:
            candidate = urlsplit(candidate).path
        candidate = candidate.split("?", 1)[0].split("#", 1)[0].strip("/")
        while candidate:
            if candidate in keys:
                found.add(candidate)
            cut = candidate.find("/")
            if cut < 0:
                break
            candidate = candidate[cut + 1:]
    return found


async def referenced_keys(conninfo: str, keys: set[str], *, max_rows_per_column: int = 2_000_000
                          ) -> tuple[list[str], set[str]]:
    """(columns searched as "schema.table.column", keys referenced) over every text, JSON or text-array
    column of the user schemas whose name suggests a file reference, or that holds JSON. Read-only."""
    import psycopg
    from psycopg import sql

    searched: list[str] = []
    hits: set[str] = set()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=False) as conn:
        await conn.execute("SET TRANSACTION READ ONLY")
        await conn.execute("SET LOCAL statement_timeout = '120s'")
        cur = await conn.execute(
            "SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.udt_name"
            " FROM information_schema.columns c JOIN information_schema.tables t"
            " ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'"
            " WHERE c.table_schema <> ALL(%s) AND c.table_schema NOT LIKE 'pg\\_%%' AND c.table_name <> '_prisma_migrations'"
            " AND (c.data_type IN ('text', 'character varying', 'json', 'jsonb')"
            "      OR (c.data_type = 'ARRAY' AND c.udt_name IN ('_text', '_varchar')))"
            " ORDER BY 1, 2, 3", (list(SYSTEM_SCHEMAS),))
        columns = await cur.fetchall()
        for schema, table, column, dtype, _udt in columns:
            if dtype not in ("json", "jsonb") and not REFERENCE_COLUMN.search(column):
                continue
            searched.append(f"{schema}.{table}.{column}")
            query = sql.SQL("SELECT {col}::text FROM {tbl} WHERE {col} IS NOT NULL LIMIT {n}").format(
                col=sql.Identifier(column), tbl=sql.Identifier(schema, table), n=sql.Literal(max_rows_per_column))
            async with conn.cursor(name=f"refs_{len(searched)}") as named:
                await named.execute(query)
                while batch := await named.fetchmany(5000):
                    for (value,) in batch:
                        if value:
                            hits |= references_in(str(value), keys)
        await conn.rollback()
    return searched, hits


def unused_files(env: str, objects: Sequence[StoredObject], searched: Sequence[str], referenced: set[str],
                 price_per_gb_month: Decimal, *, largest: int = 10) -> tuple[Recommendation | None, RuleCheck]:
    if not objects:
        return None, RuleCheck("unused_files", env, "fine", "the files, images and documents buckets are empty")
    if not searched:
        return None, RuleCheck("unused_files", env, "skipped", "no column of the database could reference a file")
    unused = [o for o in objects if o.key not in referenced]
    share = len(unused) / len(objects)
    unused_bytes = sum(o.size for o in unused)
    total_bytes = sum(o.size for o in objects)
    if share <= UNUSED_THRESHOLD:
        return None, RuleCheck("unused_files", env, "fine", f"{share:.0%} of {len(objects)} objects unused "
                               f"(threshold 30%); searched {len(searched)} column(s)")
    saving = cents(Decimal(unused_bytes) / GB * price_per_gb_month)
    top = sorted(unused, key=lambda o: o.size, reverse=True)[:largest]
    figures = {"objects": len(objects), "unused_objects": len(unused), "unused_share": round(share, 3),
               "bytes": total_bytes, "unused_bytes": unused_bytes, "columns_searched": list(searched),
               "largest_unused": [{"bucket": o.bucket, "key": o.key, "bytes": o.size} for o in top]}
    text = (f"{len(unused)} of {len(objects)} stored files ({share:.0%}, {_human(unused_bytes)}) are referenced by "
            f"no row of the database: review them and clean up")
    details = (f"Searched {len(searched)} column(s): {', '.join(searched)}",
               *(f"{o.bucket}/{o.key}  {_human(o.size)}" for o in top))
    return (Recommendation("unused_files", env, text, figures, saving, details),
            RuleCheck("unused_files", env, "recommended", text))


# --- rule: old logs and temp files ----------------------------------------------------------------
def old_logs_and_temp(env: str, objects: Iterable[StoredObject], now: datetime,
                      price_per_gb_month: Decimal) -> tuple[Recommendation | None, RuleCheck]:
    logs = [o for o in objects if LOG_PREFIX.search(o.key) and now - o.last_modified > timedelta(days=LOG_DAYS)]
    temp = [o for o in objects if TEMP_PREFIX.search(o.key) and now - o.last_modified > timedelta(days=TEMP_DAYS)]
    if not logs and not temp:
        return None, RuleCheck("old_logs_and_temp", env, "fine",
                               "no log object older than 90 days and no temporary one older than 7")
    size = sum(o.size for o in logs + temp)
    saving = cents(Decimal(size) / GB * price_per_gb_month)
    text = (f"{len(logs)} log object(s) older than 90 days and {len(temp)} temporary one(s) older than 7 days "
            f"({_human(size)}) can go (the seed keeps logs 90 days, temp files 7)")
    figures = {"old_logs": len(logs), "old_temp": len(temp), "bytes": size}
    return (Recommendation("old_logs_and_temp", env, text, figures, saving,
                           tuple(f"{o.bucket}/{o.key}" for o in (logs + temp)[:10])),
            RuleCheck("old_logs_and_temp", env, "recommended", text))


# --- rule: backups past retention -----------------------------------------------------------------
def backups_past_retention(env: str, deletions: Sequence[tuple[str, int]],
                           price_per_gb_month: Decimal) -> tuple[Recommendation | None, RuleCheck]:
    if not deletions:
        return None, RuleCheck("backups_past_retention", env, "fine", "every backup is kept by the retention policy")
    size = sum(b for _, b in deletions)
    saving = cents(Decimal(size) / GB * price_per_gb_month)
    text = f"{len(deletions)} backup(s) ({_human(size)}) are past the retention policy"
    return (Recommendation("backups_past_retention", env, text, {"backups": len(deletions), "bytes": size}, saving,
                           tuple(i for i, _ in deletions[:10]),
                           action=f"realtor-ops backup prune --env {env} --dry-run"),
            RuleCheck("backups_past_retention", env, "recommended", text))


# --- rule: images not in WebP ---------------------------------------------------------------------
def images_not_webp(env: str, images: Sequence[StoredObject],
                    price_per_gb_month: Decimal) -> tuple[Recommendation | None, RuleCheck]:
    raster = [o for o in images if o.key.lower().endswith(RASTER)]
    if not raster:
        return None, RuleCheck("images_not_webp", env, "fine", "no JPEG, PNG or GIF image in the images bucket")
    size = sum(o.size for o in raster)
    saving = cents(Decimal(size) * WEBP_SAVING / GB * price_per_gb_month)
    text = (f"{len(raster)} of {len(images)} images ({_human(size)}) are not WebP; converting them saves about "
            f"30% of their storage (an assumption) and transfer")
    return (Recommendation("images_not_webp", env, text, {"images": len(images), "not_webp": len(raster),
                                                          "bytes": size, "assumed_saving": "30%"}, saving),
            RuleCheck("images_not_webp", env, "recommended", text))


def _human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


# --- gathering ------------------------------------------------------------------------------------
def list_objects(client: Any, bucket: str) -> list[StoredObject]:
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                 PaginationConfig={"PageSize": 1000}):
        for obj in page.get("Contents", ()):
            out.append(StoredObject(bucket, obj["Key"], int(obj["Size"]), obj["LastModified"]))
    return out


def storage_price(table: PriceTable, env: Environment, day: Any) -> Decimal:
    key = "aws.s3_standard" if env.storage.credentials == "aws" and "r2" not in env.storage.endpoint_url \
        else "cloudflare.r2_storage"
    return table.price(key, day).price


async def recommend(ctx: AppContext, env: Environment, table: PriceTable, *, now: datetime | None = None,
                    client_overrides: Mapping[str, Any] | None = None, s3_client: Any = None) -> Recommendations:
    """Every rule for one environment; a rule that cannot run says why in ``checks``."""
    from services.costs.sources.base import CollectContext
    from services.costs.sources.supabase import compute_offer

    now = now or datetime.now(UTC)
    items: list[Recommendation] = []
    checks: list[RuleCheck] = []

    def add(pair: tuple[Recommendation | None, RuleCheck]) -> None:
        if pair[0] is not None:
            items.append(pair[0])
        checks.append(pair[1])

    # Database size.
    samples, span = await asyncio.to_thread(connection_samples, Path(ctx.paths.data) / "health.sqlite3", env.name)
    cc = CollectContext(ctx.credentials, table, None, None, now.date(), [env],  # type: ignore[arg-type]
                        client_overrides=dict(client_overrides or {}))
    current, offers = await compute_offer(cc, env)
    add(smaller_database(env.name, samples, span, current, offers, table.compute_tiers))
    price = storage_price(table, env, now.date())
    # Buckets and the database.
    objects: dict[str, list[StoredObject]] = {}
    if env.storage.configured:
        try:
            client = s3_client or await _storage_client(ctx, env)
            for role, bucket in env.storage.buckets().items():
                objects[role] = await asyncio.to_thread(list_objects, client, bucket)
        except OpsError as exc:
            checks.append(RuleCheck("unused_files", env.name, "skipped", f"the buckets could not be listed: {exc}"))
        except Exception as exc:
            from services.core.object_storage import classify

            failure = classify(exc, target=env.storage.endpoint_url or "S3")
            checks.append(RuleCheck("unused_files", env.name, "skipped", f"the buckets could not be listed: "
                                    f"{failure.message}"))
    else:
        checks.append(RuleCheck("unused_files", env.name, "skipped", "no storage is configured"))
    every = [o for objs in objects.values() for o in objs]
    if objects:
        if env.database.configured:
            try:
                conninfo = await _conninfo(ctx, env)
                searched, referenced = await referenced_keys(conninfo, {o.key for o in every})
                add(unused_files(env.name, every, searched, referenced, price))
            except Exception as exc:
                from services.health.checks.database import classify_pg_error

                reason = classify_pg_error(exc, env.database).message if _is_pg(exc) else type(exc).__name__
                checks.append(RuleCheck("unused_files", env.name, "skipped", f"the database could not be read: "
                                        f"{reason}"))
        else:
            checks.append(RuleCheck("unused_files", env.name, "skipped", "no database is configured"))
        add(old_logs_and_temp(env.name, every, now, price))
        add(images_not_webp(env.name, objects.get("images", []), price))
    # Backups.
    if env.backup.configured:
        try:
            add(await _backups_rule(ctx, env, table, now))
        except OpsError as exc:
            checks.append(RuleCheck("backups_past_retention", env.name, "skipped", f"the backups could not be "
                                    f"listed: {exc.message}"))
        except Exception as exc:  # a rule must not take the others with it
            checks.append(RuleCheck("backups_past_retention", env.name, "skipped",
                                    f"the backups could not be listed ({type(exc).__name__})"))
    else:
        checks.append(RuleCheck("backups_past_retention", env.name, "skipped", "no backup bucket is configured"))
    return Recommendations(tuple(items), tuple(checks))


def _is_pg(exc: BaseException) -> bool:
    import psycopg

    return isinstance(exc, psycopg.Error)


async def _storage_client(ctx: AppContext, env: Environment) -> Any:
    from services.core.errors import SecretMissingError
    from services.core.object_storage import S3Location, make_client

    names = {"aws": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}.get(
        env.storage.credentials, ("CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY"))
    key_id = await ctx.credentials.aget(env.name, names[0])
    secret = await ctx.credentials.aget(env.name, names[1])
    if not key_id or not secret:
        raise SecretMissingError(f"The storage keys of '{env.name}' are not set", hint=f"Store {names[0]} and {names[1]}")
    return make_client(S3Location(env.storage.endpoint_url, env.storage.region, key_id, secret), read_timeout=20.0,
                       max_attempts=3)


async def _conninfo(ctx: AppContext, env: Environment) -> str:
    import psycopg

    db = env.database
    password = await ctx.credentials.aget(env.name, "DATABASE_PASSWORD")
    params = {k: v for k, v in db.params.items() if k not in ("pgbouncer", "connection_limit", "schema")}
    return psycopg.conninfo.make_conninfo(host=db.host, port=db.port, dbname=db.name, user=db.user,
                                          password=password or None, sslmode=db.sslmode or "prefer",
                                          connect_timeout=10, application_name="realtor-ops costs", **params)


async def _backups_rule(ctx: AppContext, env: Environment, table: PriceTable,
                        now: datetime) -> tuple[Recommendation | None, RuleCheck]:
    from services.backup.catalog import list_backups
    from services.backup.retention import plan_retention

    catalog = await list_backups(ctx, env.name)
    plan = plan_retention(catalog.entries, env.backup.retention, now)
    deletions = [(d.entry.id, d.entry.bytes) for d in plan.delete]
    key = "cloudflare.r2_storage" if env.backup.is_r2 else (
        "aws.s3_standard_ia" if env.backup.storage_class == "STANDARD_IA" else "aws.s3_standard")
    return backups_past_retention(env.name, deletions, table.price(key, now.date()).price)

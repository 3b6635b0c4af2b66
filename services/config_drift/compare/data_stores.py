"""Data stores: DATABASE_URL's Prisma parameters and Supabase's pooler; the Upstash Redis database."""

from __future__ import annotations

from typing import Any

from services.config_drift import seed
from services.config_drift.compare.read import Read, blocked_item, status_of
from services.config_drift.model import ConfigItem, Kind, Status


def database_items(params: Read, pooler: Read) -> list[ConfigItem]:
    k = Kind.DATABASE
    items: list[ConfigItem] = []
    for item, key, want, unit, default in (
        ("connection_limit", "connection_limit", seed.CONNECTION_LIMIT, "", "CPU count × 2 + 1"),
        ("pool_timeout", "pool_timeout", seed.POOL_TIMEOUT_S, " s", "10 s"),
    ):
        seed_text = f"{want}{unit}"
        blocked = blocked_item(k, item, seed_text, params)
        if blocked:
            items.append(blocked)
            continue
        raw = params.value.get(key)
        if raw is None:
            items.append(ConfigItem(k, item, seed_text, "", Status.NOT_CONFIGURED,
                                    f"DATABASE_URL sets no {key}, so Prisma uses its default ({default}).",
                                    params.source))
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            items.append(ConfigItem(k, item, seed_text, str(raw)[:40], Status.DIFFERS,
                                    f"DATABASE_URL's {key} is not a whole number, so Prisma refuses it.",
                                    params.source))
            continue
        same = value == want
        why = (f"DATABASE_URL's {key} is the seed's {seed_text}." if same else
               f"DATABASE_URL's {key} is {value}{unit}, not the seed's {seed_text}.")
        items.append(ConfigItem(k, item, seed_text, f"{value}{unit}", status_of(same), why, params.source))

    mode_seed = f"{seed.POOL_MODE} mode"
    blocked = blocked_item(k, "pool mode", mode_seed, pooler)
    conns_seed = f"at least {seed.CONNECTION_LIMIT} client connections"
    if blocked:
        items.append(blocked)
        items.append(blocked_item(k, "pooler connections", conns_seed, pooler))  # type: ignore[arg-type]
        return items
    primary = _primary_pooler(pooler.value)
    if primary is None:
        for item, text in (("pool mode", mode_seed), ("pooler connections", conns_seed)):
            items.append(ConfigItem(k, item, text, "", Status.NOT_CONFIGURED,
                                    "Supabase reports no pooler for the primary database.", pooler.source))
        return items
    mode = str(primary.get("pool_mode") or "")
    same = mode == seed.POOL_MODE
    items.append(ConfigItem(
        k, "pool mode", mode_seed, f"{mode} mode" if mode else "unknown", status_of(same),
        "The pooler hands out a connection per transaction, as the seed's serverless functions need." if same else
        f"The pooler runs in {mode or 'an unknown'} mode, so each client holds a server connection for its whole "
        "session instead of one transaction.", pooler.source))
    clients = primary.get("max_client_conn")
    if not isinstance(clients, int):
        items.append(ConfigItem(k, "pooler connections", conns_seed, "", Status.NOT_CONFIGURED,
                                "The pooler reports no client connection limit.", pooler.source))
    else:
        enough = clients >= seed.CONNECTION_LIMIT
        items.append(ConfigItem(
            k, "pooler connections", conns_seed, f"{clients} client connections", status_of(enough),
            f"The pooler accepts {clients} clients, enough for the seed's {seed.CONNECTION_LIMIT}." if enough else
            f"The pooler accepts only {clients} clients, fewer than the seed's {seed.CONNECTION_LIMIT} connections, "
            "so the rest wait or fail.", pooler.source))
    return items


def _primary_pooler(value: Any) -> dict[str, Any] | None:
    entries = [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
    return next((e for e in entries if e.get("database_type") == "PRIMARY"), entries[0] if entries else None)


def redis_items(database: Read) -> list[ConfigItem]:
    k = Kind.REDIS
    memory_seed = seed.bytes_text(seed.REDIS_MAXMEMORY_BYTES)
    policy_seed = seed.REDIS_EVICTION_POLICY
    blocked = blocked_item(k, "max memory", memory_seed, database)
    if blocked:
        return [blocked, blocked_item(k, "eviction", policy_seed, database)]  # type: ignore[list-item]
    db = database.value
    items: list[ConfigItem] = []
    limit = db.memory_limit_bytes
    if limit is None:
        items.append(ConfigItem(k, "max memory", memory_seed, "", Status.NOT_CONFIGURED,
                                "Upstash reports no memory limit for the database.", database.source))
    else:
        same = limit == seed.REDIS_MAXMEMORY_BYTES
        why = ("The database may use the seed's 1 GB." if same else
               f"The database may use {seed.bytes_text(limit)}, "
               f"{'less' if limit < seed.REDIS_MAXMEMORY_BYTES else 'more'} than the seed's 1 GB.")
        items.append(ConfigItem(k, "max memory", memory_seed, seed.bytes_text(limit), status_of(same), why,
                                database.source))
    if db.eviction:
        items.append(ConfigItem(k, "eviction", policy_seed, "eviction on (Upstash's own policy)", Status.MATCHES,
                                "Eviction is on: when memory is full Upstash evicts keys, as allkeys-lru would "
                                "(Upstash offers no choice of policy).", database.source))
    else:
        items.append(ConfigItem(k, "eviction", policy_seed, "eviction off", Status.DIFFERS,
                                "Eviction is off, so once memory is full writes fail instead of old keys being "
                                "evicted.", database.source))
    return items

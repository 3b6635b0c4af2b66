"""The seed against what was read, item by item. Pure functions over plain data: each source's answer
arrives as a :class:`Read` (a value, "not set up", or why it could not be read)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from services.config_drift import seed
from services.config_drift.model import ConfigItem, Kind, Status
from services.core.seed_policy import GRADED
from services.health.security_headers import HeaderReport


@dataclass(frozen=True)
class Read:
    """One source's answer: ``value`` when it was read, else ``unset`` (nothing to read: the workspace
    names no such thing, or the provider has none) or ``failure`` (why reading it failed)."""

    source: str
    value: Any = None
    unset: str = ""
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.unset and not self.failure


def _blocked(kind: Kind, item: str, seed_text: str, read: Read) -> ConfigItem | None:
    if read.failure:
        return ConfigItem(kind, item, seed_text, "", Status.UNREADABLE, f"{read.source} could not be read: "
                          f"{read.failure}", read.source)
    if read.unset:
        return ConfigItem(kind, item, seed_text, "", Status.NOT_CONFIGURED, read.unset, read.source)
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _status(ok: bool) -> Status:
    return Status.MATCHES if ok else Status.DIFFERS


# --- functions: vercel.json in the repository, then the Vercel project's defaults --------------------


def _function_settings(vercel_json: dict[str, Any] | None, key: str) -> list[tuple[str, Any]]:
    """(pattern, value) of each function pattern that sets ``key``; a value that is not a number is kept
    as text (Vercel refuses such a vercel.json, so it never equals the seed's)."""
    functions = (vercel_json or {}).get("functions")
    if not isinstance(functions, dict):
        return []
    found = []
    for pattern, cfg in functions.items():
        if isinstance(cfg, dict) and key in cfg:
            value = cfg[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                value = repr(value)[:30]
            found.append((str(pattern)[:80], value))
    return found


def _resource_config(project: dict[str, Any]) -> dict[str, Any]:
    config = project.get("resourceConfig")
    return config if isinstance(config, dict) else {}


def functions_items(vercel_json: Read, project: Read) -> list[ConfigItem]:
    k = Kind.FUNCTIONS
    items: list[ConfigItem] = []

    memory_seed = f"{seed.FUNCTION_MEMORY_MB} MB"
    blocked = _blocked(k, "memory", memory_seed, vercel_json)
    if blocked and not vercel_json.unset:
        items.append(blocked)
    else:
        settings = _function_settings(vercel_json.value if vercel_json.ok else None, "memory")
        if settings:
            wrong = [(p, v) for p, v in settings if v != seed.FUNCTION_MEMORY_MB]
            live = "; ".join(f"{p}: {v} MB" for p, v in settings)
            why = ("Every function pattern in vercel.json has the seed's 1024 MB." if not wrong else
                   "vercel.json gives " + ", ".join(f"{p} {v} MB" for p, v in wrong) + " instead of the seed's "
                   "1024 MB.")
            items.append(ConfigItem(k, "memory", memory_seed, live, _status(not wrong), why, vercel_json.source))
        else:
            items.append(_project_memory(project, memory_seed))

    duration_seed = f"{seed.FUNCTION_MAX_DURATION_S} s"
    if vercel_json.failure:
        items.append(_blocked(k, "max duration", duration_seed, vercel_json))  # type: ignore[arg-type]
    else:
        settings = _function_settings(vercel_json.value if vercel_json.ok else None, "maxDuration")
        if settings:
            wrong = [(p, v) for p, v in settings if v != seed.FUNCTION_MAX_DURATION_S]
            live = "; ".join(f"{p}: {v} s" for p, v in settings)
            why = ("Every function pattern in vercel.json stops at the seed's 30 s." if not wrong else
                   "vercel.json lets " + ", ".join(f"{p} run {v} s" for p, v in wrong)
                   + " instead of stopping at the seed's 30 s.")
            items.append(ConfigItem(k, "max duration", duration_seed, live, _status(not wrong), why,
                                    vercel_json.source))
        else:
            items.append(_project_value(
                project, "max duration", duration_seed, "functionDefaultTimeout",
                lambda v: f"project default: {v} s", lambda v: v == seed.FUNCTION_MAX_DURATION_S,
                lambda v: f"vercel.json sets no maxDuration, so functions stop at the project's {v} s, not 30 s."))

    regions_seed = ", ".join(seed.FUNCTION_REGIONS)
    if vercel_json.failure:
        items.append(_blocked(k, "regions", regions_seed, vercel_json))  # type: ignore[arg-type]
    else:
        regions = (vercel_json.value or {}).get("regions") if vercel_json.ok else None
        if isinstance(regions, list) and regions:
            items.append(_regions_item([str(r) for r in regions], regions_seed, vercel_json.source, "vercel.json"))
        else:
            block = _blocked(k, "regions", regions_seed, project)
            if block:
                items.append(block)
            else:
                live_regions = _resource_config(project.value).get("functionDefaultRegions")
                if isinstance(live_regions, list) and live_regions:
                    items.append(_regions_item([str(r) for r in live_regions], regions_seed, project.source,
                                               "the project's default"))
                else:
                    items.append(ConfigItem(k, "regions", regions_seed, "", Status.NOT_CONFIGURED,
                                            "Neither vercel.json nor the project names function regions.",
                                            project.source))
    return items


def _project_memory(project: Read, memory_seed: str) -> ConfigItem:
    k = Kind.FUNCTIONS
    blocked = _blocked(k, "memory", memory_seed, project)
    if blocked:
        return blocked
    memory_type = _resource_config(project.value).get("functionDefaultMemoryType")
    if not memory_type:
        return ConfigItem(k, "memory", memory_seed, "", Status.NOT_CONFIGURED,
                          "Neither vercel.json nor the project sets function memory, so Vercel's default applies.",
                          project.source)
    return ConfigItem(k, "memory", memory_seed, f"project default: '{memory_type}' memory type", Status.DIFFERS,
                      f"vercel.json sets no memory, so functions get the project's '{memory_type}' memory type "
                      "rather than the seed's fixed 1024 MB.", project.source)


def _project_value(project: Read, item: str, seed_text: str, key: str, show: Callable[[Any], str],
                   same: Callable[[Any], bool], differs: Callable[[Any], str]) -> ConfigItem:
    k = Kind.FUNCTIONS
    blocked = _blocked(k, item, seed_text, project)
    if blocked:
        return blocked
    value = _resource_config(project.value).get(key)
    if value is None:
        return ConfigItem(k, item, seed_text, "", Status.NOT_CONFIGURED,
                          f"Neither vercel.json nor the project sets the {item}, so Vercel's plan default applies.",
                          project.source)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if same(value):
        return ConfigItem(k, item, seed_text, show(value), Status.MATCHES,
                          f"The project's default {item} is the seed's.", project.source)
    return ConfigItem(k, item, seed_text, show(value), Status.DIFFERS, differs(value), project.source)


def _regions_item(live: list[str], seed_text: str, source: str, where: str) -> ConfigItem:
    missing = [r for r in seed.FUNCTION_REGIONS if r not in live]
    extra = [r for r in live if r not in seed.FUNCTION_REGIONS]
    if not missing and not extra:
        why = f"Functions run in the seed's three regions ({where})."
    else:
        bits = []
        if missing:
            bits.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing")
        if extra:
            bits.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not in the seed")
        why = f"In {where}, " + " and ".join(bits) + ", so functions do not run where the seed places them."
    return ConfigItem(Kind.FUNCTIONS, "regions", seed_text, ", ".join(live), _status(not missing and not extra),
                      why, source)


# --- cache: Cloudflare's cache rules (phase http_request_cache_settings) -----------------------------

_CATEGORY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("images", re.compile(r"_next/image|/images?/|\b(?:jpe?g|png|webp|avif|gif)\b|\bimages?\b", re.I)),
    ("api", re.compile(r"/api/|\bapi\b", re.I)),
    ("static", re.compile(r"_next/static|/static/|\b(?:js|css|woff2?)\b|\bstatic\b", re.I)),
)
_CATEGORY_NAMES = {"static": "static assets", "api": "API responses", "images": "images"}


def _category(rule: dict[str, Any]) -> str | None:
    """Which of the seed's TTLs a rule is about, from its expression, else its description."""
    for text in (str(rule.get("expression", "")), str(rule.get("description", ""))):
        for name, pattern in _CATEGORY_PATTERNS:
            if pattern.search(text):
                return name
    return None


def cache_items(rules: Read) -> list[ConfigItem]:
    k = Kind.CACHE
    items: list[ConfigItem] = []
    for name, ttl in seed.CACHE_TTLS.items():
        label = f"{_CATEGORY_NAMES[name]} TTL"
        seed_text = seed.duration_text(ttl)
        blocked = _blocked(k, label, seed_text, rules)
        if blocked:
            items.append(blocked)
            continue
        matching = [r for r in rules.value if isinstance(r, dict) and r.get("enabled", True) is not False
                    and r.get("action") == "set_cache_settings" and _category(r) == name]
        if not matching:
            items.append(ConfigItem(k, label, seed_text, "", Status.NOT_CONFIGURED,
                                    f"No cache rule covers {_CATEGORY_NAMES[name]}, so Cloudflare follows the "
                                    "origin's Cache-Control headers.", rules.source))
            continue
        rule = matching[-1]  # of several matching cache rules, the later one's settings win
        params = _obj(rule.get("action_parameters"))
        edge = _obj(params.get("edge_ttl"))
        where = f"rule '{rule.get('description') or rule.get('id', '?')}'"
        if params.get("cache") is False:
            items.append(ConfigItem(k, label, seed_text, "not cached", Status.DIFFERS,
                                    f"The {where} turns caching off for {_CATEGORY_NAMES[name]}.", rules.source))
            continue
        if edge.get("mode") != "override_origin" or not isinstance(edge.get("default"), int):
            mode = edge.get("mode") or "no edge TTL"
            items.append(ConfigItem(k, label, seed_text, f"{mode}", Status.DIFFERS,
                                    f"The {where} sets no fixed edge TTL ({mode}), so the origin decides how long "
                                    f"{_CATEGORY_NAMES[name]} stay cached.", rules.source))
            continue
        live = int(edge["default"])
        same = live == ttl
        why = (f"The {where} caches {_CATEGORY_NAMES[name]} for the seed's {seed_text}." if same else
               f"The {where} caches {_CATEGORY_NAMES[name]} for {seed.duration_text(live)} instead of {seed_text}.")
        items.append(ConfigItem(k, label, seed_text, seed.duration_text(live), _status(same), why, rules.source))
    return items


# --- database: DATABASE_URL's Prisma parameters and Supabase's pooler -------------------------------


def database_items(params: Read, pooler: Read) -> list[ConfigItem]:
    k = Kind.DATABASE
    items: list[ConfigItem] = []
    for item, key, want, unit, default in (
        ("connection_limit", "connection_limit", seed.CONNECTION_LIMIT, "", "CPU count × 2 + 1"),
        ("pool_timeout", "pool_timeout", seed.POOL_TIMEOUT_S, " s", "10 s"),
    ):
        seed_text = f"{want}{unit}"
        blocked = _blocked(k, item, seed_text, params)
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
        items.append(ConfigItem(k, item, seed_text, f"{value}{unit}", _status(same), why, params.source))

    mode_seed = f"{seed.POOL_MODE} mode"
    blocked = _blocked(k, "pool mode", mode_seed, pooler)
    conns_seed = f"at least {seed.CONNECTION_LIMIT} client connections"
    if blocked:
        items.append(blocked)
        items.append(_blocked(k, "pooler connections", conns_seed, pooler))  # type: ignore[arg-type]
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
        k, "pool mode", mode_seed, f"{mode} mode" if mode else "unknown", _status(same),
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
            k, "pooler connections", conns_seed, f"{clients} client connections", _status(enough),
            f"The pooler accepts {clients} clients, enough for the seed's {seed.CONNECTION_LIMIT}." if enough else
            f"The pooler accepts only {clients} clients, fewer than the seed's {seed.CONNECTION_LIMIT} connections, "
            "so the rest wait or fail.", pooler.source))
    return items


def _primary_pooler(value: Any) -> dict[str, Any] | None:
    entries = [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
    return next((e for e in entries if e.get("database_type") == "PRIMARY"), entries[0] if entries else None)


# --- Redis: the Upstash database ------------------------------------------------------------------


def redis_items(database: Read) -> list[ConfigItem]:
    k = Kind.REDIS
    memory_seed = seed.bytes_text(seed.REDIS_MAXMEMORY_BYTES)
    policy_seed = seed.REDIS_EVICTION_POLICY
    blocked = _blocked(k, "max memory", memory_seed, database)
    if blocked:
        return [blocked, _blocked(k, "eviction", policy_seed, database)]  # type: ignore[list-item]
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
        items.append(ConfigItem(k, "max memory", memory_seed, seed.bytes_text(limit), _status(same), why,
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


# --- backups: the scheduled workflow and the backup bucket's expiry ---------------------------------


def _crons(workflow_text: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"""^\s*-\s*cron:\s*["']([^"']+)["']""", workflow_text, re.M)]


def _expiry_days(rules: Iterable[Any], prefixes: Iterable[str]) -> tuple[int | None, str]:
    """The expiration (days) that applies to objects under ``prefixes``, and which rule sets it: of the
    enabled rules covering them, the soonest (S3 expires an object at the first rule that says so)."""
    found: list[tuple[int, str]] = []
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("Status") != "Enabled":
            continue
        flt = _obj(rule.get("Filter"))
        prefix = str(flt.get("Prefix", rule.get("Prefix", "")) or "")
        if isinstance(flt.get("And"), dict):
            prefix = str(flt["And"].get("Prefix", "") or "")
        if any(p.startswith(prefix) for p in prefixes):
            days = _obj(rule.get("Expiration")).get("Days")
            if isinstance(days, int) and not isinstance(days, bool):
                found.append((days, str(rule.get("ID") or prefix or "whole bucket")))
    return min(found) if found else (None, "")


def backup_items(workflow: Read, backup_rules: Read, backup_prefix: str) -> list[ConfigItem]:
    k = Kind.BACKUP
    items: list[ConfigItem] = []
    cron_seed = f"{seed.BACKUP_CRON} (daily 02:00 UTC)"
    blocked = _blocked(k, "schedule", cron_seed, workflow)
    if blocked:
        items.append(blocked)
    else:
        crons = _crons(str(workflow.value))
        if not crons:
            items.append(ConfigItem(k, "schedule", cron_seed, "no schedule", Status.NOT_CONFIGURED,
                                    "The backup workflow has no cron schedule, so backups run only by hand.",
                                    workflow.source))
        else:
            same = seed.BACKUP_CRON in crons
            why = ("The backup workflow runs daily at 02:00 UTC, as the seed says." if same else
                   f"The backup workflow runs on '{', '.join(crons)}' instead of daily at 02:00 UTC.")
            items.append(ConfigItem(k, "schedule", cron_seed, ", ".join(crons), _status(same), why, workflow.source))
    keep_seed = f"{seed.BACKUP_RETENTION_DAYS} d (7 years)"
    blocked = _blocked(k, "retention", keep_seed, backup_rules)
    if blocked:
        items.append(blocked)
        return items
    prefix = backup_prefix.strip("/") + "/" if backup_prefix.strip("/") else ""
    days, rule = _expiry_days(backup_rules.value, [prefix])
    if days is None:
        items.append(ConfigItem(k, "retention", keep_seed, "kept forever", Status.NOT_CONFIGURED,
                                "No lifecycle rule expires the backups, so they are kept (and paid for) forever; "
                                "`backup lifecycle --apply` sets the seed's.", backup_rules.source))
    else:
        same = days == seed.BACKUP_RETENTION_DAYS
        why = ("Backups are deleted after the seed's 7 years." if same else
               f"Rule '{rule}' deletes backups after {days} days, "
               f"{'sooner' if days < seed.BACKUP_RETENTION_DAYS else 'later'} than the seed's 7 years.")
        items.append(ConfigItem(k, "retention", keep_seed, f"{days} d", _status(same), why, backup_rules.source))
    return items


# --- storage: the files bucket's lifecycle --------------------------------------------------------


def storage_items(files_rules: Read) -> list[ConfigItem]:
    k = Kind.STORAGE
    items: list[ConfigItem] = []
    for item, want, prefixes, what in (("logs expiry", seed.LOGS_DAYS, seed.LOG_PREFIXES, "logs"),
                                       ("temp files expiry", seed.TEMP_DAYS, seed.TEMP_PREFIXES, "temporary files")):
        seed_text = f"{want} d"
        blocked = _blocked(k, item, seed_text, files_rules)
        if blocked:
            items.append(blocked)
            continue
        days, rule = _expiry_days(files_rules.value, prefixes)
        if days is None:
            items.append(ConfigItem(k, item, seed_text, "kept forever", Status.NOT_CONFIGURED,
                                    f"No lifecycle rule on {'/'.join(prefixes)} deletes {what}, so they pile up.",
                                    files_rules.source))
            continue
        same = days == want
        why = (f"Rule '{rule}' deletes {what} after the seed's {want} days." if same else
               f"Rule '{rule}' deletes {what} after {days} days instead of {want}.")
        items.append(ConfigItem(k, item, seed_text, f"{days} d", _status(same), why, files_rules.source))
    return items


# --- security headers: the graded response of the app's front page ---------------------------------


def header_items(page: Read) -> list[ConfigItem]:
    k = Kind.HEADERS
    items: list[ConfigItem] = []
    for name, want in seed.HEADERS:
        blocked = _blocked(k, name, want, page)
        if blocked:
            items.append(blocked)
            continue
        report: HeaderReport = page.value[0]
        raw: dict[str, str] = page.value[1]
        received = raw.get(name.lower())
        finding = report.finding(name) if name in GRADED else None
        if finding is not None:
            items.append(ConfigItem(k, name, want, finding.received or "", _header_status(finding.verdict),
                                    finding.explanation, page.source))
            continue
        if received is None:
            items.append(ConfigItem(k, name, want, "", Status.NOT_CONFIGURED,
                                    f"The site does not send {name}.", page.source))
        else:
            same = received.strip().lower() == want.lower()
            items.append(ConfigItem(k, name, want, received, _status(same),
                                    f"The site sends the seed's {name}." if same else
                                    f"The site sends {name} '{received[:60]}' instead of the seed's value.",
                                    page.source))
    return items


def _header_status(verdict: str) -> Status:
    if verdict == "ok":
        return Status.MATCHES
    if verdict == "missing":
        return Status.NOT_CONFIGURED
    return Status.DIFFERS

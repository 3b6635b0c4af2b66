"""``backup list``: the catalog, read from the bucket itself, with a local cache.

One paged listing (1000 keys a request) of the environment's prefix finds every backup's archive,
manifest and verification; manifests and verifications are immutable per ETag, so only new ones are
fetched (16 at a time) and the rest come from the cache in the OS cache folder. The last listing is
kept too, so the console can show the last-known catalog when the bucket cannot be reached.

States: ``good`` (archive and manifest), ``unfinished`` (a multipart upload begun and not completed:
running, or left by a dead run), ``orphaned`` (an archive without a manifest). Freshness: the last good
backup older than 26 hours is red.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.backup import manifest as mf
from services.backup.store import LISTINGS, BackupStore, store_for
from services.core.atomic_file import write_atomically
from services.core.errors import ConfigError, ConnectionFailure, IntegrityError

if TYPE_CHECKING:
    from services.core.app_context import AppContext

log = logging.getLogger(__name__)

FRESH_HOURS = 26
DOC_READS_AT_ONCE = 8
STALE_UPLOAD_HOURS = 24


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    environment: str
    key: str
    # "good", "unfinished", "orphaned", "damaged" (its manifest is unreadable); in an early catalog (what
    # ``read_catalog`` tells ``on_listed``), "listed": finished (its manifest is there), not read yet.
    state: str
    created_at: datetime
    bytes: int
    sha256: str
    verification: str  # "verified", "failed", "unverified"; "unread" in an early catalog
    verified_at: datetime | None
    trigger: str
    manifest: mf.Manifest | None = field(default=None, compare=False)
    verification_detail: mf.Verification | None = field(default=None, compare=False)
    upload_id: str = ""

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.created_at

    @property
    def good(self) -> bool:
        return self.state == "good"

    def to_json(self) -> dict[str, Any]:
        """One row of ``backup list --json``."""
        return {"id": self.id, "environment": self.environment, "key": self.key, "state": self.state,
                "bytes": self.bytes, "sha256": self.sha256, "created_at": self.created_at.isoformat(),
                "verification": self.verification,
                "verified_at": self.verified_at.isoformat() if self.verified_at else None, "trigger": self.trigger}


@dataclass(frozen=True)
class Freshness:
    level: str  # "fresh" or "stale" or "none"
    last_good_at: datetime | None
    last_verified_at: datetime | None
    sentence: str

    @property
    def red(self) -> bool:
        return self.level != "fresh"


@dataclass(frozen=True)
class Catalog:
    environment: str
    bucket: str
    entries: tuple[CatalogEntry, ...]  # newest first
    freshness: Freshness
    listed_at: datetime
    from_cache: bool = False
    offline_reason: str = ""
    reading: int = 0  # an early catalog: the manifests and verifications still being read

    def good(self) -> list[CatalogEntry]:
        return [e for e in self.entries if e.good]

    def find(self, backup_id: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.id == backup_id), None)

    def last_scheduled(self) -> CatalogEntry | None:
        return next((e for e in self.entries if e.good and e.trigger == "scheduled"), None)


def freshness(entries: list[CatalogEntry] | tuple[CatalogEntry, ...], now: datetime | None = None) -> Freshness:
    """How recent the last good backup is; in an early catalog, a listed one counts, said as such."""
    now = now or datetime.now(UTC)
    good = [e for e in entries if e.state in ("good", "listed") and e.verification != "failed"]
    verified = [e for e in good if e.verification == "verified"]
    last_v = max((e.verified_at or e.created_at for e in verified), default=None)
    if not good:
        return Freshness("none", None, None, "No good backup yet")
    last = max(e.created_at for e in good)
    age = now - last
    hours = age.total_seconds() / 3600
    seconds = age.total_seconds()
    when = f"{hours:.0f} h ago" if hours >= 1 else f"{int(seconds // 60)} min ago" if seconds >= 60 else "just now"
    newest = max(good, key=lambda e: e.created_at)
    vtext = "verified" if verified and max(verified, key=lambda e: e.created_at).created_at == last else (
        "its manifest and verification are being read" if newest.verification == "unread" else
        "its manifest is being read; not verified yet" if newest.state == "listed" else "not verified yet")
    if hours > FRESH_HOURS:
        return Freshness("stale", last, last_v, f"Last good backup {when} — older than {FRESH_HOURS} h ({vtext})")
    return Freshness("fresh", last, last_v, f"Last good backup {when} ({vtext})")


# --- the cache ---------------------------------------------------------------------------------------


class CatalogCache:
    """Manifests and verifications by key and ETag, plus the last listing, in one JSON file."""

    def __init__(self, folder: Path, bucket: str, environment: str) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{bucket}-{environment}")
        self.path = folder / "backups" / f"{safe}.json"
        self.docs: dict[str, dict[str, str]] = {}
        self.last: dict[str, Any] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.docs = data.get("docs", {})
            self.last = data.get("last", {})
        except (OSError, ValueError):
            pass

    def get(self, key: str, etag: str) -> str | None:
        doc = self.docs.get(key)
        return doc["text"] if doc and doc.get("etag") == etag else None

    def put(self, key: str, etag: str, text: str) -> None:
        self.docs[key] = {"etag": etag, "text": text}

    def save(self) -> None:
        write_atomically(self.path, json.dumps({"docs": self.docs, "last": self.last}))


# --- listing -----------------------------------------------------------------------------------------


def _entry_from_manifest(m: mf.Manifest, v: mf.Verification | None) -> CatalogEntry:
    state = "unverified" if v is None else ("verified" if v.ok else "failed")
    return CatalogEntry(m.id, m.environment, m.key, "good", m.created_at, m.bytes, m.sha256, state,
                        v.checked_at if v else None, m.trigger, m, v)


def _listed(store: BackupStore, archives: dict[str, tuple[str, int, datetime]],
            docs: dict[str, dict[str, tuple[str, str]]], cache: CatalogCache, reading: int) -> Catalog:
    """The early catalog, from the listing alone: each finished backup (archive and manifest there) from
    its cached documents when they are cached, else as "listed"."""
    entries = []
    for bid, found in docs.items():
        if mf.MANIFEST_NAME not in found or bid not in archives:
            continue
        key, size, modified = archives[bid]
        cached = cache.get(*found[mf.MANIFEST_NAME])
        vdoc = found.get(mf.VERIFICATION_NAME)
        vtext = cache.get(*vdoc) if vdoc else None
        try:
            if cached is not None and (vdoc is None or vtext is not None):
                entries.append(_entry_from_manifest(mf.Manifest.from_json(cached),
                                                    mf.Verification.from_json(vtext) if vtext else None))
                continue
        except (ValueError, TypeError, KeyError):
            pass
        created = mf.id_time(bid) if mf.is_backup_id(bid) else modified
        entries.append(CatalogEntry(bid, store.environment, key, "listed", created, size, "",
                                    "unread" if vdoc else "unverified", None, ""))
    entries.sort(key=lambda e: e.created_at, reverse=True)
    now = datetime.now(UTC)
    return Catalog(store.environment, store.bucket, tuple(entries), freshness(entries, now), now, reading=reading)


def read_catalog(store: BackupStore, cache_dir: Path,
                 on_listed: Callable[[Catalog], None] | None = None) -> Catalog:
    """Blocking: list the bucket, fetch what the cache lacks, build the catalog. ``on_listed`` hears the
    early catalog (from the listing) when documents have to be fetched (in this thread: hop to a loop)."""
    cache = CatalogCache(cache_dir, store.bucket, store.environment)
    archives: dict[str, tuple[str, int, datetime]] = {}
    docs: dict[str, dict[str, tuple[str, str]]] = {}
    # The documents a cold cache lacks (a bucket of the seed's retention holds ~50), 8 at a time: more at once
    # took the CPU the first screen's other answers needed, for little gain (the early catalog is shown first).
    with ThreadPoolExecutor(max_workers=DOC_READS_AT_ONCE, thread_name_prefix="catalog") as pool:
        # The unfinished uploads do not depend on the listing: asked at the same time (one round trip).
        uploads_read = pool.submit(store.list_uploads)
        for obj in store.list_objects():
            parsed = mf.split_key(obj.key)
            if parsed is None:
                continue
            bid, name = parsed
            if name == mf.ARCHIVE_NAME:
                archives[bid] = (obj.key, obj.size, obj.last_modified)
            elif name in (mf.MANIFEST_NAME, mf.VERIFICATION_NAME):
                docs.setdefault(bid, {})[name] = (obj.key, obj.etag)
        wanted = [(k, e) for d in docs.values() for k, e in d.values() if cache.get(k, e) is None]
        if on_listed is not None and wanted:
            on_listed(_listed(store, archives, docs, cache, len(wanted)))
        for (key, etag), text in zip(wanted, pool.map(lambda ke: store.get_bytes(ke[0]), wanted), strict=True):
            cache.put(key, etag, text.decode("utf-8"))
        uploads = uploads_read.result()

    entries: list[CatalogEntry] = []
    for bid, found in docs.items():
        if mf.MANIFEST_NAME not in found:
            continue
        mkey, metag = found[mf.MANIFEST_NAME]
        try:
            manifest = mf.Manifest.from_json(cache.get(mkey, metag) or "")
        except (ValueError, TypeError, KeyError):
            log.warning("unreadable manifest %s", mkey)
            key, size, modified = archives.get(bid, (mkey, 0, mf.id_time(bid) if mf.is_backup_id(bid) else
                                                    datetime.now(UTC)))
            entries.append(CatalogEntry(bid, store.environment, key, "damaged", modified, size, "", "unverified",
                                        None, ""))
            continue
        verification = None
        if mf.VERIFICATION_NAME in found:
            vkey, vetag = found[mf.VERIFICATION_NAME]
            try:
                verification = mf.Verification.from_json(cache.get(vkey, vetag) or "")
            except (ValueError, TypeError, KeyError):
                verification = None
        if bid in archives:
            entries.append(_entry_from_manifest(manifest, verification))
    for bid, (key, size, modified) in archives.items():
        if mf.MANIFEST_NAME not in docs.get(bid, {}):
            entries.append(CatalogEntry(bid, store.environment, key, "orphaned", modified, size, "", "unverified",
                                        None, ""))
    for up in uploads:
        parsed = mf.split_key(up.key)
        bid = parsed[0] if parsed else up.key.rsplit("/", 1)[-1]
        entries.append(CatalogEntry(bid, store.environment, up.key, "unfinished", up.initiated, 0, "", "unverified",
                                    None, "", upload_id=up.upload_id))
    entries.sort(key=lambda e: e.created_at, reverse=True)
    now = datetime.now(UTC)
    cache.last = {"listed_at": now.isoformat(), "manifests": [e.manifest.to_json() for e in entries
                                                               if e.manifest is not None],
                  "verifications": {e.id: e.verification_detail.to_json() for e in entries
                                    if e.verification_detail is not None}}
    try:
        cache.save()
    except OSError as exc:
        log.info("catalog cache not saved: %s", exc)
    return Catalog(store.environment, store.bucket, tuple(entries), freshness(entries, now), now)


def cached_catalog(cache_dir: Path, bucket: str, environment: str, reason: str) -> Catalog | None:
    """The last listing, for when the bucket cannot be reached (good backups only)."""
    cache = CatalogCache(cache_dir, bucket, environment)
    if not cache.last:
        return None
    verifications = {k: mf.Verification.from_json(v) for k, v in cache.last.get("verifications", {}).items()}
    entries = [_entry_from_manifest(m, verifications.get(m.id))
               for m in (mf.Manifest.from_json(t) for t in cache.last.get("manifests", []))]
    entries.sort(key=lambda e: e.created_at, reverse=True)
    return Catalog(environment, bucket, tuple(entries), freshness(entries),
                   datetime.fromisoformat(cache.last["listed_at"]), True, reason)


async def last_known_catalog(ctx: AppContext, env_name: str) -> Catalog | None:
    """The last listing this machine made of ``env_name``'s bucket, read from the cache folder only (no
    credentials, no network): what a screen shows at once, marked as last known, while it reads the
    bucket. None when nothing was ever listed here."""
    env = ctx.workspace.environment(env_name)
    if not env.backup.configured:
        return None
    return await asyncio.to_thread(cached_catalog, ctx.paths.cache, env.backup.bucket, env.name,
                                   "the bucket is being read now")


async def list_backups(ctx: AppContext, env_name: str, *, store: BackupStore | None = None,
                       offline_ok: bool = False, on_listed: Callable[[Catalog], None] | None = None) -> Catalog:
    """The catalog of ``env_name``. With ``offline_ok``, fall back to the last listing when the bucket
    cannot be reached (``from_cache`` set, ``offline_reason`` says why). ``on_listed`` hears the early
    catalog, from the listing alone, while the manifests and verifications not cached yet are read."""
    env = ctx.workspace.environment(env_name)
    store = store or await store_for(ctx, env)
    loop = asyncio.get_running_loop()

    def start(tell: Callable[[Any], None]) -> Awaitable[Catalog]:
        def hop(early: Catalog) -> None:  # from the reading thread to the callers' loop
            loop.call_soon_threadsafe(tell, early)

        return asyncio.to_thread(read_catalog, store, ctx.paths.cache, hop)

    try:
        # The reads of one bucket asked at once (the Overview's card and the timeline's backups) share one.
        return await LISTINGS.read_early(
            (store.location, store.bucket, store.prefix, store.environment, str(ctx.paths.cache)), start, on_listed)
    except ConnectionFailure as exc:
        if offline_ok:
            cached = cached_catalog(ctx.paths.cache, store.bucket, env.name, exc.sentence())
            if cached is not None:
                return cached
        raise


async def find_manifest(ctx: AppContext, env_name: str, backup_id: str, *, store: BackupStore | None = None
                        ) -> tuple[BackupStore, mf.Manifest]:
    """The manifest of one backup (read directly: the id says where it is)."""
    env = ctx.workspace.environment(env_name)
    store = store or await store_for(ctx, env)
    mf.id_time(backup_id)
    try:
        text = await asyncio.to_thread(store.get_bytes, store.manifest_key(backup_id))
    except ConnectionFailure as exc:
        if exc.kind.name == "NOT_FOUND":
            raise ConfigError(f"There is no good backup '{backup_id}' of '{env_name}' (no manifest)",
                              hint="See 'backup list' for the ids; an unfinished backup cannot be used") from None
        raise
    try:
        return store, mf.Manifest.from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise IntegrityError(f"The manifest of backup '{backup_id}' of '{env_name}' is unreadable, so its archive "
                             "cannot be checked and will not be used",
                             hint="Use another backup; 'backup list' shows this one as damaged",
                             detail=f"{type(exc).__name__}: {exc}"[:500]) from None


@dataclass(frozen=True)
class CleanupResult:
    aborted_uploads: tuple[str, ...]
    removed_orphans: tuple[str, ...]
    limited: str = ""  # why only old leftovers were removed, when that is the case

    def lines(self) -> list[str]:
        return ([f"aborted unfinished upload {k}" for k in self.aborted_uploads]
                + [f"removed archive without manifest {k}" for k in self.removed_orphans])


def cleanup_stale(store: BackupStore, *, older_than_h: float = STALE_UPLOAD_HOURS) -> CleanupResult:
    """Abort multipart uploads and remove manifest-less archives older than ``older_than_h`` hours.

    Without the environment's backup lock a young upload may belong to a running backup, hence the
    age limit (``backup create`` itself, holding the lock, cleans up regardless of age).
    """
    cutoff = datetime.now(UTC) - timedelta(hours=older_than_h)
    aborted = []
    for up in store.list_uploads():
        if older_than_h <= 0 or up.initiated < cutoff:
            store.abort_upload(up.key, up.upload_id)
            aborted.append(up.key)
    archives: dict[str, tuple[str, datetime]] = {}
    manifests: set[str] = set()
    for obj in store.list_objects():
        parsed = mf.split_key(obj.key)
        if parsed and parsed[1] == mf.ARCHIVE_NAME:
            archives[parsed[0]] = (obj.key, obj.last_modified)
        elif parsed and parsed[1] == mf.MANIFEST_NAME:
            manifests.add(parsed[0])
    orphans = [k for bid, (k, t) in archives.items() if bid not in manifests and (older_than_h <= 0 or t < cutoff)]
    if orphans:
        store.delete_keys(orphans)
    return CleanupResult(tuple(aborted), tuple(orphans))

"""``backup create``: pg_dump streamed through zstd and SHA-256 into an S3 multipart upload.

No temporary file: pg_dump (custom format, its own compression off) writes into a pipe; a worker
thread compresses with zstd, hashes the compressed bytes (what is stored is what is checksummed), cuts
them into parts of one fixed size (R2 wants every part but the last the same size) and uploads up to
two parts at once, each retried on its own. The manifest is written after the upload is complete, so
a backup without one is never listed as good. A failure or a cancel aborts the multipart upload.

Why zstd, from Python, and with which parameters: pg_dump's own compression before PostgreSQL 16 is
gzip, CPU-bound and on the same thread as the dump (the builds of PostgreSQL 16/18 we carry have no zstd
or lz4): ``pg_dump -Fc`` of a 1 GB database takes 3 to 7 times as long as ``pg_dump -Fc -Z0 > /dev/null``
here. zstd runs in our process, on the other core, so the bytes are compressed, hashed and cut into
parts in one pass without another pipe. Its parameters are level 1's fast strategy with an 8 MiB window
and a 2^18-entry hash table (``zstd_parameters``). Measured in-process (best of 3) on the ``pg_dump -Fc
-Z0`` output of two generated 1 GB realtor databases (``benchmarks/backup.py --text realtor|varied``):

    parameters           templated text (611 MB)      prose-like text (601 MB)
    level 1              0.74 s → 78.5 MB             1.35 s → 191.3 MB
    level 3              1.08 s → 77.3 MB             1.72 s → 116.7 MB
    ours (L1, w23, h18)  1.03 s → 75.4 MB             1.53 s → 101.4 MB
    pg_dump's gzip -6             70.1 MB                      183.2 MB   (in pg_dump: 6 s / 16 s)

Rows of a dump repeat phrases far apart (descriptions, notes, addresses across thousands of rows);
level 1's 512 KiB window and 2^14 table miss them, and on prose-like text it stores more than gzip.
Larger windows or tables than ours cost cache misses for little gain; levels 5 and up beat gzip on the
templated text only at 3 to 5 times the CPU, which two cores already busy with pg_dump and the server's
backend cannot spare (an uncompressed custom archive frames every row with a 5-byte length, noise that
pg_dump's own per-table compression never sees). ``backup.compression_level`` in the workspace trades
the other way (the window and table stay at least as large). zstd with worker threads was no faster.

Two backups of one environment at once are refused: the run holds a PostgreSQL advisory lock in the
database it dumps. Holding it also proves that any unfinished upload under the environment's prefix
belongs to a dead run (a kill -9, a lost laptop), so each run aborts those and removes archives left
without a manifest.

Row counts in the manifest are exact: they are counted in the very snapshot pg_dump reads
(``pg_export_snapshot`` + ``pg_dump --snapshot``), concurrently with the dump.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import hashlib
import logging
import os
import socket
import subprocess
import threading
import time
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
import zstandard
from psycopg import sql

from services.backup import manifest as mf
from services.backup.catalog import STALE_UPLOAD_HOURS, CleanupResult, cleanup_stale
from services.backup.store import BackupStore, store_for
from services.backup.supabase import SUPABASE_MANAGED_SCHEMAS, read_signs
from services.backup.worker import Control, run_blocking
from services.core.errors import (
    ConfigError,
    ConnectionFailure,
    FailureKind,
    LockHeldError,
    OperationCancelled,
    OpsError,
)
from services.core.guard import authorize, authorize_additive
from services.core.log_setup import MASKER
from services.core.pg_tools import PgConn, PgTools, child_env, env_connection, server_version, tools_for
from services.core.platform_io import enlarge_pipe
from services.core.progress import Progress

if TYPE_CHECKING:
    from services.core.app_context import AppContext

log = logging.getLogger(__name__)

CHUNK = 1 << 20
PART_ATTEMPTS = 4
PARTS_IN_FLIGHT = 2
MAX_PARTS = 10_000  # S3's and R2's limit per multipart upload
MIB = 1024 * 1024

LOCK_CLASS = 0x524F5053  # "ROPS": the advisory-lock namespace of this app

# Supabase's managed schemas (the Supabase CLI leaves them out of schema dumps).


def choose_part_size(setting_mib: int, database_bytes: int, max_parts: int = MAX_PARTS) -> int:
    """The part size for one upload: the setting, or more when the database is so big that the archive
    could need more than MAX_PARTS parts. The bound assumes the archive is at most twice the database's
    size on disk (text of COPY can be larger than the binary rows; compression only shrinks it), with a
    tenth of the parts to spare. Rounded up to whole MiB; every part but the last has this size (R2)."""
    needed = -(-(2 * max(0, database_bytes)) // (max_parts * 9 // 10))
    return max(setting_mib * MIB, -(-needed // MIB) * MIB)


def zstd_parameters(level: int) -> zstandard.ZstdCompressionParameters:
    """``level``'s parameters with a window of at least 8 MiB and a hash table of at least 2^18 entries
    (see the module's docstring). Any zstd decoder reads it: the default window limit is 128 MiB."""
    base = zstandard.ZstdCompressionParameters.from_level(level)
    return zstandard.ZstdCompressionParameters.from_level(
        level, window_log=max(base.window_log, 23), hash_log=max(base.hash_log, 18))


def lock_key(name: str) -> tuple[int, int]:
    """Two int4 keys for pg_advisory_lock: this app's namespace and a hash of the name."""
    h = zlib.crc32(name.encode("utf-8"))
    return LOCK_CLASS, h - (1 << 32) if h >= 1 << 31 else h


@dataclass(frozen=True)
class BackupRequest:
    environment: str  # catalog (key prefix) the backup is filed under
    conn: PgConn
    trigger: str = "manual"
    exclude_schemas: tuple[str, ...] = ()
    exact_counts: bool = True
    compression_level: int = 1
    note: str = ""


@dataclass
class UploadStats:
    bytes_in: int = 0
    bytes_out: int = 0
    parts: int = 0
    sha256: str = ""
    cleaned: list[str] = field(default_factory=list)


# --- the multipart upload ---------------------------------------------------------------------------


class MultipartWriter:
    """Fixed-size parts, up to PARTS_IN_FLIGHT uploads at once, each retried; abort on any failure."""

    def __init__(self, store: BackupStore, key: str, part_size: int, control: Control,
                 metadata: dict[str, str]) -> None:
        self.store = store
        self.key = key
        self.part_size = part_size
        self.control = control
        self._buffer = bytearray()
        self._parts: dict[int, str] = {}
        self._pending: list[Future[None]] = []
        self._pool = ThreadPoolExecutor(max_workers=PARTS_IN_FLIGHT, thread_name_prefix="backup-part")
        self._next = 1
        self.bytes = 0
        try:
            resp = store.client.create_multipart_upload(
                Bucket=store.bucket, Key=key, StorageClass=store.settings.storage_class or "STANDARD",
                ContentType="application/zstd", Metadata=metadata)
        except Exception as exc:
            self._pool.shutdown(wait=False)
            raise store._fail(exc) from None
        self.upload_id = str(resp["UploadId"])

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._buffer += data
        while len(self._buffer) >= self.part_size:
            part = bytes(self._buffer[: self.part_size])
            del self._buffer[: self.part_size]
            self._submit(part)

    def _submit(self, part: bytes) -> None:
        if self._next > MAX_PARTS:
            raise ConfigError(f"The archive outgrew {MAX_PARTS} parts of {self.part_size // MIB} MiB, the most one "
                              "S3/R2 upload may have; the upload was aborted",
                              hint="Raise backup.part_size_mib for this environment and run the backup again")
        # Bound memory: wait for the oldest upload when the window is full; its error surfaces here.
        while len([f for f in self._pending if not f.done()]) >= PARTS_IN_FLIGHT:
            self._pending[0].result()
            self._pending = [f for f in self._pending if not f.done()]
        for f in [f for f in self._pending if f.done()]:
            f.result()
        self._pending = [f for f in self._pending if not f.done()]
        number = self._next
        self._next += 1
        self.bytes += len(part)
        self._pending.append(self._pool.submit(self._upload, number, part))

    def _upload(self, number: int, body: bytes) -> None:
        last: BaseException | None = None
        for attempt in range(PART_ATTEMPTS):
            if self.control.cancelled:
                raise OperationCancelled()
            try:
                resp = self.store.client.upload_part(Bucket=self.store.bucket, Key=self.key,
                                                     UploadId=self.upload_id, PartNumber=number, Body=body)
                self._parts[number] = str(resp["ETag"])
                if attempt and self.control.message.startswith("stalled"):
                    self.control.note("dumping")  # the storage answers again
                return
            except Exception as exc:
                last = exc
                log.warning("upload of part %d failed (attempt %d of %d): %s", number, attempt + 1,
                            PART_ATTEMPTS, type(exc).__name__)
                if attempt + 1 < PART_ATTEMPTS:
                    self.control.note(f"stalled — retrying part {number} ({attempt + 2} of {PART_ATTEMPTS})")
                time.sleep(min(0.25 * 2**attempt, 2.0))
        failure = self.store._fail(last or RuntimeError("unknown"))
        raise ConnectionFailure(
            f"Part {number} of the backup could not be uploaded after {PART_ATTEMPTS} attempts: "
            f"{failure.message}", kind=failure.kind, target=failure.target, status=failure.status,
            hint="The upload was aborted and nothing was left in the bucket; check the storage endpoint "
            "and retry", detail=failure.detail)

    def finish(self) -> int:
        if self._buffer or self._next == 1:
            self._submit(bytes(self._buffer))
            self._buffer.clear()
        for f in self._pending:
            f.result()
        self._pool.shutdown(wait=True)
        parts = [{"PartNumber": n, "ETag": self._parts[n]} for n in sorted(self._parts)]
        try:
            self.store.client.complete_multipart_upload(Bucket=self.store.bucket, Key=self.key,
                                                        UploadId=self.upload_id, MultipartUpload={"Parts": parts})
        except Exception as exc:
            raise self.store._fail(exc) from None
        return len(parts)

    def abort(self) -> None:
        for f in self._pending:
            with contextlib.suppress(BaseException):
                f.result()
        self._pool.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.store.abort_upload(self.key, self.upload_id)


# --- locks, cleanup, preflight -----------------------------------------------------------------------


def acquire_lock(conn: PgConn, name: str, what: str) -> psycopg.Connection:
    """A session holding advisory lock ``name`` in ``conn``'s database, or LockHeldError."""
    session = conn.with_app(f"realtor-ops lock {name}"[:63]).connect()
    k1, k2 = lock_key(name)
    row = session.execute("SELECT pg_try_advisory_lock(%s, %s)", (k1, k2)).fetchone()
    if not row or not row[0]:
        holder = session.execute(
            "SELECT a.application_name, a.client_addr::text, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = %s::oid "
            "AND l.objid = (%s::bigint & 4294967295)::oid AND l.granted LIMIT 1", (k1 & 0xFFFFFFFF, k2)).fetchone()
        session.close()
        since = f", since {holder[2]:%Y-%m-%d %H:%M:%S %Z}" if holder and holder[2] else ""
        raise LockHeldError(f"{what} is already running{since}",
                            hint="Wait for it to finish (it shows in the jobs panel or the other terminal)")
    return session


def cleanup_unfinished(store: BackupStore, conn: PgConn | None) -> CleanupResult:
    """``backup list --cleanup``: when the environment's backup lock is free (no backup of it is running,
    from any machine), everything unfinished is dead and goes; otherwise only leftovers older than
    STALE_UPLOAD_HOURS, which no running backup can own."""
    why = "could not check for a running backup"
    if conn is not None:
        try:
            lock = acquire_lock(conn, f"backup:{store.environment}", f"A backup of '{store.environment}'")
        except LockHeldError:
            why = "a backup of it is running now"
        except ConnectionFailure as exc:
            why = f"could not reach its database to check for a running backup ({exc.message})"
        else:
            try:
                return cleanup_stale(store, older_than_h=0)
            finally:
                lock.close()
    result = cleanup_stale(store)
    return CleanupResult(result.aborted_uploads, result.removed_orphans,
                         f"{why}: only leftovers older than {STALE_UPLOAD_HOURS} h were removed")


_SCOPE = """
SELECT n.nspname, c.relname, c.relkind, c.reltuples::bigint, pg_total_relation_size(c.oid),
       has_table_privilege(c.oid, 'SELECT'), has_schema_privilege(n.oid, 'USAGE'),
       c.relrowsecurity AND NOT (pg_has_role(c.relowner, 'USAGE') OR r.rolbypassrls OR r.rolsuper)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_roles r ON r.rolname = current_user
WHERE c.relkind IN ('r', 'S', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
  AND NOT (n.nspname <> ALL(%s) IS FALSE)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY 1, 2
"""


# Large objects the role may not read (pg_dump stops at the first one: "permission denied for large
# object"). Their metadata is readable by all; a missing ACL means the owner's defaults.
_UNREADABLE_LOS = """
SELECT m.oid::bigint FROM pg_largeobject_metadata m
WHERE current_setting('lo_compat_privileges') = 'off'
  AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
  AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(m.lomacl, acldefault('L', m.lomowner))) a
                  WHERE a.privilege_type = 'SELECT' AND (a.grantee = 0 OR pg_has_role(a.grantee, 'USAGE')))
ORDER BY 1
"""


# Roles that own or are granted something the dump contains (PUBLIC, oid 0, joins to nothing).
_ROLES = """
WITH ns AS (SELECT oid, nspname, nspowner, nspacl FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%%'
              AND NOT (nspname <> ALL(%s) IS FALSE))
SELECT DISTINCT r.rolname FROM (
    SELECT nspowner AS oid FROM ns
    UNION SELECT (aclexplode(nspacl)).grantee FROM ns
    UNION SELECT relowner FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    UNION SELECT (aclexplode(relacl)).grantee FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    UNION SELECT proowner FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION SELECT typowner FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION SELECT (aclexplode(typacl)).grantee FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION SELECT defaclrole FROM pg_default_acl
    UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
    UNION SELECT lomowner FROM pg_largeobject_metadata
) x JOIN pg_roles r ON r.oid = x.oid
"""


@dataclass(frozen=True)
class ScopeTable:
    schema: str
    name: str
    relkind: str
    estimate: int
    bytes: int


def preflight(conn: PgConn, exclude: tuple[str, ...]) -> tuple[list[ScopeTable], int, list[str], list[str]]:
    """What the dump will read, the database's size, notes, and the roles the archive will name
    (owners and grantees: a restore target needs them). Raises ConfigError when the role
    cannot read something pg_dump would need (a Supabase dump role on managed schemas, RLS)."""
    with conn.connect() as c:
        rows = c.execute(_SCOPE, (list(exclude),)).fetchall()
        size_row = c.execute("SELECT pg_database_size(current_database())").fetchone()
        signs = read_signs(c)
        referenced = sorted(r[0] for r in c.execute(_ROLES, (list(exclude),)).fetchall())
        hidden_los = [int(r[0]) for r in c.execute(_UNREADABLE_LOS).fetchall()]
    if hidden_los:
        shown = ", ".join(str(o) for o in hidden_los[:5]) + (" …" if len(hidden_los) > 5 else "")
        raise ConfigError(
            f"The backup role '{conn.user}' cannot read {len(hidden_los)} large object"
            f"{'s' if len(hidden_los) > 1 else ''} of the database (oid {shown}), and pg_dump stops at the first",
            hint=f"Back up with the objects' owner or a superuser, or GRANT SELECT ON LARGE OBJECT <oid> TO "
                 f"\"{conn.user}\" for each")
    denied: dict[str, list[str]] = {}
    rls: list[str] = []
    tables: list[ScopeTable] = []
    for schema, name, relkind, est, size, can_select, can_use, rls_blocks in rows:
        if not can_use or not can_select:
            denied.setdefault(schema, []).append(name)
            continue
        if relkind == "r" and rls_blocks:
            rls.append(f"{schema}.{name}")
        tables.append(ScopeTable(schema, name, relkind, int(est), int(size)))
    notes: list[str] = []
    if signs.detected:
        notes.append(f"Supabase database detected ({signs.sentence()}): the grants to its API roles are kept in "
                     "the archive")
    if denied or rls:
        parts = []
        if denied:
            parts.append("no read permission on " + "; ".join(
                f"{s}: {', '.join(sorted(t)[:5])}{' …' if len(t) > 5 else ''}" for s, t in sorted(denied.items())))
        if rls:
            parts.append("row-level security hides rows of " + ", ".join(rls[:8]) + (" …" if len(rls) > 8 else ""))
        managed = sorted(s for s in denied if s in SUPABASE_MANAGED_SCHEMAS)
        hint = "Back up with a role that can read everything (on Supabase: the postgres role over the direct " \
               "connection, DIRECT_URL), or leave those schemas out"
        if managed or denied:
            hint += " with " + " ".join(f"--exclude-schema {s}" for s in (managed or sorted(denied)))
        raise ConfigError(f"The backup role '{conn.user}' cannot read everything pg_dump needs: "
                          + "; ".join(parts), hint=hint)
    return tables, int(size_row[0]) if size_row else 0, notes, referenced


class SnapshotCounter:
    """Exports a snapshot for pg_dump and counts rows in it, concurrently with the dump."""

    def __init__(self, conn: PgConn, tables: list[ScopeTable]) -> None:
        self.tables = [t for t in tables if t.relkind == "r"]
        self.counts: dict[tuple[str, str], int] = {}
        self._session: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None
        self.snapshot: str | None = None
        self._conn = conn

    def export(self) -> str | None:
        try:
            self._session = self._conn.with_app("realtor-ops backup snapshot").connect(autocommit=False)
            self._session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            row = self._session.execute("SELECT pg_export_snapshot()").fetchone()
            self.snapshot = str(row[0]) if row else None
        except (psycopg.Error, ConnectionFailure) as exc:
            log.info("no exported snapshot (%s); row counts will be estimates", type(exc).__name__)
            self.close()
        return self.snapshot

    def start_counting(self) -> None:
        if self._session is None:
            return
        self._thread = threading.Thread(target=self._count, name="backup-rowcount", daemon=True)
        self._thread.start()

    def _count(self) -> None:
        session = self._session
        assert session is not None
        try:
            session.execute("SET LOCAL row_security = off")
            for t in self.tables:
                try:
                    session.execute("SAVEPOINT c")
                    row = session.execute(sql.SQL("SELECT count(*) FROM ONLY {}.{}").format(
                        sql.Identifier(t.schema), sql.Identifier(t.name))).fetchone()
                    session.execute("RELEASE SAVEPOINT c")
                    self.counts[(t.schema, t.name)] = int(row[0]) if row else -1
                except psycopg.Error:
                    session.execute("ROLLBACK TO SAVEPOINT c")
        except psycopg.Error as exc:
            log.info("row counting stopped: %s", type(exc).__name__)

    def finish(self) -> dict[tuple[str, str], int]:
        if self._thread is not None:
            self._thread.join()
        self.close()
        return self.counts

    def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(Exception):
                self._session.rollback()
                self._session.close()
            self._session = None


# --- the dump -----------------------------------------------------------------------------------------


def _who(trigger: str) -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    who = f"{user}@{socket.gethostname()}"
    if os.environ.get("GITHUB_RUN_ID"):
        who += f" (GitHub Actions run {os.environ['GITHUB_RUN_ID']})"
    return who


def dump_to_store(store: BackupStore, request: BackupRequest, control: Control, *,
                  tools: PgTools | None = None) -> mf.Manifest:
    """The whole backup, blocking: lock, clean up dead runs, preflight, stream, manifest."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    backup_id = mf.new_backup_id(started)
    conn = request.conn
    control.note("connecting")
    server_major, server_full = server_version(conn)
    tools = tools or tools_for(server_major)
    lock = acquire_lock(conn, f"backup:{request.environment}", f"A backup of '{request.environment}'")
    try:
        control.note("cleaning up unfinished uploads")
        # Holding the lock: every unfinished upload and manifest-less archive belongs to a dead run.
        cleaned = cleanup_stale(store, older_than_h=0).lines()
        control.check()
        tables, db_bytes, notes, roles = preflight(conn, request.exclude_schemas)
        control.total = db_bytes
        counter = SnapshotCounter(conn, tables)
        snapshot = counter.export() if request.exact_counts else None
        key = store.archive_key(backup_id)
        part_size = choose_part_size(store.settings.part_size_mib, db_bytes)
        control.note("dumping")
        try:
            stats = _stream(store, conn, tools, key, part_size, snapshot, request, control, counter,
                            {"backup-id": backup_id, "environment": request.environment})
        finally:
            counts = counter.finish()
        stats.cleaned = cleaned
        finished = datetime.now(UTC)
        table_stats = tuple(
            mf.TableStat(t.schema, t.name, counts.get((t.schema, t.name), -1), t.estimate, t.bytes)
            for t in tables if t.relkind == "r")
        manifest = mf.Manifest(
            id=backup_id, environment=request.environment, database=conn.dbname, key=key, created_at=started,
            finished_at=finished, duration_s=round(time.perf_counter() - t0, 3), created_by=_who(request.trigger),
            trigger=request.trigger, server_version=server_full, client_version=tools.version,
            client_major=tools.major, bytes=stats.bytes_out, dump_bytes=stats.bytes_in, database_bytes=db_bytes,
            sha256=stats.sha256, compression="zstd", compression_level=request.compression_level,
            part_size=part_size, parts=stats.parts, storage_class=store.settings.storage_class or "STANDARD",
            excluded_schemas=tuple(request.exclude_schemas), tables=table_stats,
            notes=tuple(notes + ([request.note] if request.note else []) + cleaned), extra={"roles": roles, "role": conn.user, "host": f"{conn.host}:{conn.port}"})
        control.note("writing the manifest")
        try:
            control.commit_point()
        except OperationCancelled:  # the archive is complete but nobody wants it: leave nothing behind
            with contextlib.suppress(Exception):
                store.delete_keys([key])
            raise
        # Last: only now is the backup listed as good. Past this line a cancel comes too late (see run_blocking).
        store.put_json(store.manifest_key(backup_id), manifest.to_json())
        return manifest
    finally:
        with contextlib.suppress(Exception):
            lock.close()


def _stream(store: BackupStore, conn: PgConn, tools: PgTools, key: str, part_size: int, snapshot: str | None,
            request: BackupRequest, control: Control, counter: SnapshotCounter,
            metadata: dict[str, str]) -> UploadStats:
    args = [tools.path("pg_dump"), "--format=custom", "--compress=0", "--no-password", "--lock-wait-timeout=60000"]
    if snapshot:
        args.append(f"--snapshot={snapshot}")
    for schema in request.exclude_schemas:
        args.append(f"--exclude-schema={schema}")
    args.append(conn.dbname)
    stats = UploadStats()
    writer = MultipartWriter(store, key, part_size, control, metadata)
    compressor = zstandard.ZstdCompressor(compression_params=zstd_parameters(request.compression_level)).compressobj(
        size=-1)
    digest = hashlib.sha256()
    stderr_lines: list[bytes] = []
    ok = False
    try:
        with child_env(conn.with_app("realtor-ops pg_dump")) as child:
            proc = control.adopt(subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE, env=child.env, pass_fds=child.pass_fds))
            assert proc.stdout is not None and proc.stderr is not None
            err_thread = threading.Thread(target=lambda: stderr_lines.extend(proc.stderr.readlines()),  # type: ignore[union-attr]
                                          daemon=True)
            err_thread.start()
            fd = proc.stdout.fileno()
            enlarge_pipe(fd)
            counted = False
            try:
                while True:
                    chunk = os.read(fd, CHUNK)
                    if not chunk:
                        break
                    if not counted:
                        counter.start_counting()  # pg_dump has imported the snapshot by its first byte
                        counted = True
                    control.check()
                    stats.bytes_in += len(chunk)
                    control.done = stats.bytes_in
                    out = compressor.compress(chunk)
                    if out:
                        digest.update(out)
                        writer.write(out)
                control.check()
                rc = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
                err_thread.join(5)
            if not counted:
                counter.start_counting()
        if rc != 0:
            raise _dump_error(rc, b"".join(stderr_lines).decode("utf-8", "replace"), conn)
        tail = compressor.flush()
        digest.update(tail)
        writer.write(tail)
        stats.parts = writer.finish()
        stats.bytes_out = writer.bytes
        stats.sha256 = digest.hexdigest()
        ok = True
        return stats
    finally:
        if not ok:
            writer.abort()


def _dump_error(rc: int, stderr: str, conn: PgConn) -> OpsError:
    text = MASKER(stderr.strip())[-1500:]
    low = text.lower()
    if "permission denied" in low or "row-level security" in low:
        return ConfigError(f"pg_dump was refused by {conn.label}: {text.splitlines()[-1] if text else ''}",
                           hint="Use a role that can read everything, or leave the schema out with --exclude-schema")
    if "server closed the connection" in low or "terminat" in low or "connection to server" in low:
        return ConnectionFailure(f"The connection to {conn.label} was lost during the dump", kind=FailureKind.DROPPED,
                                 target=conn.label, hint="Retry; the partial upload was aborted", detail=text)
    if rc < 0:
        return OperationCancelled()
    return OpsError(f"pg_dump failed (exit code {rc})", hint="See the details; the partial upload was aborted",
                    detail=text)


# --- the async entry point ------------------------------------------------------------------------------


async def clean_up_unfinished(ctx: AppContext, env_name: str) -> CleanupResult:
    """Remove dead runs' leftovers of ``env_name`` (see ``cleanup_unfinished``); audited."""
    env = ctx.workspace.environment(env_name)
    authorize(ctx.workspace, env, "backup cleanup", confirm=env.name, reason="cleanup of unfinished uploads")
    store = await store_for(ctx, env)
    conn = await env_connection(ctx, env) if env.database.configured or env.direct_database.configured else None
    result = await asyncio.to_thread(cleanup_unfinished, store, conn)
    await ctx.audit.arecord(environment=env.name, action="backup cleanup", outcome="done",
                            details={"aborted": list(result.aborted_uploads), "removed": list(result.removed_orphans),
                                     "limited": result.limited})
    return result


async def create_backup(ctx: AppContext, env_name: str, progress: Progress | None = None, *,
                        store: BackupStore | None = None, trigger: str | None = None,
                        exclude_schemas: tuple[str, ...] = (), exact_counts: bool = True) -> mf.Manifest:
    """Back up ``env_name``'s database into its backup bucket; returns the manifest (written last).

    A viewer is refused; production needs no typed confirmation (a backup only reads the database and adds
    objects to the bucket, and the scheduled run from CI has no one to type it).
    """
    env = ctx.workspace.environment(env_name)
    authorize_additive(ctx.workspace, env, "backup create")
    conn = await env_connection(ctx, env)
    store = store or await store_for(ctx, env)
    trigger = trigger or os.environ.get("REALTOR_OPS_TRIGGER", "manual")
    request = BackupRequest(env.name, conn.with_app("realtor-ops backup"), trigger, tuple(exclude_schemas),
                            exact_counts, env.backup.compression_level)
    try:
        manifest = await run_blocking(lambda c: dump_to_store(store, request, c), progress)
    except asyncio.CancelledError:
        await ctx.audit.arecord(environment=env.name, action="backup create", outcome="cancelled")
        raise
    except OpsError as exc:
        await ctx.audit.arecord(environment=env.name, action="backup create", outcome=f"failed: {exc.message}")
        raise
    await ctx.audit.arecord(environment=env.name, action="backup create", outcome="done", target=manifest.id,
                            details={"key": manifest.key, "bytes": manifest.bytes, "sha256": manifest.sha256})
    return manifest

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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg
import zstandard
from psycopg import sql

from services.backup import manifest as mf
from services.backup.catalog import STALE_UPLOAD_HOURS, CleanupResult, cleanup_stale
from services.backup.locks import acquire_lock
from services.backup.multipart import MultipartWriter, choose_part_size
from services.backup.preflight import ScopeTable, preflight
from services.backup.store import BackupStore, store_for
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


def zstd_parameters(level: int) -> zstandard.ZstdCompressionParameters:
    """``level``'s parameters with a window of at least 8 MiB and a hash table of at least 2^18 entries
    (see the module's docstring). Any zstd decoder reads it: the default window limit is 128 MiB."""
    base = zstandard.ZstdCompressionParameters.from_level(level)
    return zstandard.ZstdCompressionParameters.from_level(
        level, window_log=max(base.window_log, 23), hash_log=max(base.hash_log, 18))


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


# --- cleanup, the snapshot counter ----------------------------------------------------------------------


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

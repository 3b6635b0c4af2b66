"""``backup restore``: all or nothing, checked before and after, one restore per target at a time.

Strategy: ONE TRANSACTION, with ON_ERROR_STOP, whose COMMIT we send ourselves. pg_restore turns the
archive into SQL (``-f -``); psql runs it; between the two we write ``BEGIN`` first and ``COMMIT`` only
after pg_restore has exited cleanly AND the restored row counts, counted inside that same transaction,
equal the manifest's. Any error, a dropped connection, a killed process, a cancel: no COMMIT, so
PostgreSQL rolls everything back and the target is exactly as it was. Why not restore into a fresh
database and rename-swap: a hosted Supabase project has one database (``postgres``) that cannot be
renamed under its pooler and the platform's open connections, and a swap loses anything the target
has outside the archive (roles' grants on other schemas, extensions installed by the platform). A
new database name as the target (``--to NEWNAME``) is created first and dropped again on failure.

Lock-table limits: one transaction holds a lock on every relation it creates or drops until COMMIT,
and the server's lock table holds ``max_locks_per_transaction × (max_connections +
max_prepared_transactions)``. The need is counted from the archive's table of contents before the
target is touched. When it does not fit:

* a database that did not exist (``--to NEWNAME``, ``verify --restore-test``) is restored statement
  by statement, then row-counted; any failure drops it, so it is still all or nothing;
* an existing database is refused with the figures, unless ``--strategy swap`` is given: the backup
  is restored into a fresh database beside the target, row-counted, and then the two are renamed in
  one transaction (the old one is kept as ``<name>_before_<timestamp>``; its owner, database-level
  grants and settings are carried over). That needs no other session on the target at the switch
  and a server where databases can be renamed, so it is an explicit choice and not for Supabase.

Also in that pipe: lines a newer pg_dump writes that an older server or psql rejects are removed
(``SET transaction_timeout`` for servers before 17) and ``SET lock_timeout = 0`` becomes 60 s, so a
restore waiting behind the platform's locks fails cleanly instead of hanging. psql and pg_restore come
from the same build as the archive's pg_dump when it is on this machine (so ``\\restrict`` lines are
understood), else the closest newer one.

Before the target is touched: the guard (typed name, reason for production, viewer refused); the
advisory lock of the target (a second restore into it, from any machine, gets LockHeldError, exit 3);
the archive's size and SHA-256 against the manifest, and its table of contents; roles the archive
grants to (Supabase's ``anon``/``authenticated``/``service_role``) must exist or be creatable; the
lock table must hold one lock per restored object (``max_locks_per_transaction``). Then a safety
backup of the target, unless it is a scratch database and ``--skip-safety-backup`` was given.

Supabase targets: objects in the managed schemas (auth, storage, realtime, …) are left as the target
has them unless asked for with ``--schema``; grants to the Supabase roles are restored with the rest
(never ``--no-privileges``).

Whose database the target is and what must be typed: ``restore_target``. Which entries are restored and
what the target needs first: ``restore_plan``. pg_restore → psql in one transaction: ``restore_pipeline``.
Restoring beside the target and renaming (and creating databases): ``restore_swap``. The whole operation:
here.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from services.backup import manifest as mf
from services.backup.archive import TocEntry, read_toc, spooled
from services.backup.catalog import find_manifest
from services.backup.dump_stream import BackupRequest, dump_to_store
from services.backup.locks import acquire_lock
from services.backup.restore_pipeline import run_restore_pipeline
from services.backup.restore_plan import RestoreOptions, make_plan
from services.backup.restore_swap import check_swap_possible, create_database, side_name, swap_in
from services.backup.restore_target import RestoreTarget, resolve_target
from services.backup.store import BackupStore, store_for
from services.backup.worker import Control, run_blocking
from services.core.errors import ConfigError, ConnectionFailure, GuardRefusedError, IntegrityError, OpsError
from services.core.guard import authorize, require_admin
from services.core.pg_tools import PgConn, PgTools, server_version, tools_for
from services.core.progress import Progress

if TYPE_CHECKING:
    from services.core.app_context import AppContext

log = logging.getLogger(__name__)

STRATEGY = ("one transaction (BEGIN … COMMIT sent only after pg_restore succeeded and row counts matched; "
            "any failure rolls back)")
STRATEGY_NEW_DB = ("into a new database, statement by statement (too many objects for the server's lock table in "
                   "one transaction); any failure drops the new database")
STRATEGY_SWAP = ("into a fresh database beside the target, row counts checked, then both renamed in one "
                 "transaction; the previous database is kept as {old}")
STRATEGIES = ("transaction", "swap")


@dataclass(frozen=True)
class RestoreResult:
    backup_id: str
    target: str
    database: str
    strategy: str
    safety_backup_id: str | None
    tables_checked: int
    duration_s: float
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.backup_id, "target": self.target, "database": self.database, "strategy": self.strategy,
                "safety_backup": self.safety_backup_id, "tables_checked": self.tables_checked,
                "duration_s": self.duration_s, "notes": list(self.notes)}


# --- target ----------------------------------------------------------------------------------------


def _maintenance(conn: PgConn, fallback: str) -> PgConn:
    try:
        with conn.with_db("postgres").connect():
            return conn.with_db("postgres")
    except ConnectionFailure:
        return conn.with_db(fallback)


def _database_exists(maint: PgConn, name: str) -> bool:
    with maint.connect() as c:
        return c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


# --- the whole operation ----------------------------------------------------------------------------


async def restore_backup(ctx: AppContext, env_name: str, backup_id: str, target_name: str, progress: Progress | None = None,
                         *, confirm: str | None, reason: str | None, options: RestoreOptions = RestoreOptions(),
                         store: BackupStore | None = None) -> RestoreResult:
    require_admin(ctx.workspace, "backup restore")
    source = ctx.workspace.environment(env_name)
    target = await resolve_target(ctx, source, target_name)
    auth = authorize(ctx.workspace, target.env, "backup restore", confirm=confirm, reason=reason,
                     target_name=target.confirm_name, why=target.why if target.owners else None)
    if options.skip_safety_backup and not target.scratch:
        raise GuardRefusedError(f"'{target.name}' is an environment's database: its safety backup cannot be skipped",
                                hint="--skip-safety-backup is only for scratch databases")
    store, manifest = await find_manifest(ctx, env_name, backup_id, store=store)
    safety_store = None
    if not options.skip_safety_backup:
        safety_env = target.env if target.env.backup.configured else source
        safety_store = store if safety_env is source else await store_for(ctx, safety_env)
    audit = {"environment": target.env.name, "action": "backup restore", "target": f"{target.name} ({target.conn.dbname})",
             "reason": auth.reason}
    try:
        result = await run_blocking(
            lambda c: restore_blocking(ctx.paths.cache, store, manifest, target, options, c, safety_store),
            progress)
    except BaseException as exc:
        outcome = f"failed: {exc.message}" if isinstance(exc, OpsError) else f"failed: {type(exc).__name__}"
        await ctx.audit.arecord(**audit, outcome=outcome, details={"backup": backup_id})
        raise
    await ctx.audit.arecord(**audit, outcome="done", details={
        "backup": backup_id, "safety_backup": result.safety_backup_id, "strategy": result.strategy,
        "tables_checked": result.tables_checked})
    return result


def restore_blocking(cache: Path, store: BackupStore, manifest: mf.Manifest, target: RestoreTarget,
                     options: RestoreOptions, control: Control, safety_store: BackupStore | None) -> RestoreResult:
    t0 = time.perf_counter()
    conn = target.conn
    maint = _maintenance(conn, conn.dbname)
    if options.strategy not in STRATEGIES:
        raise ConfigError(f"Unknown restore strategy '{options.strategy}'", hint="Use one of: " + ", ".join(STRATEGIES))
    # Advisory locks live on the server: the database's name is the key, however its host is spelled.
    lock = acquire_lock(maint, f"restore:{conn.dbname}",
                        f"A restore into '{target.name}' ({conn.dbname})")
    created: str | None = None  # a database this restore created: dropped again unless it succeeds
    try:
        exists = _database_exists(maint, conn.dbname)
        swap = options.strategy == "swap" and exists
        if swap:
            check_swap_possible(maint, conn, options)
        control.note("downloading and checking the archive")
        control.total = manifest.bytes
        with spooled(store, manifest, cache / "spool", control) as spool, \
                tempfile.TemporaryDirectory(prefix="rops-restore-") as tmp:
            server_major, _ = server_version(maint)
            tools = tools_for(server_major, at_least=manifest.client_major, prefer_major=manifest.client_major)
            control.note("reading the table of contents")
            _text, toc = read_toc(tools, spool, control, manifest.extra.get("roles", []))
            if not toc and manifest.tables:  # an empty database makes an empty (and valid) listing
                raise IntegrityError(f"Backup {manifest.id} lists {len(manifest.tables)} tables in its manifest "
                                     "but none in its archive's table of contents")
            # An existing target is planned first: a refusal (lock table, owners, roles) must come before a
            # safety backup that can take as long as the restore itself.
            plan = make_plan(manifest, toc, target, options, False, Path(tmp)) if exists and not swap else None
            safety_id = None
            if exists and safety_store is not None:
                control.note("safety backup of the target")
                control.done = 0
                safety = dump_to_store(safety_store, BackupRequest(
                    target.env.name if target.is_environment else safety_store.environment,
                    conn.with_app("realtor-ops safety backup"), "safety",
                    note=f"safety backup before restoring {manifest.id} into {conn.dbname}"), control)
                safety_id = safety.id
            into = target
            if swap:
                fresh = side_name(conn.dbname, "restoring")
                create_database(maint, fresh, like=conn.dbname)
                created = fresh
                into = RestoreTarget(target.name, target.env, conn.with_db(fresh), target.is_environment, False)
            elif not exists:
                create_database(maint, conn.dbname)
                created = conn.dbname
            if plan is None:
                plan = make_plan(manifest, toc, into, options, created is not None, Path(tmp))
            control.note("restoring (one transaction)" if plan.transactional else "restoring (statement by statement)")
            control.done = 0
            control.total = manifest.dump_bytes * 3  # SQL text is larger than the archive; a rough ETA
            checked = run_restore_pipeline(spool, tools, into.conn, plan, options, control, manifest.id)
            strategy = STRATEGY if plan.transactional else STRATEGY_NEW_DB
            notes = list(plan.notes)
            if swap:
                control.check()
                control.note("switching the restored database in")
                old = side_name(conn.dbname, "before")
                swap_in(maint, conn.dbname, into.conn.dbname, old)
                strategy = STRATEGY_SWAP.format(old=old)
                notes.append(f"the previous database is kept as {old}: drop it when the restore is confirmed")
            elif plan.created_database:
                notes.append(f"created database {conn.dbname}")
        created = None  # committed / switched: keep it
        return RestoreResult(manifest.id, target.name, conn.dbname, strategy, safety_id, checked,
                             round(time.perf_counter() - t0, 3), tuple(notes))
    finally:
        if created:
            with contextlib.suppress(Exception), maint.connect() as c:
                c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(created)))
        with contextlib.suppress(Exception):
            lock.close()


def restore_into_scratch(store: BackupStore, manifest: mf.Manifest, base: PgConn, spool: Path, tools: PgTools,
                         toc: list[TocEntry], control: Control) -> int:
    """For ``verify --restore-test``: a fresh database, restored and row-counted, then dropped."""
    import secrets

    name = f"rops_verify_{secrets.token_hex(4)}"
    maint = _maintenance(base, base.dbname)
    create_database(maint, name)
    try:
        target = RestoreTarget(name, None, base.with_db(name), False, False)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory(prefix="rops-verify-") as tmp:
            plan = make_plan(manifest, toc, target, RestoreOptions(), True, Path(tmp))
            return run_restore_pipeline(spool, tools, target.conn, plan, RestoreOptions(), control, manifest.id)
    finally:
        with contextlib.suppress(psycopg.Error, ConnectionFailure), maint.connect() as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

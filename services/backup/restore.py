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
what the target needs first: ``restore_plan``. The pipeline, the whole operation and the swap: here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from services.backup import manifest as mf
from services.backup.archive import TocEntry, feed_decompressed, read_toc, spooled
from services.backup.catalog import find_manifest
from services.backup.dump_stream import (
    BackupRequest,
    acquire_lock,
    dump_to_store,
)
from services.backup.restore_plan import (
    Plan,
    RestoreOptions,
    explain_skipped,
    make_plan,
    quote_ident,
    quote_literal,
)
from services.backup.restore_target import RestoreTarget, resolve_target
from services.backup.store import BackupStore, store_for
from services.backup.supabase import read_signs
from services.backup.worker import Control, run_blocking
from services.core.errors import (
    ConfigError,
    ConnectionFailure,
    FailureKind,
    GuardRefusedError,
    IntegrityError,
    OpsError,
)
from services.core.guard import authorize, require_admin
from services.core.log_setup import MASKER
from services.core.pg_tools import (
    PgConn,
    PgTools,
    child_env,
    clean_env,
    server_version,
    tools_for,
)
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


# --- the pipeline --------------------------------------------------------------------------------------


_PREAMBLE_LIMIT = 256 * 1024


def _filter_preamble(text: str, server_major: int, lock_timeout_s: int) -> str:
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("SET transaction_timeout") and server_major < 17:
            continue  # PostgreSQL 17+ setting written by newer pg_dump
        if stripped == "SET lock_timeout = 0;":
            line = f"SET lock_timeout = '{lock_timeout_s}s';"
        out.append(line)
    return "\n".join(out)


def _prelude(plan: Plan, options: RestoreOptions) -> str:
    lines = ["BEGIN;"] if plan.transactional else []
    lines.append(f"SET lock_timeout = '{options.lock_timeout_s}s';")
    for role in plan.roles_to_create:
        lines.append(f"CREATE ROLE {quote_ident(role)} NOLOGIN;")
    lines += plan.defaults_off
    if options.data_only and plan.tables:
        if plan.superuser:
            lines.append("SET session_replication_role = replica;")  # no FK checks while loading, as Supabase does
        lines.append("TRUNCATE TABLE " + ", ".join(
            ".".join(quote_ident(p) for p in k.split(".", 1)) for k in sorted(plan.tables)) + ";")
    return "\n".join(lines) + "\n"


def run_restore_pipeline(spool: Path, tools: PgTools, conn: PgConn, plan: Plan, options: RestoreOptions,
                         control: Control, backup_id: str) -> int:
    """pg_restore → (filter) → psql in one transaction; COMMIT only when all is well. Returns tables checked."""
    restore_args = [tools.path("pg_restore"), "-f", "-"]
    if plan.clean:
        restore_args += ["--clean", "--if-exists"]
    if options.data_only:
        restore_args.append("--data-only")
    if plan.use_list:
        restore_args += ["-L", plan.use_list]
    psql_args = [tools.path("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "--no-password"]
    app = f"realtor-ops restore {backup_id}"[:63]
    errors: dict[str, list[bytes]] = {"pg_restore": [], "psql": []}
    marks: list[str] = []
    marker = threading.Event()
    with child_env(conn.with_app(app)) as child:
        # pg_restore only turns the archive into SQL (-f -): it never connects, so it gets no password.
        restore = control.adopt(subprocess.Popen(restore_args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, env=clean_env()))
        psql = control.adopt(subprocess.Popen(psql_args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, env=child.env, pass_fds=child.pass_fds))
        assert restore.stdin and restore.stdout and restore.stderr and psql.stdin and psql.stdout and psql.stderr

        def read_marks(stream: IO[bytes]) -> None:
            for raw in stream:
                if raw.startswith(b"@@"):
                    marks.append(raw.decode("utf-8", "replace").rstrip("\n"))
                    if raw.startswith(b"@@done"):
                        marker.set()
            marker.set()

        err_restore = threading.Thread(target=lambda: errors["pg_restore"].extend(restore.stderr.readlines()),  # type: ignore[union-attr]
                                       daemon=True)
        err_psql = threading.Thread(target=lambda: errors["psql"].extend(psql.stderr.readlines()),  # type: ignore[union-attr]
                                    daemon=True)
        threads = [
            threading.Thread(target=feed_decompressed, args=(spool, [restore.stdin], control), daemon=True),
            err_restore, err_psql, threading.Thread(target=read_marks, args=(psql.stdout,), daemon=True),
        ]

        def failed(program: str) -> OpsError:
            proc, reader = (psql, err_psql) if program == "psql" else (restore, err_restore)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
            reader.join(5)
            return explain_skipped(_restore_error(program, proc.returncode or 1, errors[program], conn), plan)

        for t in threads:
            t.start()
        committed = False
        try:
            sink = psql.stdin
            sink.write(_prelude(plan, options).encode("utf-8"))
            fd = restore.stdout.fileno()
            head = b""
            in_head = True
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                control.check()
                control.done += len(chunk)
                if in_head:
                    head += chunk
                    if len(head) < _PREAMBLE_LIMIT:
                        continue
                    chunk, head, in_head = _split_head(head, plan, options), b"", False
                sink.write(chunk)
            if in_head:
                sink.write(_split_head(head, plan, options))
            if restore.wait() != 0:
                raise failed("pg_restore")
            if plan.defaults_on:
                sink.write(("\n" + "\n".join(plan.defaults_on) + "\n").encode("utf-8"))
            # Row counts inside the transaction, before deciding to commit.
            checks = [f"SELECT '@@rc|' || {quote_literal(k)} || '|' || count(*) FROM ONLY "
                      + ".".join(quote_ident(p) for p in k.split(".", 1)) + ";" for k in sorted(plan.tables)]
            sink.write(("\n".join(checks) + "\n\\echo @@done\n").encode("utf-8"))
            sink.flush()
            while not marker.wait(0.2):
                control.check()
                if psql.poll() is not None:
                    break
            if not any(m.startswith("@@done") for m in marks):
                raise failed("psql")
            counted = {p[1]: int(p[2]) for p in (m.split("|") for m in marks if m.startswith("@@rc|"))}
            wrong = [f"{k}: {counted.get(k)} rows, the manifest says {v}" for k, v in sorted(plan.tables.items())
                     if counted.get(k) != v]
            if wrong:
                raise IntegrityError("Row counts after the restore differ from the manifest, so it was rolled back: "
                                     + "; ".join(wrong[:5]), hint="The target is unchanged; verify the backup")
            control.commit_point(psql)  # from here a cancel comes too late: COMMIT must not be cut off halfway
            if plan.transactional:
                sink.write(b"COMMIT;\n")
            sink.close()
            if psql.wait() != 0:
                raise failed("psql")
            committed = True
            return len(plan.tables)
        except BrokenPipeError:
            raise failed("psql") from None
        finally:
            if not committed:
                # No COMMIT was sent: killing psql ends the session and PostgreSQL rolls back.
                for proc in (psql, restore):
                    with contextlib.suppress(OSError):
                        proc.kill()
            for proc in (psql, restore):
                with contextlib.suppress(Exception):
                    proc.wait(10)
            for t in threads:
                t.join(5)


def _split_head(head: bytes, plan: Plan, options: RestoreOptions) -> bytes:
    # The preamble is plain SQL before the first object; filter only up to the first COPY so data is untouched.
    cut = head.find(b"\nCOPY ")
    cut = len(head) if cut < 0 else cut
    text = head[:cut].decode("utf-8", "surrogateescape")
    return _filter_preamble(text, plan.server_major, options.lock_timeout_s).encode("utf-8", "surrogateescape") \
        + head[cut:]


def _restore_error(program: str, rc: int, stderr: list[bytes], conn: PgConn) -> OpsError:
    text = MASKER(b"".join(stderr).decode("utf-8", "replace").strip())[-1500:]
    low = text.lower()
    if "terminat" in low or "server closed the connection" in low or "connection to server" in low \
            or "no connection to the server" in low:
        return ConnectionFailure(f"The connection to {conn.label} was lost during the restore; nothing was "
                                 "committed, so the target is unchanged", kind=FailureKind.DROPPED,
                                 target=conn.label, hint="Retry when the database is reachable", detail=text)
    if "lock timeout" in low or "canceling statement due to lock timeout" in low:
        return OpsError("The restore waited too long for locks held by other sessions; it was rolled back and "
                        "the target is unchanged", hint="Stop the platform's writers (or retry in a quiet moment)",
                        detail=text)
    first = next((ln for ln in text.splitlines() if "ERROR" in ln or "error" in ln), text.splitlines()[-1] if text else "")
    return OpsError(f"The restore failed ({program}: {first.strip()[:300]}); it was rolled back and the target is "
                    "unchanged", detail=text)


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
            _check_swap_possible(maint, conn, options)
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
                fresh = _side_name(conn.dbname, "restoring")
                _create_database(maint, fresh, like=conn.dbname)
                created = fresh
                into = RestoreTarget(target.name, target.env, conn.with_db(fresh), target.is_environment, False)
            elif not exists:
                _create_database(maint, conn.dbname)
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
                old = _side_name(conn.dbname, "before")
                _swap_in(maint, conn.dbname, into.conn.dbname, old)
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


# --- swap: restore beside the target, then rename ----------------------------------------------------


def _side_name(dbname: str, tag: str) -> str:
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return f"{dbname[:63 - len(tag) - len(stamp) - 2]}_{tag}_{stamp}"


def _create_database(maint: PgConn, name: str, like: str | None = None) -> None:
    with maint.connect() as c:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
        if like:
            row = c.execute("SELECT datcollate, datctype FROM pg_database WHERE datname = %s", (like,)).fetchone()
            if row:
                query = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE {} LC_CTYPE {}").format(
                    sql.Identifier(name), sql.Literal(row[0]), sql.Literal(row[1]))
        c.execute(query)


def _other_sessions(c: psycopg.Connection[Any], dbname: str) -> list[str]:
    rows = c.execute("SELECT coalesce(nullif(application_name, ''), usename, 'a session') FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchall()
    return [str(r[0]) for r in rows]


def _check_swap_possible(maint: PgConn, conn: PgConn, options: RestoreOptions) -> None:
    if options.schemas or options.data_only:
        raise ConfigError("--strategy swap restores the whole database; it cannot be combined with --schema or "
                          "--data-only", hint="Restore part of a database with the default strategy")
    if maint.dbname == conn.dbname:
        raise ConfigError(f"--strategy swap needs the maintenance database 'postgres' on {conn.label} to rename "
                          f"'{conn.dbname}', and it cannot be reached", hint="Use the default strategy")
    with conn.connect() as c:
        signs = read_signs(c)
    with maint.connect() as c:
        privileged = c.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()
        others = _other_sessions(c, conn.dbname)
    if signs.detected:
        raise ConfigError("--strategy swap is not possible on Supabase: the project's database cannot be renamed "
                          "under its pooler", hint="Use the default one-transaction restore (raise "
                          "max_locks_per_transaction with Supabase support if the schema is too big for it)")
    if not (privileged and privileged[0]):
        raise ConfigError(f"--strategy swap creates and renames databases; the role on {conn.label} may not",
                          hint="Use a role with CREATEDB that owns the target database")
    if others:
        raise ConfigError(f"--strategy swap renames '{conn.dbname}', but {len(others)} other session(s) are connected "
                          f"to it ({', '.join(sorted(set(others))[:4])}); nothing was changed",
                          hint="Stop the platform's connections to it first (or use the default strategy)")


_LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries"}


def _carry_over(c: psycopg.Connection[Any], source: str, dest: str) -> None:
    """Owner, database-level grants and settings of ``source`` onto ``dest`` (pg_dump does not carry them)."""
    row = c.execute("SELECT oid, datdba::regrole::text, datacl IS NOT NULL FROM pg_database WHERE datname = %s",
                    (source,)).fetchone()
    if row is None:
        return
    oid, owner, has_acl = row
    dest_id = sql.Identifier(dest)
    c.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(dest_id, sql.SQL(owner)))
    if has_acl:
        c.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(dest_id))
        grants = c.execute(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.privilege_type, "
            "a.is_grantable FROM pg_database d, aclexplode(d.datacl) a WHERE d.oid = %s", (oid,)).fetchall()
        for grantee, privilege, grantable in grants:
            c.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}{}").format(
                sql.SQL(privilege), dest_id, sql.SQL(grantee), sql.SQL(" WITH GRANT OPTION" if grantable else "")))
    settings = c.execute("SELECT setrole::regrole::text, setrole = 0, unnest(setconfig) FROM pg_db_role_setting "
                         "WHERE setdatabase = %s", (oid,)).fetchall()
    for role, everyone, entry in settings:
        name, _, value = str(entry).partition("=")
        shown = sql.SQL(value) if name.lower() in _LIST_SETTINGS else sql.Literal(value)
        if everyone:
            c.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(dest_id, sql.Identifier(name), shown))
        else:
            c.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
                sql.SQL(role), dest_id, sql.Identifier(name), shown))


def _swap_in(maint: PgConn, target: str, fresh: str, old: str) -> None:
    """Rename ``target`` to ``old`` and ``fresh`` to ``target`` in one transaction: both or neither."""
    with maint.connect() as c:
        with c.transaction():
            others = _other_sessions(c, target)
            if others:
                raise OpsError(
                    f"{len(others)} other session(s) are connected to '{target}' ({', '.join(sorted(set(others))[:4])}); "
                    "it cannot be switched. The restored copy was dropped and the target is unchanged",
                    hint="Stop the platform's connections to it (or use the default one-transaction restore)")
            _carry_over(c, target, fresh)
            try:
                c.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(target), sql.Identifier(old)))
                c.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(fresh), sql.Identifier(target)))
            except psycopg.errors.ObjectInUse as exc:
                raise OpsError(f"'{target}' is in use and cannot be switched; the restored copy was dropped and the "
                               "target is unchanged", hint="Stop the platform's connections to it",
                               detail=str(exc)) from None


def restore_into_scratch(store: BackupStore, manifest: mf.Manifest, base: PgConn, spool: Path, tools: PgTools,
                         toc: list[TocEntry], control: Control) -> int:
    """For ``verify --restore-test``: a fresh database, restored and row-counted, then dropped."""
    import secrets

    name = f"rops_verify_{secrets.token_hex(4)}"
    maint = _maintenance(base, base.dbname)
    _create_database(maint, name)
    try:
        target = RestoreTarget(name, None, base.with_db(name), False, False)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory(prefix="rops-verify-") as tmp:
            plan = make_plan(manifest, toc, target, RestoreOptions(), True, Path(tmp))
            return run_restore_pipeline(spool, tools, target.conn, plan, RestoreOptions(), control, manifest.id)
    finally:
        with contextlib.suppress(psycopg.Error, ConnectionFailure), maint.connect() as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

"""The restore pipeline: pg_restore → (filter) → psql, in one transaction whose COMMIT is sent only
after pg_restore exited cleanly and the row counts, counted inside that transaction, equal the manifest's.

pg_restore only turns the archive into SQL (``-f -``) and never connects; psql runs it with ON_ERROR_STOP.
The preamble before the first COPY is filtered: ``SET transaction_timeout`` is dropped for servers before
17 and ``SET lock_timeout = 0`` becomes the restore's lock timeout. A plan that is not transactional (a
new database too big for the lock table) runs statement by statement; its caller drops the database on
failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from pathlib import Path
from typing import IO

from services.backup.archive import feed_decompressed
from services.backup.restore_plan import Plan, RestoreOptions, explain_skipped, quote_ident, quote_literal
from services.backup.worker import Control
from services.core.errors import ConnectionFailure, FailureKind, IntegrityError, OpsError
from services.core.log_setup import MASKER
from services.core.pg_tools import PgConn, PgTools, child_env, clean_env

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

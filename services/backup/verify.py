"""``backup verify``: checksum, archive structure, table of contents; optionally a test restore.

The archive is downloaded (streamed, into a private spool file) with its SHA-256 computed on the way
and compared with the manifest; pg_restore then reads its table of contents (every table the manifest
counted must have its data in it) and the whole archive (every data block must parse). With
``restore_test``, it is restored into a scratch database on the environment's server, row counts are
compared with the manifest inside the restore's transaction, and the database is dropped. The result
is written next to the manifest (``verification.json``), where the catalog reads it.
"""

from __future__ import annotations

import getpass
import socket
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.backup import manifest as mf
from services.backup.archive import check_structure, read_toc, spooled
from services.backup.catalog import find_manifest
from services.backup.store import BackupStore
from services.backup.worker import Control, run_blocking
from services.core.errors import OpsError
from services.core.guard import authorize_additive
from services.core.pg_tools import PgConn, env_connection, tools_for
from services.core.progress import Progress

if TYPE_CHECKING:
    from services.core.app_context import AppContext


def _who() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except Exception:
        return socket.gethostname()


def verify_blocking(store: BackupStore, manifest: mf.Manifest, cache: Any, control: Control,
                    scratch_base: PgConn | None) -> mf.Verification:
    t0 = time.perf_counter()
    problems: list[str] = []
    checksum_ok = archive_ok = False
    restore_ok: bool | None = None
    entries = 0
    control.total = manifest.bytes
    control.note("downloading and checking the SHA-256")
    try:
        with spooled(store, manifest, cache / "spool", control) as spool:
            checksum_ok = True
            tools = tools_for(0, at_least=manifest.client_major, prefer_major=manifest.client_major)
            control.note("reading the archive")
            try:
                _text, toc = read_toc(tools, spool, control, manifest.extra.get("roles", []))
                entries = len(toc)
                data = {f"{e.schema}.{e.name}" for e in toc if e.desc == "TABLE DATA"}
                missing = sorted(set(manifest.table_rows()) - data)
                if missing:
                    problems.append("tables without data in the archive: " + ", ".join(missing[:10]))
                check_structure(tools, spool, control)
                archive_ok = not missing
            except OpsError as exc:
                problems.append(exc.sentence())
            if scratch_base is not None and archive_ok:
                from services.backup.restore import restore_into_scratch

                control.note("test restore into a scratch database")
                control.done = 0
                try:
                    restore_into_scratch(store, manifest, scratch_base, spool, tools, toc, control)
                    restore_ok = True
                except OpsError as exc:
                    restore_ok = False
                    problems.append("test restore: " + exc.sentence())
    except OpsError as exc:
        if checksum_ok:
            raise
        problems.append(exc.sentence())
    ok = checksum_ok and archive_ok and restore_ok is not False
    result = mf.Verification(manifest.id, datetime.now(UTC), ok, checksum_ok, archive_ok, entries,
                             scratch_base is not None, restore_ok, tuple(problems), _who(),
                             round(time.perf_counter() - t0, 3))
    store.put_json(store.verification_key(manifest.id), result.to_json())
    return result


async def verify_backup(ctx: AppContext, env_name: str, backup_id: str, progress: Progress | None = None, *,
                        restore_test: bool = False, store: BackupStore | None = None) -> mf.Verification:
    env = ctx.workspace.environment(env_name)
    # Writes verification.json (and with restore_test creates and drops a scratch database): not for a viewer.
    authorize_additive(ctx.workspace, env, "backup verify --restore-test" if restore_test else "backup verify")
    store, manifest = await find_manifest(ctx, env_name, backup_id, store=store)
    base = await env_connection(ctx, env) if restore_test else None
    result = await run_blocking(lambda c: verify_blocking(store, manifest, ctx.paths.cache, c, base), progress)
    await ctx.audit.arecord(environment=env.name, action="backup verify", target=backup_id,
                            outcome="ok" if result.ok else "failed: " + "; ".join(result.problems)[:300],
                            details={"restore_test": restore_test})
    return result

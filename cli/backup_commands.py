"""``realtor-ops backup …``: create, list, verify, restore, prune, lifecycle, schedule.

With --json: create/verify/restore print one JSON object, list prints a JSON array. Exit codes: 0 done,
1 failed, 2 usage or configuration, 3 refused by a guard or a lock.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from cli.common import open_context
from cli.output import print_json, print_table
from services.core.progress import Progress, ProgressSnapshot, human_bytes, human_duration


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = sub.add_parser("backup", help="database backups: create, list, verify, restore, prune, schedule")
    bsub = backup.add_subparsers(dest="command", metavar="SUBCOMMAND")
    bsub.required = True

    p = bsub.add_parser("create", help="back up the environment's database into its backup bucket now")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--exclude-schema", action="append", default=[], metavar="SCHEMA",
                   help="leave a schema out (repeatable), e.g. one the backup role cannot read")
    p.set_defaults(handler=backup_create)

    p = bsub.add_parser("list", help="the catalog of the environment's backups, read from the bucket")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--cleanup", action="store_true",
                   help="abort unfinished uploads and remove archives without a manifest: all of them when no "
                        "backup of the environment is running (its lock is free), else those older than 24 h")
    p.set_defaults(handler=backup_list)

    p = bsub.add_parser("verify", help="check a backup's checksum and archive (optionally a test restore)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--restore-test", action="store_true",
                   help="also restore into a scratch database, compare row counts, then drop it")
    p.set_defaults(handler=backup_verify)

    p = bsub.add_parser("restore", help="restore a backup into a database, all or nothing")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME", help="the environment whose backup it is")
    p.add_argument("--to", required=True, metavar="TARGET",
                   help="an environment's name (its database) or a database name on the same server")
    p.add_argument("--confirm", metavar="NAME",
                   help="type the target's name to confirm: the environment's name when the target is an "
                        "environment's database (however its server is spelled), else the database's name")
    p.add_argument("--reason", metavar="TEXT", help="why (required for production; goes into the audit log)")
    p.add_argument("--skip-safety-backup", action="store_true",
                   help="do not back up the target first (only allowed for scratch databases)")
    p.add_argument("--schema", action="append", default=[], metavar="S", help="restore only this schema (repeatable)")
    p.add_argument("--data-only", action="store_true", help="restore table contents only, not definitions")
    p.add_argument("--strategy", choices=("transaction", "swap"), default="transaction",
                   help="transaction (default): one transaction into the target, rolled back on any error; "
                        "swap: restore into a fresh database beside it, then rename both at once (for schemas too "
                        "big for the server's lock table; needs no other sessions on the target; not on Supabase)")
    p.set_defaults(handler=backup_restore)

    p = bsub.add_parser("prune", help="apply the retention policy (daily/weekly/monthly/yearly)")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--dry-run", action="store_true", help="show what would go and why; delete nothing")
    p.add_argument("--confirm", metavar="NAME", help="type the environment's name (production)")
    p.add_argument("--reason", metavar="TEXT", help="why (production)")
    p.set_defaults(handler=backup_prune)

    p = bsub.add_parser("lifecycle", help="show (or apply) the bucket's lifecycle rules")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--apply", action="store_true", help="write the rules to the bucket")
    p.add_argument("--confirm", metavar="NAME")
    p.add_argument("--reason", metavar="TEXT")
    p.set_defaults(handler=backup_lifecycle)

    p = bsub.add_parser("schedule", help="a GitHub Actions workflow and a cron line for the daily backup")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--output", metavar="FILE", help="write the workflow YAML to FILE")
    p.set_defaults(handler=backup_schedule)


class _Ticker:
    """Progress on stderr for people (never in --json output)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._last = ""

    def __call__(self, s: ProgressSnapshot) -> None:
        if not self.enabled:
            return
        pct = f"{s.fraction * 100:3.0f}% " if s.fraction is not None else ""
        speed = f" {human_bytes(s.speed)}/s" if s.speed else ""
        eta = f" ETA {human_duration(s.eta_s)}" if s.eta_s else ""
        line = f"\r{pct}{human_bytes(s.done)}{speed}{eta} {s.message}"[:100]
        if line != self._last:
            sys.stderr.write(line.ljust(len(self._last)))
            sys.stderr.flush()
            self._last = line

    def end(self) -> None:
        if self.enabled and self._last:
            sys.stderr.write("\n")


def _progress(args: argparse.Namespace) -> tuple[Progress, _Ticker]:
    ticker = _Ticker(not args.json)
    return Progress(ticker, min_interval_s=0.25), ticker


async def backup_create(args: argparse.Namespace) -> int:
    from services.backup.dump_stream import create_backup

    ctx = open_context(args)
    progress, ticker = _progress(args)
    try:
        m = await create_backup(ctx, args.env, progress, exclude_schemas=tuple(args.exclude_schema))
    finally:
        ticker.end()
    if args.json:
        print_json(m.summary_json())
    else:
        print(f"backup {m.id} of {m.environment}: {human_bytes(m.bytes)} stored "
              f"({human_bytes(m.dump_bytes)} dumped) in {human_duration(m.duration_s)}")
        print(f"key     {m.key}\nsha256  {m.sha256}")
        for note in m.notes:
            print(f"note    {note}")
    return 0


def _age(t: datetime) -> str:
    return human_duration((datetime.now(UTC) - t).total_seconds())


async def backup_list(args: argparse.Namespace) -> int:
    from services.backup.catalog import list_backups
    from services.backup.dump_stream import clean_up_unfinished
    from services.backup.store import store_for

    ctx = open_context(args)
    env = ctx.workspace.environment(args.env)
    store = await store_for(ctx, env)
    if args.cleanup:
        result = await clean_up_unfinished(ctx, env.name)
        if not args.json:
            for line in result.lines() or ["cleanup: nothing unfinished to remove"]:
                print(line)
            if result.limited:
                print(f"note: {result.limited}")
    catalog = await list_backups(ctx, args.env, store=store)
    if args.json:
        print_json([e.to_json() for e in catalog.entries])
        return 0
    print_table([[e.id, e.state, _age(e.created_at), human_bytes(e.bytes) if e.bytes else "-",
                  e.sha256[:12] or "-", e.verification, e.trigger or "-"] for e in catalog.entries],
                ["ID", "STATE", "AGE", "SIZE", "SHA256", "VERIFIED", "TRIGGER"])
    mark = "RED" if catalog.freshness.red else "ok"
    print(f"\nfreshness: {mark} — {catalog.freshness.sentence}")
    return 0


async def backup_verify(args: argparse.Namespace) -> int:
    from services.backup.verify import verify_backup

    ctx = open_context(args)
    progress, ticker = _progress(args)
    try:
        v = await verify_backup(ctx, args.env, args.id, progress, restore_test=args.restore_test)
    finally:
        ticker.end()
    if args.json:
        print_json(v.summary_json())
    else:
        print(f"backup {v.backup_id}: {'OK' if v.ok else 'FAILED'} (checksum {'ok' if v.checksum_ok else 'BAD'}, "
              f"archive {'ok' if v.archive_ok else 'BAD'}, {v.toc_entries} TOC entries"
              + (f", test restore {'ok' if v.restore_ok else 'FAILED'}" if v.restore_tested else "") + ")")
        for problem in v.problems:
            print(f"problem: {problem}")
    return 0 if v.ok else 1


async def backup_restore(args: argparse.Namespace) -> int:
    from services.backup.restore import restore_backup
    from services.backup.restore_plan import RestoreOptions

    ctx = open_context(args)
    progress, ticker = _progress(args)
    options = RestoreOptions(schemas=tuple(args.schema), data_only=args.data_only,
                             skip_safety_backup=args.skip_safety_backup, strategy=args.strategy)
    try:
        r = await restore_backup(ctx, args.env, args.id, args.to, progress, confirm=args.confirm,
                                 reason=args.reason, options=options)
    finally:
        ticker.end()
    if args.json:
        print_json(r.to_json())
    else:
        print(f"restored {r.backup_id} into {r.target} ({r.database}) in {human_duration(r.duration_s)}")
        print(f"strategy: {r.strategy}")
        if r.safety_backup_id:
            print(f"safety backup of the target first: {r.safety_backup_id}")
        print(f"row counts match the manifest for {r.tables_checked} tables")
        for note in r.notes:
            print(f"note: {note}")
    return 0


async def backup_prune(args: argparse.Namespace) -> int:
    from services.backup.retention import prune

    ctx = open_context(args)
    plan = await prune(ctx, args.env, dry_run=args.dry_run, confirm=args.confirm, reason=args.reason)
    if args.json:
        print_json(plan.to_json())
        return 0
    rows = [[d.entry.id, "keep", "; ".join(d.reasons)] for d in plan.keep]
    rows += [[d.entry.id, "would delete" if args.dry_run else "deleted", "; ".join(d.reasons)] for d in plan.delete]
    rows.sort(key=lambda r: r[0], reverse=True)
    print_table(rows, ["ID", "ACTION", "WHY"])
    print(f"\n{len(plan.keep)} kept, {len(plan.delete)} {'to delete' if args.dry_run else 'deleted'}")
    return 0


async def backup_lifecycle(args: argparse.Namespace) -> int:
    from services.backup.retention import lifecycle_status

    ctx = open_context(args)
    status = await lifecycle_status(ctx, args.env, apply=args.apply, confirm=args.confirm, reason=args.reason)
    if args.json:
        print_json(status.to_json())
    else:
        print(status.summary)
        if not status.in_place:
            print(f"apply it with: realtor-ops backup lifecycle --env {args.env} --apply")
    return 0


async def backup_schedule(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from services.backup.schedule import schedule_for

    ctx = open_context(args)
    sched = await schedule_for(ctx, args.env)
    if args.output:
        await asyncio.to_thread(Path(args.output).write_text, sched.workflow_yaml, encoding="utf-8")
    if args.json:
        print_json(sched.to_json())
    else:
        if not args.output:
            print(f"# {sched.workflow_path}\n{sched.workflow_yaml}")
        print(f"# cron line (a server of your own):\n{sched.cron_line}\n")
        print("# repository secrets the workflow reads: " + ", ".join(sched.secrets))
        print("# last scheduled run: " + (f"{sched.last_run:%Y-%m-%d %H:%M UTC} ({sched.last_backup_id})"
                                          if sched.last_run else "none found in the catalog"))
    return 0

"""``realtor-ops env …``: the environments of the workspace.

Changing commands go through the guard: a viewer workspace refuses them (exit 3); on production they
need ``--confirm NAME`` and ``--reason TEXT`` (exit 3 without).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from cli.common import open_context
from cli.output import print_json, print_table
from services.core.errors import ConfigError, ExitCode
from services.core.workspace import EnvironmentKind, seed_environment


def _guard_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--confirm", metavar="NAME", help="type the environment's name to unlock production")
    p.add_argument("--reason", metavar="TEXT", help="why (required on production; goes into the audit log)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    env = sub.add_parser("env", help="environments: list, import .env, export, check connections, diff")
    env_sub = env.add_subparsers(dest="command", metavar="SUBCOMMAND")
    env_sub.required = True
    p = env_sub.add_parser("list", help="list the workspace's environments and what each has configured")
    p.set_defaults(handler=env_list)

    p = env_sub.add_parser("import-dotenv", help="import a .env file into an environment (secrets to the keyring)",
                           description="Reads the file as Next.js does (@next/env: dotenv 16.3.1, dotenv-expand "
                           "10.0.0) and shows what would change, including each value Next.js reads differently "
                           "from its text; then applies it: secrets to the OS keyring, settings to the workspace, "
                           "all or nothing. Variables the console does not know are kept: as plain settings, or "
                           "in the keyring when they look secret (--secret/--plain choose). Asks first when run "
                           "in a terminal.")
    p.add_argument("file", metavar="FILE", help=".env file to import ('-' reads standard input)")
    p.add_argument("--env", required=True, metavar="NAME", help="environment to import into (created if new)")
    p.add_argument("--kind", choices=[k.value for k in EnvironmentKind],
                   help="kind of a new environment (guessed from its name otherwise)")
    p.add_argument("--secret", action="append", default=[], metavar="NAME",
                   help="keep this variable the console does not know in the keyring (repeatable)")
    p.add_argument("--plain", action="append", default=[], metavar="NAME",
                   help="keep this variable the console does not know as a plain setting (repeatable)")
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.add_argument("--dry-run", action="store_true", help="only show what would change")
    _guard_flags(p)
    p.set_defaults(handler=env_import_dotenv)

    p = env_sub.add_parser("export", help="export the workspace (TOML, no secrets) or an environment's .env template")
    p.add_argument("--env", metavar="NAME", help="environment (required with --dotenv-template)")
    p.add_argument("--dotenv-template", action="store_true",
                   help="write a .env template with the settings filled in and every secret empty")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=env_export_cmd)

    p = env_sub.add_parser("check", help="test an environment's connections: database, Redis, buckets, tokens")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--only", action="append", metavar="SERVICE",
                   help="run only this check (database, direct_database, redis, bucket:files, provider:vercel...)")
    p.add_argument("--timeout", type=float, default=8.0, metavar="SECONDS", help="per check (default 8)")
    p.set_defaults(handler=env_check)

    p = env_sub.add_parser("diff", help="drift between two environments, the seed's template and Vercel")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--no-vercel", action="store_true", help="do not compare with Vercel's project env vars")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there is drift")
    p.set_defaults(handler=env_diff)

    p = env_sub.add_parser("remove", help="remove an environment and its keyring entries")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--yes", action="store_true", help="do not ask")
    _guard_flags(p)
    p.set_defaults(handler=env_remove)


async def env_list(args: argparse.Namespace) -> int:
    from services.environments.summaries import list_environments

    ctx = open_context(args)
    rows = await list_environments(ctx)
    if args.json:
        print_json([r.to_json() for r in rows])
    else:
        print_table([[r.name, r.kind, r.app_url, r.database or "-", r.redis or "-",
                      r.backup_bucket or "-", len(r.secrets)] for r in rows],
                    ["NAME", "KIND", "URL", "DATABASE", "REDIS", "BACKUPS", "SECRETS"])
    return 0


def _read_text(path: str) -> tuple[str, str]:
    from services.environments import env_import

    if path == "-":
        return sys.stdin.read(), "<stdin>"
    return env_import.read_dotenv_file(path)


async def env_import_dotenv(args: argparse.Namespace) -> int:
    from services.core import guard
    from services.environments import env_import, env_variables, import_apply
    from services.environments.import_plan import ImportOutcome

    ctx = open_context(args)
    text, source = _read_text(args.file)
    kind = EnvironmentKind(args.kind) if args.kind else None
    target = ctx.workspace.environments.get(args.env) or seed_environment(
        args.env, kind or env_variables.guess_kind(args.env))
    auth = None
    if not args.dry_run:
        # Refuse before reading any secret: a viewer, or production without --confirm/--reason.
        auth = guard.authorize(ctx.workspace, target, "import .env", confirm=args.confirm, reason=args.reason)
    plan = await env_import.aplan_import(ctx, args.env, text, source=source, kind=kind, secret=args.secret,
                                         plain=args.plain)
    if not args.json:
        print("\n".join(plan.lines()))
    if args.dry_run or plan.is_noop:
        if args.json:
            print_json(ImportOutcome(plan).to_json())
        return 0
    assert auth is not None
    if not args.yes and sys.stdin.isatty() and args.file != "-":
        answer = await asyncio.to_thread(input, "Apply these changes? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not applied.", file=sys.stderr)
            return int(ExitCode.REFUSED)
    result = await import_apply.aapply_import(ctx, plan, auth)
    if args.json:
        print_json(ImportOutcome(plan, result).to_json())
    else:
        print(f"Applied: {result.settings_changed} setting(s), {len(result.secrets_written)} secret(s) "
              "written to the OS keyring.")
    return 0


async def env_export_cmd(args: argparse.Namespace) -> int:
    from services.environments import env_export

    ctx = open_context(args)
    if args.dotenv_template:
        if not args.env:
            raise ConfigError("--dotenv-template needs --env NAME")
        env = ctx.environment(args.env)
        text = env_export.dotenv_template(env, stored_secrets=await ctx.credentials.anames(env.name))
    else:
        workspace = ctx.workspace
        if args.env:
            from dataclasses import replace

            workspace = replace(workspace, environments={args.env: ctx.environment(args.env)})
        text = env_export.export_workspace_toml(workspace)
    if args.output:
        out = Path(args.output)
        await asyncio.to_thread(out.write_text, text, encoding="utf-8")
        print(f"Wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


async def env_check(args: argparse.Namespace) -> int:
    from services.environments.connection_checks import run_checks

    ctx = open_context(args)
    ctx.environment(args.name)
    results = await run_checks(ctx, args.name, services=args.only, timeout=args.timeout)
    if args.json:
        print_json([r.to_json() for r in results])
    else:
        print_table([[r.label, r.state.upper(), r.kind.value if r.kind else "",
                      f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "", r.sentence()] for r in results],
                    ["CHECK", "STATE", "WHY", "TIME", "ANSWER"])
    return int(ExitCode.FAILED) if any(r.state == "failed" for r in results) else 0


async def env_diff(args: argparse.Namespace) -> int:
    from services.environments.drift import diff_environments

    ctx = open_context(args)
    ctx.environment(args.a)
    ctx.environment(args.b)
    report = await diff_environments(ctx, args.a, args.b, with_vercel=not args.no_vercel)
    if args.json:
        print_json(report.to_json())
    else:
        for section in report.sections:
            print(f"== {section.title}: {len(section.drift)} difference(s)")
            if section.error:
                print(f"   could not compare: {section.error}")
            if section.items:
                print_table([[i.key, i.a, i.b, i.note, "" if i.drift else "(expected)"] for i in section.items],
                            ["KEY", section.left.upper(), section.right.upper(), "", ""])
            print()
        print(f"{report.drift_count} difference(s) in all; values are compared by fingerprint and never shown.")
    return int(ExitCode.FAILED) if args.exit_code and report.drift_count else 0


async def env_remove(args: argparse.Namespace) -> int:
    from services.core import guard

    ctx = open_context(args)
    env = ctx.environment(args.name)
    auth = guard.authorize(ctx.workspace, env, "remove environment", confirm=args.confirm, reason=args.reason)
    names = await ctx.credentials.anames(env.name)
    print(f"Removing environment '{env.name}' ({env.kind.value}) and its keyring entries: "
          f"{', '.join(names) or 'none'}", file=sys.stderr)
    if not args.yes and sys.stdin.isatty():
        answer = await asyncio.to_thread(input, "Remove? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return int(ExitCode.REFUSED)
    from services.environments.environment_edits import remove_environment

    removal = await remove_environment(ctx, env.name, auth)
    if args.json:
        print_json(removal.to_json())
    return 0

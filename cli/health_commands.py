"""``realtor-ops health …``: run every configured health check once (cron, GitHub Actions)."""

from __future__ import annotations

import argparse

from cli.common import open_context
from cli.output import print_json, print_table
from services.core.errors import ConfigError, ExitCode
from services.health.names import CHECK_LABELS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    health = sub.add_parser("health", help="health checks of the environments")
    health_sub = health.add_subparsers(dest="command", metavar="SUBCOMMAND")
    health_sub.required = True
    p = health_sub.add_parser(
        "check",
        help="run every configured check once; exit 0 when all are up, 1 otherwise",
        description="Runs the platform's /api/health, database, Redis, storage, external APIs, TLS, security "
        "headers, Sentry and Better Stack checks of each environment concurrently, once. Prints a table, or "
        "with --json an array of {env, check, status, latency_ms, detail}. Exit 0 when every check is up, "
        "1 when any is degraded, down or unknown, 2 when nothing is configured to check.")
    p.add_argument("--env", metavar="NAME", action="append",
                   help="only this environment (repeatable; default: all)")
    p.add_argument("--check", metavar="CHECK", action="append", choices=list(CHECK_LABELS),
                   help="only this check (repeatable): " + ", ".join(CHECK_LABELS))
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    p.set_defaults(handler=health_check)


async def health_check(args: argparse.Namespace) -> int:
    from services.health import CheckContext, Status, run_once

    ctx = open_context(args)
    names = args.env or list(ctx.workspace.environments)
    envs = [ctx.environment(name) for name in names]
    check_ctx = CheckContext(ctx.credentials)
    try:
        results = await run_once(envs, check_ctx, only=args.check)
    finally:
        await check_ctx.aclose()
    if not results:
        raise ConfigError("Nothing is configured to check in " + ", ".join(names),
                          hint="Set an app URL, database, Redis or storage for the environment")
    if args.json:
        print_json([r.to_json() for r in results])
    else:
        print_table([[r.env, r.check, r.status.value.upper(),
                      "-" if r.latency_ms is None else f"{r.latency_ms:.0f} ms", r.detail] for r in results],
                    ["ENV", "CHECK", "STATUS", "LATENCY", "DETAIL"])
        bad = [r for r in results if r.status is not Status.UP]
        print(f"\n{len(results) - len(bad)} of {len(results)} checks up")
    return int(ExitCode.OK) if all(r.status is Status.UP for r in results) else int(ExitCode.FAILED)

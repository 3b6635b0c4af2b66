"""``realtor-ops env …``: the environments of the workspace."""

from __future__ import annotations

import argparse

from cli.common import open_context
from cli.output import print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    env = sub.add_parser("env", help="environments: list, import .env, check connections, diff")
    env_sub = env.add_subparsers(dest="command", metavar="SUBCOMMAND")
    env_sub.required = True
    p = env_sub.add_parser("list", help="list the workspace's environments and what each has configured")
    p.set_defaults(handler=env_list)


async def env_list(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    rows = []
    for env in ctx.workspace.environments.values():
        secrets = await ctx.credentials.anames(env.name)
        rows.append({
            "name": env.name,
            "kind": env.kind.value,
            "app_url": env.app_url,
            "database": f"{env.database.host}:{env.database.port}/{env.database.name}" if env.database.configured else "",
            "redis": f"{env.redis.host}:{env.redis.port}" if env.redis.configured else "",
            "backup_bucket": env.backup.bucket,
            "secrets": secrets,
        })
    if args.json:
        print_json(rows)
    else:
        print_table([[r["name"], r["kind"], r["app_url"], r["database"] or "-", r["redis"] or "-",
                      r["backup_bucket"] or "-", len(r["secrets"])] for r in rows],
                    ["NAME", "KIND", "URL", "DATABASE", "REDIS", "BACKUPS", "SECRETS"])
    return 0

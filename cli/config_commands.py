"""``realtor-ops config diff``: an environment's live configuration next to what the seed prescribes
(the same rows as the Environments screen's Configuration tab). It only reads."""

from __future__ import annotations

import argparse

from cli.common import open_context
from cli.output import print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    config = sub.add_parser("config", help="the platform's live configuration against the seed")
    config_sub = config.add_subparsers(dest="command", metavar="SUBCOMMAND")
    config_sub.required = True
    p = config_sub.add_parser(
        "diff", help="what is configured live next to what the seed prescribes; exit 0 when all match",
        description="Reads, without changing anything, the environment's function memory, duration and regions "
        "(vercel.json in the repository, else the Vercel project's defaults), Cloudflare cache rules (static 1 y, "
        "API 5 min, images 30 d), DATABASE_URL's connection_limit and pool_timeout and Supabase's pooler, the "
        "Upstash database's memory and eviction, the backup workflow's schedule and the backup bucket's expiry, "
        "the files bucket's lifecycle (logs 90 d, temp 7 d) and the site's security headers, and holds each "
        "against the seed. A source that cannot be read is named; the rest are shown. With --json: {environment, "
        "items: [{kind, item, seed, live, status, explanation, source}], failures: [{source, reason}]}. "
        "Exit 0 when every item matches, 1 when one differs, is not configured or could not be read, "
        "2 for bad usage or an unknown environment.")
    p.add_argument("--env", metavar="NAME", required=True, help="the environment to compare")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    p.set_defaults(handler=config_diff_command)


def rows_of(report: object) -> list[list[str]]:
    """The table's rows (the Configuration tab shows the same columns)."""
    from services.config_drift import ConfigReport

    assert isinstance(report, ConfigReport)
    return [i.cells() for i in report.items]


async def config_diff_command(args: argparse.Namespace) -> int:
    from services.config_drift import TABLE_HEADERS, ConfigDiffRequest, config_diff

    ctx = open_context(args)
    report = await config_diff(ctx, ConfigDiffRequest(ctx.environment(args.env).name))
    if args.json:
        print_json(report.to_json())
    else:
        print_table(rows_of(report), [h.upper() for h in TABLE_HEADERS])
        print(f"\n{report.summary()}")
        for failure in report.failures:
            print(f"note: {failure.sentence()}")
    return 0 if report.all_match else 1

"""``realtor-ops timeline``: what happened to an environment, newest first, incidents linked to the
change before them (the same rows the console's Timeline screen shows)."""

from __future__ import annotations

import argparse

from cli.common import open_context
from cli.output import print_json, print_table

KINDS = ("deployment", "promotion", "rollback", "ci-run", "migration", "backup", "verification", "restore",
         "incident", "cache-purge", "environment-edit", "cost-anomaly")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "timeline", help="what happened to an environment, newest first",
        description="Deployments, promotions and rollbacks with their reasons, GitHub runs and failing jobs, "
        "migrations, backups, verifications and restores, health incidents, cache purges and environment edits, "
        "merged newest first. An incident that opened within --window minutes after a deployment went live or a "
        "migration was applied is linked to it (related) and offers the rollback or restore that undoes it. A "
        "source that cannot be read is named, with its last-known events shown. With --json: "
        "{events: [{id, time, kind, environment, actor, summary, related, offers, ...}], gaps: [...]}. "
        "Exit 0, or 1 when a source could not be read.")
    p.add_argument("--env", metavar="NAME", help="only this environment (default: all)")
    p.add_argument("--since", metavar="SPAN", default="7d", help="how far back: 90m, 36h, 7d, 2w (default 7d)")
    p.add_argument("--kind", metavar="K", action="append", choices=KINDS,
                   help="only these kinds (repeatable): " + ", ".join(KINDS))
    p.add_argument("--window", metavar="MIN", type=int, default=30,
                   help="minutes after a change within which an incident is linked to it (default 30)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    p.set_defaults(handler=timeline)


def rows_of(timeline: object) -> list[list[str]]:
    """The table's rows (the console's Timeline screen shows the same columns)."""
    from services.timeline import Timeline

    assert isinstance(timeline, Timeline)
    rows = []
    for e in timeline.events:
        mark = "!" if e.attention else ""
        links = ", ".join(e.related)
        rows.append([f"{e.time:%Y-%m-%d %H:%M}", e.environment, e.kind.value, e.actor, mark + e.summary, links])
    return rows


async def timeline(args: argparse.Namespace) -> int:
    from services.timeline import Kind, TimelineRequest, build_timeline
    from services.timeline.service import parse_since

    ctx = open_context(args)
    request = TimelineRequest(environment=args.env, since=parse_since(args.since),
                              kinds=tuple(Kind(k) for k in args.kind or ()), window_min=args.window)
    result = await build_timeline(ctx, request)
    if args.json:
        print_json(result.to_json())
    else:
        print_table(rows_of(result), ["TIME (UTC)", "ENV", "KIND", "WHO", "WHAT", "LINKED"])
        for gap in result.gaps:
            print(f"\nnote: {gap.sentence()}")
    return 1 if result.gaps else 0

"""``realtor-ops costs …``: the month's cost report, today's snapshot (for cron or CI), recommendations."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.common import open_context
from cli.output import print_json, print_table
from services.core.errors import ExitCode, OpsError

JSON_HELP = "machine-readable output"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    costs = sub.add_parser("costs", help="costs: month-to-date, forecast, budget, recommendations")
    costs_sub = costs.add_subparsers(dest="command", metavar="SUBCOMMAND")
    costs_sub.required = True
    p = costs_sub.add_parser(
        "report", help="the month's costs per provider and category, forecast, budget and recommendations",
        description="Month-to-date and forecast per provider and per category (hosting, database, storage, "
        "monitoring, external) from the local snapshots, the budget's state and the recommendations. With --json: "
        "month, currency, providers [{provider, mtd, forecast, source}], categories [{category, mtd, forecast}], "
        "total_mtd, total_forecast, budget (or null), recommendations [{rule, text, figures, monthly_saving}]. "
        "Amounts are strings with two decimals. Exit 0 done, 2 bad usage.")
    p.add_argument("--env", metavar="NAME", help="one environment's rows only (default: the whole workspace)")
    p.add_argument("--month", metavar="YYYY-MM", help="the month to report (default: this month)")
    p.add_argument("--csv", metavar="FILE", help="also write the month's daily rows to FILE as CSV (with a header)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP)
    p.set_defaults(handler=costs_report)
    p = costs_sub.add_parser(
        "collect", help="take today's snapshot from every provider (for cron or CI)",
        description="Reads usage and charges from Vercel, Supabase, Cloudflare R2, Upstash and the backup bucket, "
        "prices what has no charge with the price table, adds plan fees and external services, and stores the "
        "daily rows in the data folder (idempotent: running it again replaces the same days). Exit 0 when no "
        "source failed (not configured or not allowed still count as done), 1 when one did.")
    p.add_argument("--env", metavar="NAME", action="append", help="only this environment (repeatable)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP)
    p.set_defaults(handler=costs_collect)
    p = costs_sub.add_parser(
        "recommendations", help="the seed's cost recommendations with figures and monthly savings",
        description="Smaller database compute when connections average under 20; unused files when over 30%% of "
        "stored objects are referenced by no row; logs past 90 days, temp files past 7; backups past retention; "
        "images not in WebP. Nothing is deleted. Exit 0.")
    p.add_argument("--env", metavar="NAME", action="append", help="only this environment (repeatable)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP)
    p.set_defaults(handler=costs_recommendations)


async def costs_report(args: argparse.Namespace) -> int:
    from services.costs.dashboard import (
        ReportWithRecommendations,
        load_recommendations,
        load_report,
        month_arg,
    )

    ctx = open_context(args)
    today = datetime.now(UTC).date()
    month = month_arg(args.month, today)
    report = await load_report(ctx, month=month, env=args.env, today=today)
    if args.csv:
        path = Path(args.csv)
        try:
            report.write_csv(path)
        except OSError as exc:
            raise OpsError(f"The CSV file {path} cannot be written ({exc.strerror})") from None
    recs = await load_recommendations(ctx, [args.env] if args.env else None)
    if args.json:
        print_json(ReportWithRecommendations(report, recs).to_json())
        return int(ExitCode.OK)
    scope = f"environment {args.env}" if args.env else "the whole workspace"
    print(f"Costs for {report.month} ({scope}), in {report.currency}, as of {report.as_of.isoformat()}\n")
    if not report.rows:
        print("No cost rows for this month yet: run `realtor-ops costs collect`.")
    print_table([[p.name, p.mtd, p.forecast, f"{p.low}..{p.high}", p.source] for p in report.providers],
                ["PROVIDER", "MTD", "FORECAST", "BAND", "SOURCE"])
    print()
    print_table([[c.name, c.mtd, c.forecast] for c in report.categories], ["CATEGORY", "MTD", "FORECAST"])
    print(f"\nTotal: {report.total_mtd} so far, {report.total_forecast} forecast "
          f"({report.total_low}..{report.total_high})")
    for b in ([report.budget] if report.budget else []) + list(report.provider_budgets):
        days = ("" if b.days_until_exceeded is None or b.state == "exceeded"
                else f", exceeded in {b.days_until_exceeded} day(s) at the current rate")
        print(f"Budget ({b.scope}): {b.limit}; {b.state.replace('_', ' ')}{days}")
    for a in report.anomalies:
        print(f"Anomaly: {a.text()}")
    _print_recs(recs)
    if args.csv:
        print(f"\nCSV written to {args.csv} ({len(report.rows)} rows)")
    return int(ExitCode.OK)


def _print_recs(recs: Any) -> None:
    if recs.items:
        print("\nRecommendations:")
        for r in recs.items:
            print(f"- [{r.environment}] {r.text} (saves about {r.monthly_saving}/month)")
            for line in r.details[:4]:
                print(f"    {line}")
            if r.action:
                print(f"    preview: {r.action}")
    skipped = [c for c in recs.checks if c.outcome == "skipped"]
    for c in skipped:
        print(f"  ({c.environment}: {c.rule} not checked: {c.reason})")


async def costs_collect(args: argparse.Namespace) -> int:
    from services.costs.collect import collect

    ctx = open_context(args)
    outcome = await collect(ctx, args.env)
    if args.json:
        print_json(outcome.to_json())
    else:
        print_table([[r.environment, r.collector, r.status.value, len(r.rows), r.reason] for r in outcome.results],
                    ["ENV", "SOURCE", "STATUS", "ROWS", "REASON"])
        print(f"\n{outcome.rows_written} row(s) stored for {outcome.day.isoformat()}")
    return int(ExitCode.OK) if outcome.ok else int(ExitCode.FAILED)


async def costs_recommendations(args: argparse.Namespace) -> int:
    from services.costs.dashboard import load_recommendations

    ctx = open_context(args)
    recs = await load_recommendations(ctx, args.env)
    if args.json:
        print_json(recs.to_json())
        return int(ExitCode.OK)
    if not recs.items:
        print("No recommendation: nothing to save found.")
    _print_recs(recs)
    return int(ExitCode.OK)

"""``realtor-ops deploy|ci|migrations|cache …``: Vercel deployments, GitHub Actions runs, Prisma
migration status and Cloudflare cache purge, over the same services as the Deployments screen.

Every command that changes something goes through the guard: in production it needs
``--confirm NAME --reason TEXT`` (exit 3 without), a viewer workspace is refused (exit 3), and each
change writes one audit line. Exit codes: 0 done, 1 failed, 2 usage or configuration, 3 refused.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cli.common import open_context
from cli.output import print_json, print_table
from services.core.errors import GuardRefusedError

if TYPE_CHECKING:
    from services.core.app_context import AppContext
    from services.core.guard import Authorization
    from services.deployments.vercel_ops import AliasJob


def _guarded(p: argparse.ArgumentParser) -> None:
    p.add_argument("--confirm", metavar="NAME", help="type the environment's name (required for production)")
    p.add_argument("--reason", metavar="TEXT",
                   help="why (required for production; goes to the audit log, and to Vercel for a rollback)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    deploy = sub.add_parser("deploy", help="Vercel deployments: list, inspect, promote, rollback, redeploy, cancel, "
                                           "grade")
    dsub = deploy.add_subparsers(dest="command", metavar="SUBCOMMAND")
    dsub.required = True

    p = dsub.add_parser("list", help="the environment's deployments, newest first; the current production one "
                                     "is marked")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many (default 20; pages of 100)")
    p.add_argument("--state", metavar="S", help="READY, ERROR, BUILDING, QUEUED, CANCELED or INITIALIZING")
    p.add_argument("--branch", metavar="B", help="only deployments of this git branch")
    p.set_defaults(handler=deploy_list)

    p = dsub.add_parser("inspect", help="one deployment: state, build duration, aliases, checks (and its build log)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--logs", action="store_true", help="print the build events; follow them while it builds")
    p.set_defaults(handler=deploy_inspect)

    p = dsub.add_parser("promote", help="point production's domains at a deployment (graded first)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME")
    _guarded(p)
    p.add_argument("--rebuild-preview", action="store_true",
                   help="a preview deployment is promoted by building it again with production's environment")
    p.add_argument("--accept-worse-grade", action="store_true",
                   help="promote even when the deployment's security grade or health is worse than production's")
    p.set_defaults(handler=deploy_promote)

    p = dsub.add_parser("rollback", help="instant rollback of production (no ID: the previous production "
                                         "deployment)")
    p.add_argument("id", metavar="ID", nargs="?")
    p.add_argument("--env", required=True, metavar="NAME")
    _guarded(p)
    p.set_defaults(handler=deploy_rollback)

    p = dsub.add_parser("redeploy", help="build a deployment's source again, same target")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME")
    _guarded(p)
    p.set_defaults(handler=deploy_redeploy)

    p = dsub.add_parser("cancel", help="cancel a deployment that is building or queued")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME")
    _guarded(p)
    p.set_defaults(handler=deploy_cancel)

    p = dsub.add_parser("grade", help="security-header grade and /api/health of a deployment's URL")
    p.add_argument("id", metavar="ID")
    p.add_argument("--env", required=True, metavar="NAME")
    p.set_defaults(handler=deploy_grade)

    ci = sub.add_parser("ci", help="GitHub Actions runs of the deploy workflow: runs, log, rerun, cancel")
    csub = ci.add_subparsers(dest="command", metavar="SUBCOMMAND")
    csub.required = True
    p = csub.add_parser("runs", help="recent runs of the deploy workflow with their jobs")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--limit", type=int, default=10, metavar="N")
    p.set_defaults(handler=ci_runs)
    p = csub.add_parser("log", help="a job's log (downloaded without sending the token to the download host)")
    p.add_argument("job_id", metavar="JOB_ID", type=int)
    p.add_argument("--env", required=True, metavar="NAME")
    p.set_defaults(handler=ci_log)
    p = csub.add_parser("rerun", help="re-run a finished run (or only its failed jobs)")
    p.add_argument("run_id", metavar="RUN_ID", type=int)
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--failed", action="store_true", help="only the failed jobs (and those depending on them)")
    _guarded(p)
    p.set_defaults(handler=ci_rerun)
    p = csub.add_parser("cancel", help="cancel a run (--force when cancel hangs)")
    p.add_argument("run_id", metavar="RUN_ID", type=int)
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--force", action="store_true", help="force-cancel: bypasses always() conditions")
    _guarded(p)
    p.set_defaults(handler=ci_cancel)

    mig = sub.add_parser("migrations", help="Prisma migration status of an environment's database")
    msub = mig.add_subparsers(dest="command", metavar="SUBCOMMAND")
    msub.required = True
    p = msub.add_parser("status", help="applied, pending, failed, rolled back, edited; exit 0 when up to date")
    p.add_argument("--env", required=True, metavar="NAME")
    p.add_argument("--migrations-dir", metavar="DIR",
                   help="a local prisma/migrations (default: the repository's, through GitHub)")
    p.add_argument("--ref", metavar="REF", help="branch or commit of the repository to read (default branch)")
    p.set_defaults(handler=migrations_status)

    cache = sub.add_parser("cache", help="Cloudflare cache purge")
    ksub = cache.add_subparsers(dest="command", metavar="SUBCOMMAND")
    ksub.required = True
    p = ksub.add_parser("purge", help="purge by URL, tag, prefix or host, or everything (plan limits checked first)")
    p.add_argument("--env", required=True, metavar="NAME")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--url", nargs="+", metavar="U")
    what.add_argument("--tag", nargs="+", metavar="T")
    what.add_argument("--prefix", nargs="+", metavar="P", help="host and path without scheme, e.g. "
                                                              "www.example.com/listings")
    what.add_argument("--host", nargs="+", metavar="H")
    what.add_argument("--everything", action="store_true")
    _guarded(p)
    p.set_defaults(handler=cache_purge)


def _auth(ctx: AppContext, args: argparse.Namespace, action: str) -> Authorization:
    from services.core.guard import authorize

    return authorize(ctx.workspace, ctx.workspace.environment(args.env), action, confirm=args.confirm,
                     reason=args.reason)


async def deploy_list(args: argparse.Namespace) -> int:
    from services.deployments.vercel_ops import ListRequest, age_text, list_deployments

    ctx = open_context(args)
    rows = await list_deployments(ctx, ListRequest(args.env, limit=args.limit, state=args.state, branch=args.branch))
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    table = [["*" if r.current else ("rolled back" if r.rolled_back_from else ""), r.deployment.state,
              r.deployment.commit_sha[:7], r.deployment.branch, r.deployment.commit_author,
              age_text(r.deployment.created_at),
              f"{r.deployment.duration_s:.0f}s" if r.deployment.duration_s is not None else "", r.deployment.url]
             for r in rows]
    print_table(table, ["", "state", "commit", "branch", "author", "age", "build", "url"])
    return 0


async def deploy_inspect(args: argparse.Namespace) -> int:
    from services.deployments.vercel_ops import follow_events, inspect

    ctx = open_context(args)
    seen = await inspect(ctx, args.env, args.id, with_events=args.logs)
    d = seen.deployment
    if args.json:
        print_json(seen.to_json())
        return 0 if d.state == "READY" or seen.building else 1
    build = f"{seen.build_seconds:.0f} s" if seen.build_seconds is not None else "-"
    print(f"{d.id}  {d.state}{'  (current production)' if seen.current else ''}\n  url      https://{d.url}\n"
          f"  target   {d.target or 'preview'}\n  commit   {d.commit_sha[:7]} {d.branch} — {d.commit_message}\n"
          f"  build    {build}")
    if seen.aliases:
        print("  aliases  " + ", ".join(a.alias for a in seen.aliases))
    for c in seen.checks:
        print(f"  check    {c.name}: {c.conclusion or c.status}{' (blocking)' if c.blocking else ''}")
    if args.logs:
        for e in seen.events:
            print(e.text, file=sys.stderr if e.type == "stderr" else sys.stdout)
        if seen.building:
            since = max((e.created_ms for e in seen.events), default=None)

            def show(lines: tuple[Any, ...]) -> None:
                for line in lines:
                    print(line.text, file=sys.stderr if line.type == "stderr" else sys.stdout, flush=True)

            outcome = await follow_events(ctx, args.env, d.id, show, since_ms=since)
            d = outcome.deployment
            print(f"{d.id}  {d.state}")
    return 0 if d.state in ("READY", "BUILDING", "QUEUED", "INITIALIZING") else 1


def _print_job(args: argparse.Namespace, job: AliasJob) -> None:
    if args.json:
        print_json(job.to_json())
        return
    print(f"{job.type} {job.status}: production {job.from_deployment_id} → {job.to_deployment_id}")
    for line in job.caveats.lines if job.caveats else ():
        print(f"  ! {line}")


async def deploy_promote(args: argparse.Namespace) -> int:
    from services.deployments.grade import compare_with_production
    from services.deployments.vercel_ops import PromoteRequest, promote

    ctx = open_context(args)
    auth = _auth(ctx, args, "deploy promote")
    comparison = await compare_with_production(ctx, args.env, args.id)
    c, p = comparison.candidate, comparison.production
    if not args.json:
        print(f"grade: candidate {c.grade or '?'} ({c.health.state}); production {p.grade if p else '?'}"
              f" ({p.health.state if p else '?'})", file=sys.stderr)
    if comparison.worse and not args.accept_worse_grade:
        what = c.error or f"grade {c.grade or '?'}, health {c.health.state}"
        raise GuardRefusedError(f"Deployment {args.id} is worse than production ({what})",
                                hint="Fix it, or pass --accept-worse-grade to promote anyway")
    job = await promote(ctx, PromoteRequest(args.env, args.id, rebuild_preview=args.rebuild_preview), auth)
    _print_job(args, job)
    return 0


async def deploy_rollback(args: argparse.Namespace) -> int:
    from services.deployments.vercel_ops import RollbackRequest, rollback

    ctx = open_context(args)
    auth = _auth(ctx, args, "deploy rollback")
    job = await rollback(ctx, RollbackRequest(args.env, args.id), auth)
    _print_job(args, job)
    if not args.json:
        print("Rolled back — new deployments will not go live until one is promoted "
              f"(undo: realtor-ops deploy promote {job.from_deployment_id} --env {args.env})")
    return 0


async def deploy_redeploy(args: argparse.Namespace) -> int:
    from services.deployments.vercel_ops import RedeployRequest, redeploy

    ctx = open_context(args)
    d = await redeploy(ctx, RedeployRequest(args.env, args.id), _auth(ctx, args, "deploy redeploy"))
    print_json(d.brief_json()) if args.json else print(f"new deployment {d.id} "
                                                                                      f"({d.state.lower()})")
    return 0


async def deploy_cancel(args: argparse.Namespace) -> int:
    from services.deployments.vercel_ops import RedeployRequest, cancel

    ctx = open_context(args)
    d = await cancel(ctx, RedeployRequest(args.env, args.id), _auth(ctx, args, "deploy cancel"))
    print_json(d.brief_json(url=False)) if args.json else print(f"{d.id} {d.state.lower()}")
    return 0


async def deploy_grade(args: argparse.Namespace) -> int:
    from services.deployments.grade import grade_deployment

    ctx = open_context(args)
    g = await grade_deployment(ctx, args.env, args.id)
    if args.json:
        print_json(g.to_json())
    else:
        print(f"{g.deployment_id}  {g.url}\n  headers  {g.grade or '-'} ({g.score if g.score is not None else '-'})"
              f"{'  ' + g.error if g.error else ''}\n  health   {g.health.state}")
        for problem in g.problems:
            print(f"  ! {problem}")
    return 0 if g.ok else 1


async def ci_runs(args: argparse.Namespace) -> int:
    from services.deployments.ci import ORDERING_RISK, runs

    ctx = open_context(args)
    found = await runs(ctx, args.env, limit=args.limit)
    if args.json:
        print_json([r.to_json() for r in found])
        return 0
    rows = [[r.run.run_number, r.run.outcome, r.run.branch, r.run.commit_sha[:7], r.run.title[:50],
             " ".join(f"{j.name}:{(j.conclusion or j.status)}" for j in r.jobs)] for r in found]
    print_table(rows, ["run", "outcome", "branch", "commit", "title", "jobs"])
    if any(r.ordering_risk for r in found):
        print(f"\nnote: {ORDERING_RISK}")
    return 0


async def ci_log(args: argparse.Namespace) -> int:
    from services.deployments.ci import job_log

    ctx = open_context(args)
    log = await job_log(ctx, args.env, args.job_id)
    if args.json:
        print_json(log.to_json())
    else:
        sys.stdout.write(log.text)
    return 0


async def ci_rerun(args: argparse.Namespace) -> int:
    from services.deployments.ci import RunRequest, rerun

    ctx = open_context(args)
    await rerun(ctx, RunRequest(args.env, args.run_id, failed_only=args.failed), _auth(ctx, args, "ci rerun"))
    print_json({"run_id": args.run_id, "rerun": "failed jobs" if args.failed else "all jobs"}) if args.json else \
        print(f"run {args.run_id}: re-run requested")
    return 0


async def ci_cancel(args: argparse.Namespace) -> int:
    from services.deployments.ci import RunRequest, cancel

    ctx = open_context(args)
    action = "ci force-cancel" if args.force else "ci cancel"
    await cancel(ctx, RunRequest(args.env, args.run_id), _auth(ctx, args, action), force=args.force)
    print_json({"run_id": args.run_id, "cancel": "force" if args.force else "normal"}) if args.json else \
        print(f"run {args.run_id}: {'force-' if args.force else ''}cancel requested")
    return 0


async def migrations_status(args: argparse.Namespace) -> int:
    from services.deployments.migrations import MigrationsRequest, migration_status

    ctx = open_context(args)
    s = await migration_status(ctx, MigrationsRequest(args.env, args.migrations_dir, args.ref))
    if args.json:
        print_json(s.to_json())
    else:
        print(f"{len(s.folder)} migrations in {s.source}; {len(s.applied)} applied")
        for label, names in (("pending", s.pending), ("failed", s.failed), ("rolled back", s.rolled_back),
                             ("edited since applied", s.modified), ("not in the folder", s.not_in_folder)):
            for name in names:
                print(f"  {label:<21} {name}")
        print(s.verdict)
    return 0 if s.up_to_date else 1


async def cache_purge(args: argparse.Namespace) -> int:
    from services.deployments.cache_purge import PurgeRequest, purge

    ctx = open_context(args)
    if args.everything:
        kind, values = "everything", ()
    else:
        kind, values = next((k, tuple(getattr(args, k))) for k in ("url", "tag", "prefix", "host")
                            if getattr(args, k))
    action = "cache purge everything" if kind == "everything" else "cache purge"
    result = await purge(ctx, PurgeRequest(args.env, kind, values), _auth(ctx, args, action))
    if args.json:
        print_json(result.to_json())
    else:
        what = "everything" if kind == "everything" else f"{result.count} {kind}(s)"
        print(f"purged {what} from {result.zone} in {result.requests} request(s) ({result.plan})")
    return 0

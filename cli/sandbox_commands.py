"""``realtor-ops sandbox up``: the console's sandbox, headless, in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from cli.output import print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sandbox = sub.add_parser("sandbox", help="the local sandbox (embedded PostgreSQL, S3, Redis, stand-ins)")
    sandbox_sub = sandbox.add_subparsers(dest="command", metavar="SUBCOMMAND")
    sandbox_sub.required = True
    up = sandbox_sub.add_parser("up", help="start the sandbox, print its endpoints, run until Ctrl-C")
    up.add_argument("--dir", type=Path, help="where the sandbox keeps its data (default: the OS data folder)")
    up.add_argument("--no-redis", action="store_true", help="leave Redis out")
    up.add_argument("--exit-after", type=float, metavar="SECONDS",
                    help="stop the sandbox after SECONDS (smoke tests, demos); default: run until Ctrl-C")
    up.set_defaults(handler=sandbox_up)


async def sandbox_up(args: argparse.Namespace) -> int:
    from sandbox.runtime import SandboxRuntime
    from services.core.workspace import data_dir

    runtime = SandboxRuntime(args.dir or data_dir() / "sandbox", include_redis=not args.no_redis)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt does the job
            pass
    try:
        await asyncio.to_thread(runtime.start)
        if args.json:
            print_json(runtime.to_json())
        else:
            print_table([[p.name, "running" if p.available else "UNAVAILABLE",
                          p.endpoint if p.available else (p.error.sentence() if p.error else "")]
                         for p in runtime.parts], ["PART", "STATE", "ENDPOINT / REASON"])
            print(f"\nworkspace: {runtime.workspace_path}")
            print(f"try:       realtor-ops --workspace {runtime.workspace_path} env list")
            print("Ctrl-C stops the sandbox.")
        sys.stdout.flush()
        try:
            await asyncio.wait_for(stop.wait(), timeout=args.exit_after)
        except TimeoutError:
            pass
    finally:
        await asyncio.to_thread(runtime.stop)
        print("sandbox stopped", file=sys.stderr)
    return 0 if all(p.available for p in runtime.parts if p.name != "Redis") else 1

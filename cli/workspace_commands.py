"""``realtor-ops workspace init|show``: create a workspace without the console, and say what it allows."""

from __future__ import annotations

import argparse
import asyncio

from cli.output import print_json
from services.core import workspace as ws_mod


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    workspace = sub.add_parser("workspace", help="the workspace file: create one, show what it allows")
    ws_sub = workspace.add_subparsers(dest="command", metavar="SUBCOMMAND")
    ws_sub.required = True
    p = ws_sub.add_parser(
        "init", help="create an empty workspace (never overwrites an existing one)",
        description="Creates the workspace file at --workspace, $REALTOR_OPS_WORKSPACE or the OS config folder. "
        "It holds no secrets; add environments with 'env import-dotenv'.")
    p.add_argument("--name", default="Realtor platform", help="the workspace's name (default: %(default)s)")
    p.add_argument("--profile", choices=[pr.value for pr in ws_mod.Profile], default=ws_mod.Profile.ADMIN.value,
                   help="admin may change things (production still asks for its name and a reason); viewer only "
                   "looks (default: %(default)s)")
    p.set_defaults(handler=workspace_init)
    p = ws_sub.add_parser("show", help="where the workspace is, its profile and how to change it, its environments")
    p.set_defaults(handler=workspace_show)


async def workspace_init(args: argparse.Namespace) -> int:
    path = ws_mod.resolve_workspace_path(args.workspace)
    created = await asyncio.to_thread(ws_mod.create, path, name=args.name, profile=ws_mod.Profile(args.profile))
    if args.json:
        print_json(ws_mod.WorkspaceInfo(str(path), created, created=True).to_json())
        return 0
    print(f"Created workspace '{created.name}' at {path}.")
    print(f"It has the {ws_mod.profile_note(created.profile)}.")
    if created.profile is ws_mod.Profile.ADMIN:
        print("Next: realtor-ops env import-dotenv FILE --env NAME  (secrets go to the OS keyring)")
    return 0


async def workspace_show(args: argparse.Namespace) -> int:
    path = ws_mod.resolve_workspace_path(args.workspace)
    space = await asyncio.to_thread(ws_mod.load, path)
    if args.json:
        print_json(ws_mod.WorkspaceInfo(str(path), space).to_json())
        return 0
    print(f"workspace:    {space.name}{' (sandbox)' if space.sandbox else ''}")
    print(f"file:         {path}")
    print(f"profile:      {space.profile.value}: {ws_mod.profile_note(space.profile).split(': ', 1)[1]}")
    listed = ", ".join(f"{e.name} ({e.kind.value})" for e in space.environments.values()) or "none yet"
    print(f"environments: {listed}")
    return 0

"""What a rollback or a promote does not do, in plain words, shown before it is confirmed
(vercel.com/docs/instant-rollback): auto-assignment of production domains turns off after a rollback;
environment variables and cron jobs are not rolled back; the database is not either (the Prisma
migrations applied since the target deployment are named); custom aliases may not follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.core.errors import OpsError
from services.core.workspace import Environment
from services.providers.vercel_client import VercelDeployment

if TYPE_CHECKING:
    from services.core.app_context import AppContext


@dataclass(frozen=True)
class Caveats:
    lines: tuple[str, ...]
    migrations_since: tuple[str, ...]  # applied after the target deployment was created
    migrations_note: str  # empty, or why the database could not be asked


async def _migrations_since(ctx: AppContext, env: Environment, target: VercelDeployment) -> tuple[tuple[str, ...], str]:
    if not env.database.configured:
        return (), "The database is not configured here, so applied migrations could not be listed."
    from services.deployments.migrations import applied_since

    try:
        return await applied_since(ctx, env, target.created_at), ""
    except OpsError as exc:
        return (), f"Applied migrations could not be listed: {exc.message}."


def _database_line(names: tuple[str, ...], note: str) -> str:
    if note:
        return "The database is not rolled back. " + note
    if not names:
        return ("The database is not rolled back; no Prisma migration was applied after this deployment was "
                "built, so its code and the schema should match.")
    listed = ", ".join(names)
    return (f"The database is not rolled back: {len(names)} Prisma migration(s) applied since this deployment "
            f"was built stay applied ({listed}); the older code will run on the newer schema.")


async def rollback_caveats(ctx: AppContext, env: Environment, target: VercelDeployment) -> Caveats:
    names, note = await _migrations_since(ctx, env, target)
    lines = (
        "After a rollback Vercel turns off auto-assignment of production domains: new pushes to the production "
        "branch will build but will not go live until someone promotes a deployment (Undo promotes the one "
        "rolled back from).",
        "Environment variables and cron jobs are not rolled back: the older build runs with today's "
        "configuration, and the cron jobs of the rolled-back code stop.",
        _database_line(names, note),
        "Custom aliases that are not production domains of the project move only if they pointed at the "
        "previous production deployment.",
    )
    return Caveats(lines, names, note)


async def promote_caveats(ctx: AppContext, env: Environment, candidate: VercelDeployment) -> Caveats:
    lines: list[str] = []
    if candidate.target != "production":
        lines.append(f"This is a {candidate.target or 'preview'} deployment: promoting it builds a new deployment "
                     "from the same commit with production's environment variables, and that build goes live.")
    lines.append("Promoting turns auto-assignment of production domains back on: later pushes to the production "
                 "branch go live again.")
    names, note = await _migrations_since(ctx, env, candidate)
    if names or note:
        lines.append(_database_line(names, note))
    lines.append("Environment variables and cron jobs come from the project as it is now, not from when the "
                 "deployment was built.")
    return Caveats(tuple(lines), names, note)

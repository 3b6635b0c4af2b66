"""What the broker's first screen says about deployments: the current production one and any
deployment that failed in the last day (Vercel's list, newest first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.providers.factory import client_for
from services.providers.vercel_client import VercelClient, VercelDeployment


@dataclass(frozen=True)
class DeploymentSummary:
    configured: bool
    current: VercelDeployment | None
    failed_last_day: tuple[VercelDeployment, ...]
    sentence: str


async def deployment_summary(ctx: Any, env_name: str, *, now: datetime | None = None) -> DeploymentSummary:
    env = ctx.workspace.environment(env_name)
    project = env.providers.vercel_project_id
    client = await client_for(ctx, env, "vercel") if project else None
    if client is None:
        return DeploymentSummary(False, None, (), "Vercel is not configured for this environment")
    assert isinstance(client, VercelClient)
    now = now or datetime.now(UTC)
    async with client:
        page = await client.list_deployments(project, limit=50, mark_current=True)
    day_ago = now - timedelta(days=1)
    failed = tuple(d for d in page.deployments if d.state == "ERROR" and d.created_at >= day_ago)
    current = next((d for d in page.deployments if d.is_current_production), None)
    if failed:
        sentence = f"{len(failed)} deployment{'s' if len(failed) > 1 else ''} failed in the last 24 h"
    else:
        sentence = "No failed deployment in the last 24 h"
    return DeploymentSummary(True, current, failed, sentence)

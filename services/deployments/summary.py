"""What the broker's first screen says about deployments: the current production one, any deployment
that failed in the last day, and whether production is rolled back. The same service as the
Deployments screen (``services.deployments.vercel_ops``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from services.deployments.vercel_ops import ListRequest, deployment, list_page
from services.providers.factory import TOKEN_SECRETS
from services.providers.vercel_client import VercelDeployment

if TYPE_CHECKING:
    from services.core.app_context import AppContext


@dataclass(frozen=True)
class DeploymentSummary:
    configured: bool
    current: VercelDeployment | None
    failed_last_day: tuple[VercelDeployment, ...]
    sentence: str
    rolled_back: bool = False


async def deployment_summary(ctx: AppContext, env_name: str, *, now: datetime | None = None) -> DeploymentSummary:
    env = ctx.workspace.environment(env_name)
    token = await ctx.credentials.aget(env.name, TOKEN_SECRETS["vercel"]) if env.providers.vercel_project_id else None
    if not token:
        return DeploymentSummary(False, None, (), "Vercel is not configured for this environment")
    now = now or datetime.now(UTC)
    # The environment's own target (as the timeline reads it): a preview that failed is not production's.
    page = await list_page(ctx, ListRequest(env_name, limit=50))
    day_ago = now - timedelta(days=1)
    failed = tuple(r.deployment for r in page.rows if r.deployment.state == "ERROR" and r.deployment.created_at >= day_ago)
    production = env.kind.value == "production"
    if production:
        current = next((r.deployment for r in page.rows if r.current), None)
        if current is None and page.production and page.production.current_deployment_id:
            current = await deployment(ctx, env_name, page.production.current_deployment_id)
    else:  # a custom environment's domain follows its newest ready deployment
        current = next((r.deployment for r in page.rows if r.deployment.state == "READY"), None)
    rolled_back = production and bool(page.production and page.production.rolled_back)
    if failed:
        sentence = f"{len(failed)} deployment{'s' if len(failed) > 1 else ''} failed in the last 24 h"
    else:
        sentence = "No failed deployment in the last 24 h"
    if rolled_back:
        sentence += "; production is rolled back, so new deployments do not go live until one is promoted"
    return DeploymentSummary(True, current, failed, sentence, rolled_back)

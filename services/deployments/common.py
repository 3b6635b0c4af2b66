"""What the deployment operations share: the environment's provider clients, its Vercel target, the
check that an ``Authorization`` covers the change, and the audit line written for every change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from services.core.errors import ConfigError, GuardRefusedError, OpsError, ViewerRefusedError
from services.core.guard import Authorization
from services.core.workspace import Environment, EnvironmentKind, Profile
from services.providers.cloudflare_client import CloudflareClient
from services.providers.factory import client_for
from services.providers.github_client import GitHubClient
from services.providers.vercel_client import VercelClient

if TYPE_CHECKING:
    from services.core.app_context import AppContext

T = TypeVar("T")


def vercel_target(env: Environment) -> str:
    """The Vercel environment an environment deploys to: production, a custom ``staging``, or preview."""
    override = (env.extra or {}).get("VERCEL_TARGET", "").strip()
    if override:
        return override
    return {
        EnvironmentKind.PRODUCTION: "production",
        EnvironmentKind.STAGING: "staging",
    }.get(env.kind, "preview")


def project_id(env: Environment) -> str:
    project = env.providers.vercel_project_id
    if not project:
        raise ConfigError(f"Vercel is not configured for {env.name}",
                          hint="Set the Vercel project id in the environment's provider settings")
    return project


C = TypeVar("C")


async def _client(ctx: AppContext, env: Environment, provider: str, cls: type[C], label: str, secret: str) -> C:
    """The provider's client for ``env``, or a sentence naming the secret to add."""
    client = await client_for(ctx, env, provider)
    if client is None:
        raise ConfigError(f"No {label} token is stored for {env.name}",
                          hint=f"Add {secret} to the environment's secrets")
    assert isinstance(client, cls)
    return client


async def vercel(ctx: AppContext, env: Environment) -> VercelClient:
    project_id(env)
    return await _client(ctx, env, "vercel", VercelClient, "Vercel", "VERCEL_TOKEN")


async def github(ctx: AppContext, env: Environment) -> GitHubClient:
    if not env.providers.github_repository:
        raise ConfigError(f"GitHub is not configured for {env.name}",
                          hint="Set the repository (owner/name) in the environment's provider settings")
    return await _client(ctx, env, "github", GitHubClient, "GitHub", "GITHUB_TOKEN")


async def cloudflare(ctx: AppContext, env: Environment) -> CloudflareClient:
    if not env.providers.cloudflare_zone_id:
        raise ConfigError(f"No Cloudflare zone is configured for {env.name}",
                          hint="Set the zone id in the environment's provider settings")
    return await _client(ctx, env, "cloudflare", CloudflareClient, "Cloudflare", "CLOUDFLARE_API_TOKEN")


def check_authorization(ctx: AppContext, auth: Authorization, env: Environment, action: str) -> None:
    """The service's own check, whoever called it: a viewer changes nothing; the unlock must be for
    this environment and this action."""
    if ctx.workspace.profile != Profile.ADMIN:
        raise ViewerRefusedError(f"This workspace's profile is 'viewer', so '{action}' is not allowed",
                                 hint="Ask an admin, or switch the workspace profile to admin")
    if auth.environment != env.name:
        raise GuardRefusedError(f"The unlock was for {auth.environment}, not {env.name}")
    if auth.action != action:
        raise GuardRefusedError(f"The unlock was for '{auth.action}', not '{action}'")
    if env.is_production and not auth.unlocked_production:
        raise GuardRefusedError(f"'{action}' on production needs the environment's name typed and a reason")


async def audited(ctx: AppContext, auth: Authorization, *, target: str, details: dict[str, Any],
                  change: Callable[[], Awaitable[T]], outcome: Callable[[T], str] = lambda _r: "done") -> T:
    """Run ``change`` and write exactly one audit line with its outcome (also when it fails)."""
    line = {"environment": auth.environment, "action": auth.action, "target": target, "reason": auth.reason}
    try:
        result = await change()
    except BaseException as exc:
        why = exc.message if isinstance(exc, OpsError) else type(exc).__name__
        await ctx.audit.arecord(**line, outcome=f"failed: {why}", details=details)
        raise
    await ctx.audit.arecord(**line, outcome=outcome(result), details=details)
    return result

"""One way to build a provider client for an environment: its token from the credential store, its
base URL from the workspace's ``api_base`` (the sandbox's stand-ins, or a proxy), its team/e-mail."""

from __future__ import annotations

from typing import Any

from services.core.workspace import Environment, ProviderSettings
from services.providers import CLIENTS
from services.providers.http_client import ProviderClient

TOKEN_SECRETS: dict[str, str] = {
    "vercel": "VERCEL_TOKEN",
    "github": "GITHUB_TOKEN",
    "supabase": "SUPABASE_ACCESS_TOKEN",
    "cloudflare": "CLOUDFLARE_API_TOKEN",
    "sentry": "SENTRY_AUTH_TOKEN",
    "betterstack": "BETTERSTACK_API_TOKEN",
    "upstash": "UPSTASH_API_KEY",
}


def build_client(providers: ProviderSettings, provider: str, token: str, **overrides: Any) -> ProviderClient:
    """``overrides``: timeouts, retry policy, TLS verification for a particular use."""
    kwargs: dict[str, Any] = {"base_url": providers.api_base.get(provider) or None}
    if provider == "vercel":
        kwargs["team_id"] = providers.vercel_team_id or None
    if provider == "upstash":
        kwargs["email"] = providers.upstash_email
    if provider == "sentry":
        kwargs["region"] = providers.sentry_region
    kwargs.update(overrides)
    return CLIENTS[provider](token, **kwargs)


async def client_for(ctx: Any, env: Environment, provider: str, **overrides: Any) -> ProviderClient | None:
    """The environment's client for ``provider``, or None when no token is configured for it."""
    token = await ctx.credentials.aget(env.name, TOKEN_SECRETS[provider])
    if not token:
        return None
    return build_client(env.providers, provider, token, **overrides)

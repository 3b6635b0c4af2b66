"""One way to build a provider client for an environment: its token from the credential store, its
base URL from the workspace's ``api_base`` (the sandbox's stand-ins, or a proxy), its team/e-mail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.core.workspace import Environment, ProviderSettings
from services.providers import CLIENTS
from services.providers.http_client import ProviderClient

if TYPE_CHECKING:
    from services.core.app_context import AppContext
    from services.core.credentials import CredentialStore

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


async def client_for(ctx: AppContext, env: Environment, provider: str, **overrides: Any) -> ProviderClient | None:
    """The environment's client for ``provider``, or None when no token is configured for it."""
    return await client_from(ctx.credentials, env, provider, **overrides)


async def client_from(credentials: CredentialStore, env: Environment, provider: str,
                      **overrides: Any) -> ProviderClient | None:
    """``client_for`` for a caller that holds the credential store rather than the context (a cost source)."""
    token = await credentials.aget(env.name, TOKEN_SECRETS[provider])
    if not token:
        return None
    return build_client(env.providers, provider, token, **overrides)

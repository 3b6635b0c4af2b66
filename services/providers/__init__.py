"""Async clients of the hosting providers' APIs. Every failure is a typed ``ConnectionFailure``;
every answer is a frozen dataclass. Never imports Qt."""

from services.providers.betterstack_client import BetterStackClient
from services.providers.cloudflare_client import CloudflareClient
from services.providers.github_client import GitHubClient
from services.providers.http_client import ActionAccepted, ProviderClient, TokenCheck
from services.providers.http_policy import RetryPolicy, Timeouts
from services.providers.sentry_client import SentryClient
from services.providers.supabase_client import SupabaseClient
from services.providers.upstash_client import UpstashClient
from services.providers.vercel_client import VercelClient

# Keyed like ProviderSettings.api_base.
CLIENTS: dict[str, type[ProviderClient]] = {
    "vercel": VercelClient,
    "github": GitHubClient,
    "supabase": SupabaseClient,
    "cloudflare": CloudflareClient,
    "sentry": SentryClient,
    "betterstack": BetterStackClient,
    "upstash": UpstashClient,
}

__all__ = [
    "CLIENTS",
    "ActionAccepted",
    "BetterStackClient",
    "CloudflareClient",
    "GitHubClient",
    "ProviderClient",
    "RetryPolicy",
    "SentryClient",
    "SupabaseClient",
    "Timeouts",
    "TokenCheck",
    "UpstashClient",
    "VercelClient",
]

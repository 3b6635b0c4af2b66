"""All provider stand-ins together: how to create each, the sandbox's credentials (under the same
variable names as ``.env`` files and ``--secrets-from-env``), the provider identities to put in a
sandbox workspace, and :class:`StandinGroup` to run them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sandbox.provider_standins import (
    betterstack,
    cloudflare,
    github,
    sentry,
    supabase,
    upstash,
    vercel,
)
from sandbox.provider_standins import history as h
from sandbox.provider_standins.live_config import with_live_config
from sandbox.provider_standins.server import StandinServer
from sandbox.provider_standins.usage import with_usage
from services.core.workspace import ProviderSettings

Factory = Callable[..., StandinServer]

STANDINS: dict[str, Factory] = {
    # usage endpoints: a month for the Costs screen; live configuration for `config diff`
    "vercel": with_live_config(with_usage(vercel.create)),
    "github": with_live_config(with_usage(github.create)),
    "supabase": with_live_config(with_usage(supabase.create)),
    "cloudflare": with_live_config(with_usage(cloudflare.create)),
    "sentry": sentry.create,
    "betterstack": betterstack.create,
    "upstash": with_usage(upstash.create),
}

# The secrets the stand-ins accept, by the names the workspace's secrets use.
SANDBOX_SECRETS: dict[str, str] = {
    "VERCEL_TOKEN": vercel.TOKEN,
    "GITHUB_TOKEN": github.TOKEN,
    "SUPABASE_ACCESS_TOKEN": supabase.TOKEN,
    "CLOUDFLARE_API_TOKEN": cloudflare.TOKEN,
    "SENTRY_AUTH_TOKEN": sentry.TOKEN,
    "BETTERSTACK_API_TOKEN": betterstack.TOKEN,
    "UPSTASH_API_KEY": upstash.API_KEY,
}


def sandbox_identities(environment: str) -> dict[str, Any]:
    """Values for the workspace's ``ProviderSettings`` fields that match the stand-ins' data."""
    production = environment == "production"
    monitors = {"production": "2202101", "staging": "2202102", "development": "2202103"}
    return {
        "vercel_team_id": h.TEAM_ID,
        "vercel_project_id": h.PROJECT_ID,
        "supabase_project_ref": supabase.PRODUCTION_REF if production else supabase.STAGING_REF,
        "cloudflare_account_id": cloudflare.ACCOUNT_ID,
        "cloudflare_zone_id": cloudflare.ZONE_ID if production else cloudflare.STAGING_ZONE_ID,
        "sentry_org": sentry.ORG,
        "sentry_project": sentry.PROJECT["id"],
        "betterstack_monitor_ids": [monitors[environment]] if environment in monitors else [],
        "github_repository": h.REPOSITORY,
        "github_workflow": "deploy.yml",
        "upstash_database_id": upstash.PRODUCTION_ID if production else upstash.STAGING_ID,
        "upstash_email": upstash.EMAIL,
    }


class StandinGroup:
    """Runs several stand-ins; ``api_base`` maps provider → base URL (the workspace's ``api_base``)."""

    def __init__(self, providers: Iterable[str] | None = None, *, now: datetime | None = None) -> None:
        names = list(providers) if providers is not None else list(STANDINS)
        unknown = [n for n in names if n not in STANDINS]
        if unknown:
            raise ValueError(f"No stand-in for: {', '.join(unknown)}")
        self.servers: dict[str, StandinServer] = {n: STANDINS[n](now=now) for n in names}

    def start(self) -> StandinGroup:
        started: list[StandinServer] = []
        try:
            for server in self.servers.values():
                started.append(server.start())
        except BaseException:
            for server in started:
                server.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> StandinGroup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_base(self) -> dict[str, str]:
        return {name: server.base_url for name, server in self.servers.items()}

    def base_urls(self) -> dict[str, str]:
        return self.api_base

    def tokens(self) -> dict[str, str]:
        """The secrets (by their workspace names) that the stand-ins accept."""
        return dict(SANDBOX_SECRETS)

    def provider_settings(self, environment: str) -> ProviderSettings:
        """The environment's provider identities, pointing at these stand-ins (``api_base``)."""
        return ProviderSettings(**sandbox_identities(environment), api_base=self.api_base)


def start_all(*, now: datetime | None = None) -> StandinGroup:
    """Start every provider stand-in; stop them with ``.stop()``."""
    return StandinGroup(now=now).start()

"""Local stand-ins of the provider APIs (Vercel, GitHub, Supabase, Cloudflare, Sentry, Better Stack,
Upstash) that answer as the providers' OpenAPI files say, with a realtor platform's data.

Quick use::

    from sandbox.provider_standins import StandinGroup, SANDBOX_SECRETS

    with StandinGroup() as group:
        group.api_base  # {"vercel": "http://127.0.0.1:PORT", ...}: the workspace's api_base
        group.provider_settings("production")  # a ProviderSettings matching the stand-ins' data
        group.tokens()  # {"VERCEL_TOKEN": ..., ...}: secrets they accept

    group = start_all()  # the same, started; group.stop() later

One provider, with a fault::

    from sandbox.provider_standins import vercel

    server = vercel.create().start()
    server.inject(status=429, retry_after="1", times=1)  # the next request is rate limited
    ...
    server.stop()
"""

from sandbox.provider_standins.catalog import (
    SANDBOX_SECRETS,
    STANDINS,
    StandinGroup,
    sandbox_identities,
    start_all,
)
from sandbox.provider_standins.protocol import (
    Exchange,
    Fault,
    Route,
    StandinError,
    StandinRequest,
    StandinResponse,
    TokenPolicy,
)
from sandbox.provider_standins.server import StandinServer

__all__ = [
    "SANDBOX_SECRETS",
    "STANDINS",
    "Exchange",
    "Fault",
    "Route",
    "StandinError",
    "StandinGroup",
    "StandinRequest",
    "StandinResponse",
    "StandinServer",
    "TokenPolicy",
    "sandbox_identities",
    "start_all",
]

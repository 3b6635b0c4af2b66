"""Fixtures for the provider clients: each stand-in runs with an OpenAPI validator on, and every test
ends by asserting that no request or answer broke the provider's spec (unless the test says it
provokes a violation on purpose with ``standins.expect_violations()``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

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
from sandbox.provider_standins.server import StandinServer
from services.providers import (
    BetterStackClient,
    CloudflareClient,
    GitHubClient,
    ProviderClient,
    RetryPolicy,
    SentryClient,
    SupabaseClient,
    Timeouts,
    UpstashClient,
    VercelClient,
)
from tests.providers.spec_validation import SpecValidator

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, jitter=0.1, max_retry_after=1.0)
FAST_TIMEOUTS = Timeouts(connect=1.0, read=1.0, write=1.0, pool=1.0)
REPO = h.REPOSITORY

Call = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    """How to drive one provider in the shared failure-mode tests."""

    name: str
    create: Callable[..., StandinServer]
    make: Callable[..., ProviderClient]  # (secret, **client kwargs) -> client
    token: str
    revoked: str
    limited: str
    probe: Call  # a read that succeeds with the valid token
    missing: Call  # a read of something that does not exist (404)
    auth_scheme: str = "bearer"
    required_headers: dict[str, str] = field(default_factory=dict)


def _upstash(secret: str, **kw: Any) -> UpstashClient:
    return UpstashClient(secret, email=upstash.EMAIL, **kw)


CASES: dict[str, Case] = {
    "vercel": Case(
        "vercel",
        vercel.create,
        lambda t, **kw: VercelClient(t, team_id=h.TEAM_ID, **kw),
        vercel.TOKEN,
        vercel.REVOKED_TOKEN,
        vercel.LIMITED_TOKEN,
        probe=lambda c: c.check_token(h.PROJECT_NAME),
        missing=lambda c: c.get_deployment("dpl_doesNotExist0000000000000"),
    ),
    "github": Case(
        "github",
        github.create,
        lambda t, **kw: GitHubClient(t, **kw),
        github.TOKEN,
        github.REVOKED_TOKEN,
        github.LIMITED_TOKEN,
        probe=lambda c: c.check_token(REPO),
        missing=lambda c: c.get_run(REPO, 1),
        required_headers={"X-GitHub-Api-Version": "2022-11-28"},
    ),
    "supabase": Case(
        "supabase",
        supabase.create,
        lambda t, **kw: SupabaseClient(t, **kw),
        supabase.TOKEN,
        supabase.REVOKED_TOKEN,
        supabase.LIMITED_TOKEN,
        probe=lambda c: c.check_token(supabase.PRODUCTION_REF),
        missing=lambda c: c.project("zzzzzzzzzzzzzzzzzzzz"),
    ),
    "cloudflare": Case(
        "cloudflare",
        cloudflare.create,
        lambda t, **kw: CloudflareClient(t, **kw),
        cloudflare.TOKEN,
        cloudflare.REVOKED_TOKEN,
        cloudflare.LIMITED_TOKEN,
        probe=lambda c: c.check_token(zone_id=cloudflare.ZONE_ID),
        missing=lambda c: c.purge_cache("f" * 32, everything=True),
    ),
    "sentry": Case(
        "sentry",
        sentry.create,
        lambda t, **kw: SentryClient(t, **kw),
        sentry.TOKEN,
        sentry.REVOKED_TOKEN,
        sentry.LIMITED_TOKEN,
        probe=lambda c: c.check_token(sentry.ORG, sentry.PROJECT["id"]),
        missing=lambda c: c.unresolved_issues("no-such-org", sentry.PROJECT["id"]),
    ),
    "betterstack": Case(
        "betterstack",
        betterstack.create,
        lambda t, **kw: BetterStackClient(t, **kw),
        betterstack.TOKEN,
        betterstack.REVOKED_TOKEN,
        betterstack.LIMITED_TOKEN,
        probe=lambda c: c.check_token(),
        missing=lambda c: c.monitor_sla("999999"),
    ),
    "upstash": Case(
        "upstash",
        upstash.create,
        _upstash,
        upstash.API_KEY,
        upstash.REVOKED_CREDENTIAL.split(":", 1)[1],
        upstash.LIMITED_CREDENTIAL.split(":", 1)[1],
        probe=lambda c: c.check_token(),
        missing=lambda c: c.database("00000000-0000-0000-0000-000000000000"),
        auth_scheme="basic",
    ),
}


class Standins:
    """Starts stand-ins with validators; checks them all when the test ends."""

    def __init__(self) -> None:
        self.running: list[tuple[StandinServer, SpecValidator]] = []
        self._expect_violations = False

    def start(self, name: str, **kwargs: Any) -> tuple[StandinServer, SpecValidator]:
        case = CASES[name]
        server = case.create(**kwargs).start()
        validator = SpecValidator(
            name, auth_scheme=case.auth_scheme, required_headers=dict(case.required_headers)
        )
        server.request_validator = validator
        self.running.append((server, validator))
        return server, validator

    def client(
        self, name: str, server: StandinServer | None = None, *, secret: str | None = None, **kwargs: Any
    ) -> ProviderClient:
        case = CASES[name]
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeouts", FAST_TIMEOUTS)
        if server is not None:
            kwargs.setdefault("base_url", server.base_url)
        return case.make(secret if secret is not None else case.token, **kwargs)

    def expect_violations(self) -> None:
        self._expect_violations = True

    def finish(self) -> None:
        for server, _ in self.running:
            server.stop()
        for server, validator in self.running:
            assert not server.handler_errors, server.handler_errors
            assert not server.validator_errors, server.validator_errors
            if not self._expect_violations:
                assert not validator.violations, "spec violations:\n" + "\n".join(validator.violations)


@pytest.fixture
def standins() -> Iterator[Standins]:
    group = Standins()
    try:
        yield group
    finally:
        group.finish()


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]

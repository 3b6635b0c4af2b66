"""Costs fixtures: stand-ins with their usage endpoints and OpenAPI validation, a context over them
(workspace, credentials, data folder) and helpers to make rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.provider_standins import cloudflare, github, supabase, upstash, vercel
from sandbox.provider_standins.catalog import SANDBOX_SECRETS, sandbox_identities
from sandbox.provider_standins.server import StandinServer
from sandbox.provider_standins.usage import add_usage
from services.core.credentials import CredentialStore
from services.core.workspace import Environment, EnvironmentKind, Profile, ProviderSettings, Workspace
from services.costs.model import Category, CostRow, RowSource
from tests.providers.conftest import FAST_RETRY, FAST_TIMEOUTS
from tests.providers.spec_validation import SpecValidator
from tests.spec_location import locate

FACTORIES = {"vercel": vercel.create, "supabase": supabase.create, "cloudflare": cloudflare.create,
             "upstash": upstash.create, "github": github.create}
AUTH = {"upstash": "basic"}
HEADERS = {"github": {"X-GitHub-Api-Version": "2022-11-28"}}
# A fixed "now": a Wednesday late in a 30-day month, so the month has weekends, a spike and days left.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def row(day: date, cost: str, *, provider: str = "p", service: str = "s", category: Category = Category.HOSTING,
        source: RowSource = RowSource.PRICED, env: str = "production", quantity: str = "1") -> CostRow:
    return CostRow(day, env, provider, service, category, Decimal(quantity), "unit", Decimal(cost), "USD", source)


@dataclass
class Paths:
    data: Path

    @property
    def cache(self) -> Path:
        return self.data / "cache"


class FakeContext:
    """What collect() reads from an AppContext: the workspace, credentials and the data folder."""

    def __init__(self, workspace: Workspace, credentials: Any, data: Path) -> None:
        self.workspace = workspace
        self.credentials = credentials
        self.paths = Paths(data)

    def environment(self, name: str) -> Environment:
        return self.workspace.environment(name)


class UsageStandins:
    def __init__(self) -> None:
        self.servers: dict[str, StandinServer] = {}
        self.validators: dict[str, SpecValidator] = {}

    def start(self, now: datetime = NOW) -> UsageStandins:
        for name, factory in FACTORIES.items():
            server = add_usage(factory(now=now)).start()
            # Validates against the provider's spec when it is found; records only, when it is not.
            validator = SpecValidator(name, auth_scheme=AUTH.get(name, "bearer"),
                                      required_headers=dict(HEADERS.get(name, {})))
            server.request_validator = validator
            self.validators[name] = validator
            self.servers[name] = server
        return self

    def api_base(self) -> dict[str, str]:
        return {n: s.base_url for n, s in self.servers.items()}

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def check(self) -> None:
        for server in self.servers.values():
            assert not server.handler_errors, server.handler_errors
            assert not server.validator_errors, server.validator_errors
        for name, v in self.validators.items():
            # A JSON-lines body cannot be validated as one JSON document; tests validate its lines
            # against the line schema instead (validate_jsonl).
            real = [x for x in v.violations if not (JSONL_PATH in x and "InvalidData: at <root>" in x)]
            assert not real, f"{name} spec violations:\n" + "\n".join(real)


@pytest.fixture
def usage_standins() -> Iterator[UsageStandins]:
    group = UsageStandins().start()
    try:
        yield group
    finally:
        group.stop()
    group.check()


def sandbox_like_workspace(api_base: dict[str, str], names: tuple[str, ...] = ("production", "staging")) -> Workspace:
    ws = Workspace(name="Costs test", id="costs-test", sandbox=False, profile=Profile.ADMIN)
    for name in names:
        env = Environment(name=name, kind=EnvironmentKind.PRODUCTION if name == "production" else
                          EnvironmentKind.STAGING)
        env.providers = ProviderSettings(**sandbox_identities(name), api_base=dict(api_base))
        prefix = "" if name == "production" else "staging-"
        env.storage.credentials = "r2"
        env.storage.endpoint_url = "https://acct.r2.cloudflarestorage.com"
        env.storage.files_bucket = f"realtor-{prefix}files"
        env.storage.images_bucket = f"realtor-{prefix}images"
        env.storage.documents_bucket = f"realtor-{prefix}documents"
        ws.environments[name] = env
    return ws


def credentials_for(ws: Workspace, overrides: dict[str, str] | None = None) -> CredentialStore:
    values = {**SANDBOX_SECRETS, **(overrides or {})}
    return CredentialStore(ws.id, defaults={(e, k): v for e in ws.environments for k, v in values.items()})


JSONL_PATH = "/v1/billing/charges -> 200"


def validate_jsonl(text: str, spec: str = "vercel", schema: str = "FocusCharge") -> int:
    """Validate every line of a JSON-lines body against a component schema of the spec; returns the count."""
    import json

    import jsonschema

    loc = locate()
    # Without the spec, every line must still be one JSON document (the count is checked by the caller).
    line_schema = (json.loads(loc.files[spec].read_text())["components"]["schemas"][schema] if loc.has(spec)
                   else {"type": "object"})
    n = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                jsonschema.validate(json.loads(line), line_schema)
            except jsonschema.ValidationError as exc:
                raise AssertionError(f"line {number}: {exc.message}") from None
            n += 1
    return n


CLIENT_OVERRIDES = {"retry": FAST_RETRY, "timeouts": FAST_TIMEOUTS}

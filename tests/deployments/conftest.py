"""A workspace whose production and staging point at the Vercel, GitHub and Cloudflare stand-ins (each
validated against the provider's spec by ``tests.providers.conftest.Standins``) and, where a test asks,
at a real PostgreSQL database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from openapi_schema_validator import OAS30Validator

from sandbox.provider_standins import cloudflare, github, vercel
from sandbox.provider_standins.catalog import sandbox_identities
from sandbox.provider_standins.protocol import Exchange
from sandbox.provider_standins.server import StandinServer
from services.core import workspace as ws
from services.core.app_context import AppContext, AppPaths
from services.core.audit_log import AuditLog
from services.core.credentials import CredentialStore
from services.core.guard import Authorization, authorize
from services.core.log_setup import MASKER
from tests.providers.conftest import Standins
from tests.providers.spec_validation import SpecValidator, load_spec

# Vercel's spec answers GET /v1/projects/{id}/promote/aliases with oneOf[{type: object}, {aliases, pagination}]:
# every object is valid under both, so a strict oneOf check rejects any answer. The body is checked against
# the second branch on its own instead (test_alias_status_body_fits_the_specific_branch).
AMBIGUOUS = ("/promote/aliases -> 200: InvalidData: at <root>:", "is valid under each of")


class DeployStandins(Standins):
    def finish(self) -> None:
        for _, validator in self.running:
            validator.violations[:] = [v for v in validator.violations
                                       if not all(part in v for part in AMBIGUOUS)]
        super().finish()


@pytest.fixture
def standins() -> Iterator[Standins]:
    group = DeployStandins()
    try:
        yield group
    finally:
        group.finish()


def _contents_paths_as_one_segment(validate: SpecValidator) -> Any:
    """GitHub's ``/repos/{owner}/{repo}/contents/{path}`` takes a path with slashes; the OpenAPI path
    matcher stops ``{path}`` at the first slash, so the exchange is validated with it escaped.

    A folder listing (a JSON array) is checked against ``content-directory`` directly: the operation's
    ``discriminator`` on ``type`` cannot apply to an array, so the generic check rejects every listing.
    """

    def check(exchange: Exchange) -> None:
        req = exchange.request
        head, sep, tail = req.full_path.partition("/contents/")
        if sep and "/" in tail:
            req = dataclasses.replace(req, full_path=head + sep + tail.replace("/", "%2F"))
            exchange = dataclasses.replace(exchange, request=req)
        response = exchange.response
        if sep and response is not None and response.status == 200 and isinstance(response.body, list):
            if not validate.active:  # no GitHub spec: record only, as the validator itself does
                validate.checked.append(f"GET {req.full_path} -> 200 (not validated: no spec)")
                return
            data, _ = load_spec("github")
            schema = {"$ref": "#/components/schemas/content-directory", "components": data["components"]}
            problems = [e.message[:200] for e in OAS30Validator(schema).iter_errors(response.body)]
            validate.checked.append(f"GET {req.full_path} -> 200 (content-directory)")
            validate.violations.extend(f"GET {req.full_path} -> 200: {p}" for p in problems)
            return
        validate(exchange)

    return check


@dataclass
class DeployWorld:
    ctx: AppContext
    path: Path
    secrets: dict[str, str]
    vercel: StandinServer
    github: StandinServer
    cloudflare: StandinServer

    def auth(self, env: str, action: str, reason: str = "tests") -> Authorization:
        return authorize(self.ctx.workspace, self.ctx.workspace.environment(env), action, confirm=env,
                         reason=reason)

    def audit_lines(self, action: str | None = None) -> list[Any]:
        return [e for e in self.ctx.audit.entries() if action is None or e.action == action]


def make_world(tmp: Path, app_dirs: dict[str, Path], group: Standins, *, database_dsn: str | None = None,
               profile: ws.Profile = ws.Profile.ADMIN, vercel_kwargs: dict[str, Any] | None = None) -> DeployWorld:
    v, _ = group.start("vercel", **(vercel_kwargs or {}))
    g, g_validator = group.start("github")
    g.request_validator = _contents_paths_as_one_segment(g_validator)
    c, _ = group.start("cloudflare")
    api_base = {"vercel": v.base_url, "github": g.base_url, "cloudflare": c.base_url}
    workspace = ws.Workspace(name="Deploy tests", profile=profile)
    secrets: dict[str, str] = {}
    for name, kind in (("production", ws.EnvironmentKind.PRODUCTION), ("staging", ws.EnvironmentKind.STAGING)):
        env = ws.Environment(name=name, kind=kind)
        ids = {k: val for k, val in sandbox_identities(name).items() if k in ws.ProviderSettings.__dataclass_fields__}
        env.providers = ws.ProviderSettings(**ids, api_base=api_base)
        if database_dsn:
            info = psycopg.conninfo.conninfo_to_dict(database_dsn)
            env.database = ws.DatabaseSettings(host=str(info.get("host", "127.0.0.1")),
                                               port=int(str(info.get("port") or 5432)), name=str(info["dbname"]),
                                               user=str(info.get("user", "postgres")), sslmode="disable")
            if info.get("password"):
                secrets[f"{name.upper()}_DATABASE_PASSWORD"] = str(info["password"])
        workspace.environments[name] = env
        secrets[f"{name.upper()}_VERCEL_TOKEN"] = vercel.TOKEN
        secrets[f"{name.upper()}_GITHUB_TOKEN"] = github.TOKEN
        secrets[f"{name.upper()}_CLOUDFLARE_API_TOKEN"] = cloudflare.TOKEN
    path = tmp / "workspace.toml"
    ws.save(workspace, path)
    paths = AppPaths(app_dirs["config"], app_dirs["data"], app_dirs["state"], app_dirs["cache"])
    creds = CredentialStore(workspace.id, from_env=secrets)
    audit = AuditLog(paths.data / "audit.sqlite3", workspace=workspace.name, mask=MASKER)
    return DeployWorld(AppContext(workspace, path, creds, audit, paths), path, secrets, v, g, c)


@pytest.fixture
def world(tmp_path: Path, app_dirs: dict[str, Path], standins: Standins) -> Iterator[DeployWorld]:
    yield make_world(tmp_path, app_dirs, standins)

"""Configuration endpoints for the stand-ins, so ``config diff`` and the Configuration tab have a live
configuration to hold against the seed — one that differs from it in at least one item of each kind,
as a real platform drifts:

* GitHub: ``vercel.json`` (regions iad1 and sfo1 only, API functions allowed 60 s) and the backup
  workflows (production daily at 02:00 UTC as the seed says; staging weekly);
* Vercel ``GET /v9/projects/{idOrName}``: the project's function defaults in ``resourceConfig``;
* Cloudflare ``GET /zones/{zone_id}/rulesets/phases/{phase}/entrypoint``: cache rules (production's
  API TTL is 10 min instead of 5; staging has no image rule); 404 for a phase with no ruleset, as
  Cloudflare answers;
* Supabase ``GET /v1/projects/{ref}/config/database/pooler`` (Supavisor): production accepts 60 client
  connections (fewer than the seed's 100); staging runs in session mode.

The Upstash stand-in already differs (staging's database has 256 MB); bucket lifecycles and headers are
the sandbox's own (``sandbox/live_config.py``). Answers follow the providers' OpenAPI files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.provider_standins.protocol import Route, StandinError, StandinRequest
from sandbox.provider_standins.server import StandinServer

VERCEL_JSON: dict[str, Any] = {
    "$schema": "https://openapi.vercel.sh/vercel.json",
    "framework": "nextjs",
    "regions": ["iad1", "sfo1"],
    "functions": {
        "app/api/**/*.ts": {"memory": 1024, "maxDuration": 60},
        "app/api/cron/*.ts": {"memory": 1024, "maxDuration": 30},
    },
}


def backup_workflow(env: str, cron: str) -> str:
    return (f"name: backup-{env}\non:\n  schedule:\n    - cron: \"{cron}\"  # UTC\n  workflow_dispatch: {{}}\n"
            f"jobs:\n  backup:\n    runs-on: ubuntu-latest\n    steps:\n      - run: realtor-ops --secrets-from-env "
            f"--json backup create --env {env}\n")


BACKUP_CRONS = {"production": "0 2 * * *", "staging": "0 5 * * 1"}


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cache_rule(zone: str, description: str, expression: str, ttl: int | None, *, enabled: bool = True,
               cache: bool = True) -> dict[str, Any]:
    params: dict[str, Any] = {"cache": cache}
    if ttl is not None:
        # Errors are not cached (the spec of 2024-08 requires status_code_ttl with the override).
        params["edge_ttl"] = {"mode": "override_origin", "default": ttl,
                              "status_code_ttl": [{"status_code_range": {"from": 400, "to": 599}, "value": 0}]}
        params["browser_ttl"] = {"mode": "respect_origin"}
    return {"id": _id(zone, description), "version": "1", "action": "set_cache_settings",
            "action_parameters": params, "description": description, "expression": expression,
            "enabled": enabled, "last_updated": "2026-10-02T09:14:00.000000Z", "ref": _id("ref", zone, description)}


def default_cache_rules(production_zone: str, staging_zone: str) -> dict[str, list[dict[str, Any]]]:
    static = 'starts_with(http.request.uri.path, "/_next/static/")'
    api = 'starts_with(http.request.uri.path, "/api/")'
    images = 'starts_with(http.request.uri.path, "/_next/image")'
    return {
        production_zone: [cache_rule(production_zone, "Static assets", static, 31_536_000),
                          cache_rule(production_zone, "API responses", api, 600),
                          cache_rule(production_zone, "Optimised images", images, 2_592_000)],
        staging_zone: [cache_rule(staging_zone, "Static assets", static, 31_536_000),
                       cache_rule(staging_zone, "API responses", api, 300)],
    }


def pooler_entry(ref: str, *, mode: str, clients: int, pool_size: int) -> dict[str, Any]:
    host = "aws-0-us-east-1.pooler.supabase.com"
    port = 6543 if mode == "transaction" else 5432
    url = f"postgresql://postgres.{ref}:[YOUR-PASSWORD]@{host}:{port}/postgres"
    return {"identifier": ref, "database_type": "PRIMARY", "is_using_scram_auth": True, "db_user": f"postgres.{ref}",
            "db_host": host, "db_port": port, "db_name": "postgres", "connection_string": url,
            "connectionString": url, "default_pool_size": pool_size, "max_client_conn": clients, "pool_mode": mode}


@dataclass
class LiveConfig:
    """What the stand-in answers; tests and the sandbox may change it."""

    cache_rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # zone id -> rules
    poolers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project ref -> entries
    resource_config: dict[str, Any] = field(default_factory=dict)  # merged into the project's resourceConfig


def live_config(server: StandinServer) -> LiveConfig:
    config = getattr(server, "live_config", None)
    if not isinstance(config, LiveConfig):
        raise TypeError(f"the {server.provider} stand-in has no configuration endpoints (use add_live_config)")
    return config


def _cloudflare_entrypoint(config: LiveConfig, zones: tuple[str, ...]) -> Callable[[StandinRequest], Any]:
    def handler(request: StandinRequest) -> Any:
        zone = request.path_params["zone_id"]
        phase = request.path_params["ruleset_phase"]
        if zone not in zones:
            raise StandinError(404, "Could not route to this path, perhaps your object identifier is invalid?",
                               code="7003")
        rules = config.cache_rules.get(zone)
        if phase != "http_request_cache_settings" or rules is None:
            raise StandinError(404, f"could not find entrypoint ruleset in the {phase} phase", code="10003")
        return {"success": True, "errors": [], "messages": [], "result": {
            "id": _id("ruleset", zone, phase), "name": "default", "description": "", "kind": "zone",
            "phase": phase, "version": str(len(rules) + 1), "last_updated": "2026-10-02T09:14:00.000000Z",
            "rules": [dict(r) for r in rules]}}

    return handler


def _supabase_pooler(server: StandinServer, config: LiveConfig) -> Callable[[StandinRequest], Any]:
    def handler(request: StandinRequest) -> Any:
        ref = request.path_params["ref"]
        server.data.project(ref)  # 404 for an unknown project
        return [dict(e) for e in config.poolers.get(ref, [])]

    return handler


def _vercel_project(config: LiveConfig, previous: Callable[[StandinRequest], Any]) -> Callable[[StandinRequest], Any]:
    def handler(request: StandinRequest) -> Any:
        body = previous(request)
        if not isinstance(body, dict):
            return body
        body = dict(body)
        body["resourceConfig"] = {**(body.get("resourceConfig") or {}), **config.resource_config}
        return body

    return handler


def add_live_config(server: StandinServer) -> StandinServer:
    """Give a provider's stand-in the configuration it answers for ``config diff`` (routes placed first)."""
    config = LiveConfig()
    server.live_config = config  # type: ignore[attr-defined]
    name = server.provider
    extra: list[Route] = []
    if name == "github":
        with server.data.lock:
            server.data.files["vercel.json"] = (json.dumps(VERCEL_JSON, indent=2) + "\n").encode()
            for env, cron in BACKUP_CRONS.items():
                server.data.files[f".github/workflows/backup-{env}.yml"] = backup_workflow(env, cron).encode()
    elif name == "vercel":
        config.resource_config = {"functionDefaultTimeout": 60, "functionDefaultMemoryType": "standard"}
        project = next(r for r in server.routes if r.pattern == "/v9/projects/{idOrName}")
        extra = [Route("GET", project.pattern, _vercel_project(config, project.handler), project.needs_scope)]
    elif name == "cloudflare":
        from sandbox.provider_standins.cloudflare import STAGING_ZONE_ID, ZONE_ID

        config.cache_rules = default_cache_rules(ZONE_ID, STAGING_ZONE_ID)
        extra = [Route("GET", "/zones/{zone_id}/rulesets/phases/{ruleset_phase}/entrypoint",
                       _cloudflare_entrypoint(config, (ZONE_ID, STAGING_ZONE_ID)))]
    elif name == "supabase":
        from sandbox.provider_standins.supabase import PRODUCTION_REF, STAGING_REF

        config.poolers = {
            PRODUCTION_REF: [pooler_entry(PRODUCTION_REF, mode="transaction", clients=60, pool_size=15)],
            STAGING_REF: [pooler_entry(STAGING_REF, mode="session", clients=200, pool_size=15)],
        }
        extra = [Route("GET", "/v1/projects/{ref}/config/database/pooler", _supabase_pooler(server, config))]
    server.routes[:0] = extra
    return server


def with_live_config(factory: Callable[..., StandinServer]) -> Callable[..., StandinServer]:
    """A stand-in factory whose servers answer the configuration endpoints."""

    def create(**kwargs: Any) -> StandinServer:
        return add_live_config(factory(**kwargs))

    create.__doc__ = factory.__doc__
    return create


"""A workspace whose production and staging read their live configuration from the sandbox's stand-ins
(Vercel, GitHub, Cloudflare, Supabase, Upstash: the catalog's, with their configuration endpoints, each
exchange checked against the provider's spec), a real S3 endpoint (moto) with the files and backup
buckets, and a platform stand-in per environment for the header check."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox import live_config as sandbox_config
from sandbox.platform_standin import PlatformStandin
from sandbox.provider_standins.catalog import SANDBOX_SECRETS, STANDINS, sandbox_identities
from sandbox.provider_standins.server import StandinServer
from services.core import workspace as ws
from services.core.app_context import AppContext, AppPaths
from services.core.audit_log import AuditLog
from services.core.credentials import CredentialStore
from services.core.log_setup import MASKER
from services.core.object_storage import S3Location, make_client
from tests.deployments.conftest import _contents_paths_as_one_segment
from tests.providers.conftest import CASES, Standins
from tests.providers.spec_validation import SpecValidator

PROVIDERS = ("vercel", "github", "cloudflare", "supabase", "upstash")
ENVS = (("production", ws.EnvironmentKind.PRODUCTION), ("staging", ws.EnvironmentKind.STAGING))


# Cloudflare's spec gives every rule's ``action`` the pattern ^[a-z]+$ (rulesets_RuleAction) while its own
# set_cache_settings rule (rulesets_SetCacheSettingsRule, allOf that rule) has the enum 'set_cache_settings':
# no cache rule can satisfy both, so that one message is left out and everything else is still checked.
SPEC_DEFECT = "'set_cache_settings' does not match '^[a-z]+$'"


class ConfigStandins(Standins):
    def finish(self) -> None:
        for _, validator in self.running:
            kept = []
            for violation in validator.violations:
                head, sep, rest = violation.partition("InvalidData: ")
                issues = [i for i in rest.split("\n") if SPEC_DEFECT not in i] if sep else [violation]
                if issues:
                    kept.append(head + sep + "\n".join(i.strip() for i in issues) if sep else violation)
            validator.violations[:] = kept
        super().finish()


@dataclass
class ConfigWorld:
    ctx: AppContext
    path: Path
    secrets: dict[str, str]
    servers: dict[str, StandinServer]
    platforms: dict[str, PlatformStandin]
    s3: Any  # an S3 client of the endpoint

    def env(self, name: str) -> ws.Environment:
        return self.ctx.workspace.environment(name)


def start_catalog_standin(group: Standins, name: str) -> StandinServer:
    """The sandbox's stand-in (usage and configuration endpoints included) with the spec validator on."""
    case = CASES[name]
    server = STANDINS[name]().start()
    validator = SpecValidator(name, auth_scheme=case.auth_scheme, required_headers=dict(case.required_headers))
    server.request_validator = _contents_paths_as_one_segment(validator) if name == "github" else validator
    group.running.append((server, validator))
    return server


@pytest.fixture
def world(tmp_path: Path, app_dirs: dict[str, Path], s3_location: S3Location) -> Iterator[ConfigWorld]:
    with config_world(tmp_path, app_dirs, s3_location) as built:
        yield built


@contextlib.contextmanager
def config_world(tmp_path: Path, app_dirs: dict[str, Path], s3_location: S3Location) -> Iterator[ConfigWorld]:
    """The world of these tests (the Qt tests build it too); everything is stopped and checked on exit."""
    group = ConfigStandins()
    platforms: dict[str, PlatformStandin] = {}
    try:
        servers = {name: start_catalog_standin(group, name) for name in PROVIDERS}
        api_base = {name: s.base_url for name, s in servers.items()}
        client = make_client(s3_location)
        workspace = ws.Workspace(name="Config tests", profile=ws.Profile.VIEWER)
        secrets: dict[str, str] = {}
        run = uuid.uuid4().hex[:10]
        for name, kind in ENVS:
            env = ws.Environment(name=name, kind=kind)
            ids = {k: v for k, v in sandbox_identities(name).items() if k in ws.ProviderSettings.__dataclass_fields__}
            env.providers = ws.ProviderSettings(**ids, api_base=api_base)
            env.database = ws.DatabaseSettings(host="db.example.invalid", name="postgres")
            env.storage = ws.StorageSettings(endpoint_url=s3_location.endpoint_url, region="us-east-1",
                                             files_bucket=f"cfg-files-{name}-{run}", credentials="aws")
            env.backup.endpoint_url = s3_location.endpoint_url
            env.backup.region = "us-east-1"
            env.backup.bucket = f"cfg-backups-{name}-{run}"
            env.backup.credentials = "aws"
            for bucket in (env.storage.files_bucket, env.backup.bucket):
                client.create_bucket(Bucket=bucket)
            sandbox_config.put_files_lifecycle(client, env)  # the sandbox's: temp files kept 14 days
            platform = PlatformStandin()
            sandbox_config.drift_platform(name, platform)
            platforms[name] = platform.start()
            env.app_url = platform.url
            workspace.environments[name] = env
            prefix = name.upper()
            for secret in ("VERCEL_TOKEN", "GITHUB_TOKEN", "CLOUDFLARE_API_TOKEN", "SUPABASE_ACCESS_TOKEN",
                           "UPSTASH_API_KEY"):
                secrets[f"{prefix}_{secret}"] = SANDBOX_SECRETS[secret]
            secrets[f"{prefix}_AWS_ACCESS_KEY_ID"] = str(s3_location.access_key_id)
            secrets[f"{prefix}_AWS_SECRET_ACCESS_KEY"] = str(s3_location.secret_access_key)
        path = tmp_path / "workspace.toml"
        ws.save(workspace, path)
        paths = AppPaths(app_dirs["config"], app_dirs["data"], app_dirs["state"], app_dirs["cache"])
        creds = CredentialStore(workspace.id, from_env=secrets)
        audit = AuditLog(paths.data / "audit.sqlite3", workspace=workspace.name, mask=MASKER)
        yield ConfigWorld(AppContext(workspace, path, creds, audit, paths), path, secrets, servers, platforms, client)
    finally:
        for platform in platforms.values():
            platform.stop()
        group.finish()

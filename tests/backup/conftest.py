"""Backup fixtures: a workspace whose environment points at a scratch database and a fresh bucket."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from services.core import workspace as ws
from services.core.app_context import AppContext, AppPaths
from services.core.audit_log import AuditLog
from services.core.credentials import CredentialStore
from services.core.log_setup import MASKER

REPO = Path(__file__).resolve().parents[2]


@dataclass
class BackupEnv:
    ctx: AppContext
    env: ws.Environment
    dsn: str
    bucket: str
    workspace_path: Path
    secrets: dict[str, str]

    def cli(self, *argv: str, timeout: float = 120, **kw):  # type: ignore[no-untyped-def]
        """Run ``realtor-ops`` in a child process with secrets from its environment."""
        import subprocess

        env = {**os.environ, **self.secrets}
        return subprocess.run([sys.executable, "-m", "cli.main", "--workspace", str(self.workspace_path),
                               "--secrets-from-env", *argv], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=timeout, **kw)


def make_env(name: str, kind: ws.EnvironmentKind, dsn: str, endpoint: str, bucket: str) -> ws.Environment:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    env = ws.seed_environment(name, kind)
    env.database = ws.DatabaseSettings(host=str(info.get("host", "127.0.0.1")), port=int(info.get("port", 5432)),
                                       name=str(info["dbname"]), user=str(info.get("user", "postgres")),
                                       sslmode="disable")
    env.backup.endpoint_url = endpoint
    env.backup.bucket = bucket
    env.backup.region = "us-east-1"
    env.backup.credentials = "aws"
    env.backup.part_size_mib = 5
    return env


def build(tmp: Path, envs: list[ws.Environment], app_dirs: dict[str, Path],
          profile: ws.Profile = ws.Profile.ADMIN) -> tuple[AppContext, Path, dict[str, str]]:
    workspace = ws.Workspace(name="Backup tests", profile=profile)
    for env in envs:
        workspace.environments[env.name] = env
    path = tmp / "workspace.toml"
    ws.save(workspace, path)
    secrets = {}
    for env in envs:
        prefix = env.name.upper()
        secrets[f"{prefix}_AWS_ACCESS_KEY_ID"] = SANDBOX_ACCESS_KEY
        secrets[f"{prefix}_AWS_SECRET_ACCESS_KEY"] = SANDBOX_SECRET_KEY
    paths = AppPaths(app_dirs["config"], app_dirs["data"], app_dirs["state"], app_dirs["cache"])
    creds = CredentialStore(workspace.id, from_env=secrets)
    audit = AuditLog(paths.data / "audit.sqlite3", workspace=workspace.name, mask=MASKER)
    return AppContext(workspace, path, creds, audit, paths), path, secrets


@pytest.fixture
def backup_env(scratch_db: str, s3_location, s3_bucket: str, tmp_path: Path,  # type: ignore[no-untyped-def]
               app_dirs: dict[str, Path]) -> Iterator[BackupEnv]:
    env = make_env("staging", ws.EnvironmentKind.STAGING, scratch_db, s3_location.endpoint_url, s3_bucket)
    ctx, path, secrets = build(tmp_path, [env], app_dirs)
    yield BackupEnv(ctx, env, scratch_db, s3_bucket, path, secrets)


def dsn_for(dsn: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, dbname=dbname)

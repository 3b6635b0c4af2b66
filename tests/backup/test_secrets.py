"""No password or key in any child's command line or environment, in any log, or in the manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg

from services.core import workspace as ws
from tests.backup.conftest import REPO, BackupEnv
from tests.backup.test_faults import bulk

PASSWORD = "Pw-fake-7f3a9c1e-never-show-me"
S3_SECRET = "S3key-5b2d8e4f-never-show-me"


def test_no_secret_on_any_command_line_log_or_manifest(backup_env: BackupEnv, app_dirs: dict[str, Path],
                                                        s3_location) -> None:
    bulk(backup_env.dsn, 15_000)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rops_secret_user') THEN "
                  "CREATE ROLE rops_secret_user LOGIN SUPERUSER; END IF; END $$")
        c.execute(f"ALTER ROLE rops_secret_user PASSWORD '{PASSWORD}'")
    backup_env.env.database.user = "rops_secret_user"
    ws.save(backup_env.ctx.workspace, backup_env.workspace_path)
    secrets = dict(backup_env.secrets, STAGING_DATABASE_PASSWORD=PASSWORD, STAGING_AWS_SECRET_ACCESS_KEY=S3_SECRET)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--workspace", str(backup_env.workspace_path),
                             "--secrets-from-env", "--json", "-v", "backup", "create", "--env", "staging"], cwd=REPO,
                            env={**os.environ, **secrets}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_children: set[str] = set()
    leaks: list[str] = []
    try:
        while proc.poll() is None:
            for p in psutil.process_iter(["pid", "cmdline"]):
                cmd = " ".join(p.info["cmdline"] or [])
                if PASSWORD in cmd or S3_SECRET in cmd:
                    leaks.append(f"cmdline of {p.info['pid']}: {cmd[:80]}")
            try:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    # Between fork and exec a child is still a copy of its parent: look at the program itself,
                    # i.e. only when it is a PostgreSQL client before and after /proc/PID/environ was read.
                    name = child.name()
                    env_text = Path(f"/proc/{child.pid}/environ").read_bytes().decode("utf-8", "replace")
                    if name not in ("pg_dump", "pg_restore", "psql") or child.name() != name:
                        continue
                    seen_children.add(name)
                    if PASSWORD in env_text or S3_SECRET in env_text:
                        leaks.append(f"environment of child {name}: " + ",".join(
                            v.split("=", 1)[0] for v in env_text.split("\0") if PASSWORD in v or S3_SECRET in v))
            except (psutil.Error, OSError):
                pass
            time.sleep(0.01)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "pg_dump" in seen_children  # the sampling saw the dump running
    assert leaks == []
    made = json.loads(out)
    assert PASSWORD not in out + err and S3_SECRET not in out + err

    from services.core.object_storage import make_client

    manifest = make_client(s3_location).get_object(
        Bucket=backup_env.bucket, Key=made["key"].replace("dump.pgc.zst", "manifest.json"))["Body"].read().decode()
    assert "rops_secret_user" in manifest
    assert PASSWORD not in manifest and S3_SECRET not in manifest
    files = [p for p in app_dirs["root"].rglob("*") if p.is_file()]
    assert any(p.name.endswith(".log") for p in files)
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and S3_SECRET.encode() not in data, path

"""Retention (GFS, dry run with reasons, minimum verified), lifecycle rules, the generated schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml  # type: ignore[import-untyped]

from services.backup.catalog import CatalogEntry
from services.backup.dump_stream import create_backup
from services.backup.retention import desired_rules, plan_retention
from services.backup.schedule import build_schedule
from services.core import workspace as ws
from services.core.errors import WorkspaceFileError
from services.core.object_storage import make_client
from services.core.workspace import BackupSettings, RetentionPolicy
from tests.backup.conftest import BackupEnv


def entry(t: datetime, verification: str = "unverified", state: str = "good") -> CatalogEntry:
    bid = t.strftime("%Y%m%dT%H%M%SZ") + "-abcd"
    return CatalogEntry(bid, "production", f"k/{bid}", state, t, 1, "x", verification, None, "scheduled")


def test_gfs_keeps_days_weeks_months_years_and_the_minimum_verified() -> None:
    now = datetime(2025, 6, 15, 3, 0, tzinfo=UTC)
    # Daily backups at 02:00 for 9 years.
    entries = [entry(now - timedelta(days=d, hours=1)) for d in range(0, 9 * 365)]
    old_verified = entries[400]
    entries[400] = entry(old_verified.created_at, "verified")
    plan = plan_retention(entries, RetentionPolicy(daily=7, weekly=5, monthly=12, yearly=7, min_verified=1), now)
    kept = {d.entry.id: d.reasons for d in plan.keep}
    assert entries[0].id in kept and "newest good backup" in kept[entries[0].id]
    assert all(e.id in kept for e in entries[:7])
    # 7 daily + 5 weekly + 12 monthly + 7 yearly, overlapping, plus the one verified backup.
    years = {d.entry.created_at.year for d in plan.keep}
    assert len(years) == 7 and min(years) == 2019
    assert entries[400].id in kept and any("verified" in r for r in kept[entries[400].id])
    assert 20 <= len(plan.keep) <= 32
    assert all(d.reasons and "days old" in d.reasons[0] for d in plan.delete)
    assert len(plan.keep) + len(plan.delete) == len(entries)


def test_failed_verification_never_counts_and_dead_uploads_go() -> None:
    now = datetime(2025, 6, 15, tzinfo=UTC)
    bad = entry(now - timedelta(hours=2), "failed")
    ok = entry(now - timedelta(days=1))
    dead = entry(now - timedelta(days=2), state="unfinished")
    fresh = entry(now - timedelta(minutes=5), state="unfinished")
    plan = plan_retention([bad, ok, dead, fresh], RetentionPolicy(), now)
    deleted = {d.entry.id: d.reasons[0] for d in plan.delete}
    assert "verification failed" in deleted[bad.id] and "dead run" in deleted[dead.id]
    assert fresh.id not in deleted and "newest good backup" in next(d for d in plan.keep if d.entry.id == ok.id).reasons


async def test_prune_cli_dry_run_then_for_real(backup_env: BackupEnv, s3_location) -> None:
    from sandbox.realtor_schema import install_realtor_schema_sync
    from services.core import workspace as ws

    backup_env.env.backup.retention = RetentionPolicy(daily=1, weekly=1, monthly=1, yearly=7, min_verified=0)
    ws.save(backup_env.ctx.workspace, backup_env.workspace_path)
    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.05)
    m = await create_backup(backup_env.ctx, "staging")
    client = make_client(s3_location)
    # Two old copies from the same year three years ago: only the newer is that year's keeper.
    old_ids = []
    for days in (3 * 365 + 10, 3 * 365 + 12):
        t = m.created_at - timedelta(days=days)
        bid = t.strftime("%Y%m%dT%H%M%SZ") + "-beef"
        prefix = f"database/staging/{t:%Y/%m/%d}/{bid}/"
        doc = json.loads(m.to_json()) | {"id": bid, "created_at": t.isoformat(), "finished_at": t.isoformat(),
                                         "key": prefix + "dump.pgc.zst"}
        client.put_object(Bucket=backup_env.bucket, Key=prefix + "dump.pgc.zst", Body=b"x")
        client.put_object(Bucket=backup_env.bucket, Key=prefix + "manifest.json", Body=json.dumps(doc).encode())
        old_ids.append(bid)
    dry = backup_env.cli("--json", "backup", "prune", "--env", "staging", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert [d["id"] for d in plan["delete"]] == [old_ids[1]]
    assert any("yearly 2 of 7" in r for d in plan["keep"] if d["id"] == old_ids[0] for r in d["reasons"])
    listed = json.loads(backup_env.cli("--json", "backup", "list", "--env", "staging").stdout)
    assert len(listed) == 3  # the dry run deleted nothing
    real = backup_env.cli("--json", "backup", "prune", "--env", "staging")
    assert real.returncode == 0, real.stderr
    listed = json.loads(backup_env.cli("--json", "backup", "list", "--env", "staging").stdout)
    assert sorted(e["id"] for e in listed) == sorted([m.id, old_ids[0]])


def test_lifecycle_rules_shown_and_applied(backup_env: BackupEnv, s3_location) -> None:
    shown = json.loads(backup_env.cli("--json", "backup", "lifecycle", "--env", "staging").stdout)
    assert shown["in_place"] is False and shown["current"] == []
    rule = shown["desired"][0]
    assert rule["Expiration"] == {"Days": 2555} and rule["Transitions"][0]["Days"] == 30
    applied = json.loads(backup_env.cli("--json", "backup", "lifecycle", "--env", "staging", "--apply").stdout)
    assert applied["applied"] and applied["in_place"]
    rules = make_client(s3_location).get_bucket_lifecycle_configuration(Bucket=backup_env.bucket)["Rules"]
    assert rules[0]["Expiration"]["Days"] == 2555 and rules[0]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1}
    again = json.loads(backup_env.cli("--json", "backup", "lifecycle", "--env", "staging").stdout)
    assert again["in_place"] is True


def test_lifecycle_rule_fits_the_bucket_provider() -> None:
    """The seed's 30-day move to infrequent access and 2555-day expiry, in the classes each provider has."""
    r2_endpoint = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"
    cases = [  # (settings, storage class the rule moves backups to after 30 days, or None)
        (BackupSettings(storage_class="STANDARD"), "STANDARD_IA"),
        (BackupSettings(storage_class="STANDARD_IA"), "GLACIER_IR"),  # AWS: already IA, so the archive tier
        (BackupSettings(storage_class="STANDARD", endpoint_url=r2_endpoint), "STANDARD_IA"),
        (BackupSettings(storage_class="STANDARD_IA", endpoint_url=r2_endpoint), None),  # R2 has nothing colder
        (BackupSettings(storage_class="STANDARD_IA", credentials="r2", endpoint_url="http://127.0.0.1:9000"), None),
    ]
    for settings, to in cases:
        rule = desired_rules(settings)[0]
        assert rule["Expiration"] == {"Days": 2555} and rule["AbortIncompleteMultipartUpload"]
        moved = [t["StorageClass"] for t in rule.get("Transitions", [])]
        assert moved == ([to] if to else []), (settings, moved)
        assert all(t["Days"] == 30 for t in rule.get("Transitions", []))
    # A class R2 does not have is refused where it is set, naming the field.
    bad = ws.Workspace(name="w")
    env = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    env.backup = BackupSettings(endpoint_url=r2_endpoint, bucket="backups", storage_class="GLACIER_IR")
    bad.environments["staging"] = env
    with pytest.raises(WorkspaceFileError) as err:
        ws.loads(ws.dumps(bad))
    assert "storage_class" in str(err.value) and "GLACIER_IR" in str(err.value)


async def test_schedule_workflow_runs_the_cli_daily_at_2_am_utc(backup_env: BackupEnv, monkeypatch) -> None:
    from sandbox.realtor_schema import install_realtor_schema_sync
    from services.backup.catalog import list_backups

    install_realtor_schema_sync(backup_env.dsn, rows_scale=0.05)
    monkeypatch.setenv("REALTOR_OPS_TRIGGER", "scheduled")
    m = await create_backup(backup_env.ctx, "staging")
    sched = build_schedule(backup_env.env, backup_env.ctx.workspace, await list_backups(backup_env.ctx, "staging"))
    assert sched.last_backup_id == m.id and sched.last_run == m.created_at
    doc = yaml.safe_load(sched.workflow_yaml)
    assert doc[True]["schedule"] == [{"cron": "0 2 * * *"}]  # YAML reads the key 'on' as True
    step = doc["jobs"]["backup"]["steps"][-1]
    assert "--secrets-from-env" in step["run"] and "backup create --env staging" in step["run"]
    assert step["env"]["STAGING_AWS_SECRET_ACCESS_KEY"] == "${{ secrets.STAGING_AWS_SECRET_ACCESS_KEY }}"
    assert "sandbox-secret-key" not in sched.workflow_yaml and sched.cron_line.startswith("0 2 * * * ")
    assert ". $HOME/.config/realtor-ops/backup.env" in sched.cron_line and "=…" not in sched.cron_line
    assert "AWS_SECRET_ACCESS_KEY" in sched.cron_line.split("#", 1)[1]  # named in the comment, never valued
    # The workspace embedded in the workflow parses and names the environment.
    from services.core import workspace as ws

    toml = doc["jobs"]["backup"]["steps"][2]["run"].split("<<'TOML'\n", 1)[1].rsplit("TOML", 1)[0]
    assert "staging" in ws.loads(toml).environments

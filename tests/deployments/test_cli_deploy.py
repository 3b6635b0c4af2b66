"""``realtor-ops deploy|ci|migrations|cache`` end to end against the stand-ins: JSON fields, exit codes,
and the guard — every production-changing command exits 3 without ``--confirm production --reason``,
and each change leaves exactly one audit line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import run
from sandbox import migration_story
from sandbox.realtor_schema import MIGRATIONS, install_realtor_schema_sync
from services.core import workspace as ws
from services.core.app_context import AppPaths
from services.core.audit_log import AuditLog
from tests.deployments.conftest import DeployWorld, make_world
from tests.providers.conftest import Standins


@pytest.fixture
def cli_world(tmp_path: Path, app_dirs: dict[str, Path], standins: Standins,
              monkeypatch: pytest.MonkeyPatch) -> DeployWorld:
    w = make_world(tmp_path, app_dirs, standins)
    for key, value in w.secrets.items():
        monkeypatch.setenv(key, value)
    return w


def cli(w: DeployWorld, *args: str) -> int:
    return run(["--workspace", str(w.path), "--secrets-from-env", *args])


def audit() -> list[tuple[str, str, str, str]]:
    log = AuditLog(AppPaths.from_os().data / "audit.sqlite3", workspace="x")
    return [(e.action, e.environment, e.reason, e.outcome) for e in reversed(log.entries())]


def test_deploy_list_json_fields(cli_world: DeployWorld, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(cli_world, "--json", "deploy", "list", "--env", "production", "--limit", "5") == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5
    for row in rows:
        assert {"id", "url", "state", "target", "created_at", "current", "commit"} <= set(row)
        assert set(row["commit"]) == {"sha", "message", "branch", "author"}
        assert row["target"] == "production"
    assert [r["id"] for r in rows if r["current"]] == [cli_world.vercel.data.production_id]
    assert cli(cli_world, "deploy", "list", "--env", "staging", "--state", "building") == 0
    out = capsys.readouterr().out
    assert "BUILDING" in out and "READY" not in out
    assert cli(cli_world, "deploy", "list", "--env", "production", "--state", "nope") == 2
    assert "not a deployment state" in capsys.readouterr().err


PRODUCTION_CHANGES = [
    ("deploy", "promote", "{other}"),
    ("deploy", "rollback"),
    ("deploy", "redeploy", "{current}"),
    ("deploy", "cancel", "{current}"),
    ("ci", "rerun", "{run}"),
    ("ci", "cancel", "{run}"),
    ("cache", "purge", "--everything"),
    ("cache", "purge", "--url", "https://realtor-platform.com/listings/1"),
]


def test_every_production_change_needs_confirm_and_reason(cli_world: DeployWorld,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_world.vercel.data
    other = next(d.uid for d in data.deployments if d.promoted and d.uid != data.production_id)
    names = {"other": other, "current": data.production_id, "run": str(cli_world.github.data.runs[0].id)}
    for command in PRODUCTION_CHANGES:
        argv = [part.format(**names) for part in command] + ["--env", "production"]
        assert cli(cli_world, *argv) == 3, argv
        assert "typed to confirm" in capsys.readouterr().err
        assert cli(cli_world, *argv, "--confirm", "production") == 3, argv
        assert "needs a reason" in capsys.readouterr().err
        assert cli(cli_world, *argv, "--confirm", "staging", "--reason", "x") == 3, argv
    assert audit() == [] and data.alias_job is None and cli_world.cloudflare.data.purges == []
    assert data.production_id == names["current"]


def test_rollback_and_purge_with_confirmation_one_audit_line_each(cli_world: DeployWorld,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_world.vercel.data
    data.job_steps = 1
    before = data.production_id
    assert cli(cli_world, "--json", "deploy", "rollback", "--env", "production", "--confirm", "production",
               "--reason", "search is broken") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "succeeded" and out["from"] == before and data.production_id == out["to"]
    assert any("auto-assignment" in line for line in out["caveats"])
    assert data.rollback_description == "search is broken"
    assert cli(cli_world, "cache", "purge", "--env", "production", "--tag", "listings", "agents",
               "--confirm", "production", "--reason", "stale prices") == 0
    assert "purged 2 tag(s) from realtor-platform.com in 1 request(s)" in capsys.readouterr().out
    assert audit() == [("deploy rollback", "production", "search is broken", "succeeded"),
                       ("cache purge", "production", "stale prices", "done")]
    # A refused change on Vercel's side (409: already current) is one failed line, exit 1.
    assert cli(cli_world, "deploy", "rollback", data.production_id, "--env", "production", "--confirm",
               "production", "--reason", "again") == 1
    assert "(409)" in capsys.readouterr().err
    assert audit()[-1][3].startswith("failed:") and len(audit()) == 3


def test_promote_refuses_a_worse_grade(cli_world: DeployWorld, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_world.vercel.data
    other = next(d.uid for d in data.deployments if d.promoted and d.uid != data.production_id)
    code = cli(cli_world, "deploy", "promote", other, "--env", "production", "--confirm", "production",
               "--reason", "undo")
    assert code == 3 and "worse than production" in capsys.readouterr().err
    assert data.alias_job is None and audit() == []


def test_viewer_workspace_is_refused(cli_world: DeployWorld, capsys: pytest.CaptureFixture[str]) -> None:
    workspace = ws.load(cli_world.path)
    workspace.profile = ws.Profile.VIEWER
    ws.save(workspace, cli_world.path)
    run_id = str(cli_world.github.data.runs[3].id)
    assert cli(cli_world, "ci", "rerun", run_id, "--env", "staging") == 3
    assert "viewer" in capsys.readouterr().err
    assert cli(cli_world, "--json", "ci", "runs", "--env", "staging", "--limit", "3") == 0
    runs = json.loads(capsys.readouterr().out)
    assert len(runs) == 3 and all(len(r["jobs"]) == 5 for r in runs)


def test_migrations_status_exit_codes(scratch_db: str, tmp_path: Path, app_dirs: dict[str, Path],
                                      standins: Standins, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    install_realtor_schema_sync(scratch_db, rows_scale=0.02)
    migration_story.apply_story(scratch_db, "production")
    w = make_world(tmp_path, app_dirs, standins, database_dsn=scratch_db)
    for key, value in w.secrets.items():
        monkeypatch.setenv(key, value)
    assert cli(w, "--json", "migrations", "status", "--env", "production") == 1
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"applied", "pending", "failed", "rolled_back", "modified", "not_in_folder", "up_to_date"}
    assert out["pending"] == ["20251001120000_add_listing_open_houses"] and out["up_to_date"] is False
    local = tmp_path / "migrations"
    for name, sql in MIGRATIONS:
        (local / name).mkdir(parents=True)
        (local / name / "migration.sql").write_bytes(sql.replace("\n", "\r\n").encode())
    assert cli(w, "migrations", "status", "--env", "production", "--migrations-dir", str(local)) == 0
    text = capsys.readouterr().out
    assert "Database schema is up to date!" in text
    assert cli(w, "migrations", "status", "--env", "production", "--migrations-dir", str(tmp_path / "no")) == 2


def test_inspect_follows_a_build_grade_and_job_log(cli_world: DeployWorld, capsys: pytest.CaptureFixture[str]) -> None:
    data = cli_world.vercel.data
    data.lines_per_poll = 6
    building = next(d for d in data.deployments if d.state == "BUILDING")
    building.finish_as = "ERROR"
    assert cli(cli_world, "deploy", "inspect", building.uid, "--env", "staging", "--logs") == 1
    captured = capsys.readouterr()
    assert "BUILDING" in captured.out and f"{building.uid}  ERROR" in captured.out
    assert "exited with 1" in captured.err, "stderr lines of the build go to stderr"
    # Grade: in a sandbox workspace a deployment answers at the platform stand-in.
    from sandbox.platform_standin import PlatformStandin

    platform = PlatformStandin().start()
    try:
        platform.force("healthy")
        workspace = ws.load(cli_world.path)
        workspace.sandbox = True
        workspace.environments["production"].app_url = platform.url
        ws.save(workspace, cli_world.path)
        assert cli(cli_world, "--json", "deploy", "grade", data.production_id, "--env", "production") == 0
        graded = json.loads(capsys.readouterr().out)
        assert graded["grade"] and graded["health"]["state"] == "healthy" and graded["url"] == platform.url
        platform.force("unhealthy")
        assert cli(cli_world, "deploy", "grade", data.production_id, "--env", "production") == 1
        assert "unhealthy" in capsys.readouterr().out
    finally:
        platform.stop()
    failed_run = next(r for r in cli_world.github.data.runs if r.conclusion == "failure")
    job = next(j for j in failed_run.jobs if j.conclusion == "failure")
    assert cli(cli_world, "ci", "log", str(job.id), "--env", "production") == 0
    assert "exit code 1" in capsys.readouterr().out
    assert cli(cli_world, "cache", "purge", "--env", "staging", "--url", "https://elsewhere.example/x") == 2
    assert "not in zone" in capsys.readouterr().err

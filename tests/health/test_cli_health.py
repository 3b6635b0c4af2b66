"""``realtor-ops health check`` end to end: a workspace file pointing at the platform stand-in and the
real PostgreSQL and Redis, secrets from the environment, JSON and table output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import run
from sandbox.platform_standin import PlatformStandin
from services.core import workspace as ws


def _workspace(path: Path, app_url: str) -> None:
    w = ws.Workspace(name="CLI test")
    env = ws.Environment(name="staging", kind=ws.EnvironmentKind.STAGING, app_url=app_url)
    env.database = ws.DatabaseSettings(host="127.0.0.1", port=5432, name="postgres", user="postgres",
                                       sslmode="disable")
    env.redis = ws.RedisSettings(host="127.0.0.1", port=6379)
    w.environments["staging"] = env
    ws.save(w, path)


def test_health_check_json_exit_0_when_all_up_then_1(pg_dsn: str, redis_url: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    standin = PlatformStandin(database_dsn=pg_dsn, redis_url=redis_url).start()
    standin.external_apis_url = standin.url + "/"
    path = tmp_path / "ws.toml"
    _workspace(path, standin.url)
    try:
        code = run(["--workspace", str(path), "--secrets-from-env", "health", "check", "--env", "staging", "--json",
                    "--check", "platform", "--check", "database", "--check", "redis"])
        out = json.loads(capsys.readouterr().out)
        assert code == 0, out
        assert [(r["env"], r["check"], r["status"]) for r in out] == [
            ("staging", "platform", "up"), ("staging", "database", "up"), ("staging", "redis", "up")]
        assert all(set(r) >= {"env", "check", "status", "latency_ms", "detail"} for r in out)
        assert all(isinstance(r["latency_ms"], float) for r in out)

        standin.force("unhealthy")
        code = run(["--workspace", str(path), "--secrets-from-env", "--json", "health", "check"])
        out = json.loads(capsys.readouterr().out)
        assert code == 1
        by = {r["check"]: r for r in out}
        assert by["platform"]["status"] == "down" and by["platform"]["detail"].startswith("Unhealthy (503)")
        assert by["headers"]["status"] == "up"  # plain http: graded C+, but every header as the seed's

        code = run(["--workspace", str(path), "--secrets-from-env", "health", "check", "--check", "platform"])
        text = capsys.readouterr().out
        assert code == 1
        assert "staging  platform  DOWN" in text and "0 of 1 checks up" in text
    finally:
        standin.stop()


def test_unknown_environment_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ws.toml"
    _workspace(path, "http://127.0.0.1:9")
    assert run(["--workspace", str(path), "health", "check", "--env", "nope"]) == 2
    assert "no environment named 'nope'" in capsys.readouterr().err

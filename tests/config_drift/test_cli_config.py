"""``realtor-ops config diff`` end to end against the stand-ins: its JSON is the service's rows, its
table the same rows, and the exit codes (0 all match, 1 otherwise, 2 bad usage)."""

from __future__ import annotations

import asyncio
import json

import pytest

from cli.config_commands import rows_of
from cli.main import run
from services.config_drift import ConfigDiffRequest, config_diff
from services.core import workspace as ws
from tests.config_drift.conftest import ConfigWorld
from tests.config_drift.test_config_diff import make_everything_match


@pytest.fixture
def cli_world(world: ConfigWorld, monkeypatch: pytest.MonkeyPatch) -> ConfigWorld:
    for key, value in world.secrets.items():
        monkeypatch.setenv(key, value)
    return world


def cli(w: ConfigWorld, *args: str) -> int:
    try:
        return run(["--workspace", str(w.path), "--secrets-from-env", *args])
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


def test_the_json_is_the_services_rows(cli_world: ConfigWorld, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(cli_world, "--json", "config", "diff", "--env", "staging") == 1
    printed = json.loads(capsys.readouterr().out)
    report = asyncio.run(config_diff(cli_world.ctx, ConfigDiffRequest("staging")))
    assert printed == report.to_json()
    assert printed["environment"] == "staging" and printed["failures"] == []
    for item in printed["items"]:
        assert set(item) == {"kind", "item", "seed", "live", "status", "explanation", "source"}
    assert {i["status"] for i in printed["items"]} >= {"matches", "differs", "not configured"}

    assert cli(cli_world, "config", "diff", "--env", "staging") == 1
    table = capsys.readouterr().out
    for kind, item, seed, _live, status, _why in rows_of(report):
        line = next(line for line in table.splitlines() if f" {item} " in f" {line} " and line.startswith(kind))
        assert seed in line and status in line
    assert report.summary() in table


def test_exit_0_when_everything_matches(cli_world: ConfigWorld, capsys: pytest.CaptureFixture[str]) -> None:
    make_everything_match(cli_world)
    ws.save(cli_world.ctx.workspace, cli_world.path)  # DATABASE_URL's parameters live in the workspace
    assert cli(cli_world, "--json", "config", "diff", "--env", "production") == 0
    printed = json.loads(capsys.readouterr().out)
    assert {i["status"] for i in printed["items"]} == {"matches"}


def test_a_failed_source_is_named_and_exits_1(cli_world: ConfigWorld, capsys: pytest.CaptureFixture[str]) -> None:
    cli_world.servers["upstash"].inject(status=401, times=5)
    assert cli(cli_world, "config", "diff", "--env", "production") == 1
    out = capsys.readouterr().out
    assert "note: Upstash database" in out and "could not be read" in out
    assert "static assets TTL" in out  # the rest is shown


@pytest.mark.parametrize("args", [("config", "diff"), ("config",), ("config", "diff", "--env", "qa"),
                                  ("config", "diff", "--env", "production", "--what")])
def test_usage_errors_exit_2(cli_world: ConfigWorld, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    assert cli(cli_world, *args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()

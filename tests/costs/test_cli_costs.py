"""``realtor-ops costs report|collect|recommendations`` end to end against the usage stand-ins: the JSON
fields the issue lists, the CSV, exit codes."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cli.main import run
from sandbox.provider_standins.catalog import SANDBOX_SECRETS
from services.core import workspace as ws
from services.costs.settings import sandbox_settings, save_settings
from tests.costs.conftest import UsageStandins, sandbox_like_workspace


@pytest.fixture
def live_standins() -> UsageStandins:  # type: ignore[misc]
    group = UsageStandins().start(now=datetime.now(UTC))
    yield group
    group.stop()
    group.check()


def _setup(tmp_path: Path, group: UsageStandins, monkeypatch: pytest.MonkeyPatch) -> Path:
    w = sandbox_like_workspace(group.api_base())
    path = tmp_path / "ws.toml"
    ws.save(w, path)
    for name, value in SANDBOX_SECRETS.items():
        monkeypatch.setenv(name, value)
    save_settings(sandbox_settings(), ws.data_dir())
    return path


def test_collect_then_report_json_and_csv(live_standins: UsageStandins, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = _setup(tmp_path, live_standins, monkeypatch)
    base = ["--workspace", str(path), "--secrets-from-env"]
    assert run([*base, "--json", "costs", "collect"]) == 0
    collected = json.loads(capsys.readouterr().out)
    assert {s["collector"] for s in collected["sources"]} >= {"vercel", "r2", "supabase", "upstash", "plans"}
    assert run([*base, "costs", "collect"]) == 0  # again: same days replaced
    assert "row(s) stored" in capsys.readouterr().out
    out_csv = tmp_path / "month.csv"
    assert run([*base, "costs", "report", "--json", "--csv", str(out_csv)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"month", "currency", "providers", "categories", "total_mtd", "total_forecast", "budget",
                           "recommendations"}
    assert all(set(p) >= {"provider", "mtd", "forecast", "source"} for p in report["providers"])
    assert [c["category"] for c in report["categories"]] == ["hosting", "database", "storage", "monitoring",
                                                             "external"]
    total = Decimal(report["total_mtd"])
    assert total > 0
    assert sum(Decimal(p["mtd"]) for p in report["providers"]) == total
    assert sum(Decimal(c["mtd"]) for c in report["categories"]) == total
    assert sum(Decimal(p["forecast"]) for p in report["providers"]) == Decimal(report["total_forecast"])
    with out_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and sum(Decimal(r["cost"]) for r in rows) == total
    assert report["budget"]["limit"] == "650.00"
    for r in report["recommendations"]:
        assert set(r) >= {"rule", "text", "figures", "monthly_saving"}
    # The same as a table, and one environment.
    assert run([*base, "costs", "report", "--env", "staging"]) == 0
    text = capsys.readouterr().out
    assert "environment staging" in text and "PROVIDER" in text


def test_bad_usage_exits_2(tmp_path: Path, live_standins: UsageStandins, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _setup(tmp_path, live_standins, monkeypatch)
    base = ["--workspace", str(path), "--secrets-from-env"]
    assert run([*base, "costs", "report", "--month", "2026-13"]) == 2
    assert "no month 13" in capsys.readouterr().err
    assert run([*base, "costs", "report", "--env", "nowhere"]) == 2
    assert "no environment named 'nowhere'" in capsys.readouterr().err
    (ws.data_dir() / "costs-prices.json").write_text('{"prices": [{"key": "x"}]}')
    assert run([*base, "costs", "collect"]) == 2
    assert "price 1 ('x')" in capsys.readouterr().err


def test_a_failing_source_makes_collect_exit_1(tmp_path: Path, live_standins: UsageStandins,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _setup(tmp_path, live_standins, monkeypatch)
    live_standins.servers["supabase"].stop()  # nothing listens there now
    assert run(["--workspace", str(path), "--secrets-from-env", "costs", "collect"]) == 1
    out = capsys.readouterr().out
    assert "supabase" in out and "failed" in out
    assert "vercel" in out and "ok" in out

"""The Environments screen's Configuration tab: the same rows as ``realtor-ops config diff`` against the
same stand-ins, its table model checked by QAbstractItemModelTester, a failed source named under it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from cli.main import run
from console.error_presenter import ErrorPresenter
from console.session import Session
from services.config_drift import ConfigItem, Kind, Status
from services.core.object_storage import S3Location
from tests.config_drift.conftest import ConfigWorld, config_world
from views.environments.config_model import STATUS_COLOURS, ConfigItemsModel, ItemRole
from views.environments.view import EnvironmentsView


@pytest.fixture
def world(tmp_path: Path, app_dirs: dict[str, Path], s3_location: S3Location) -> Iterator[ConfigWorld]:
    with config_world(tmp_path, app_dirs, s3_location) as built:
        yield built


def _view(qtbot, world: ConfigWorld, env: str) -> tuple[Session, EnvironmentsView]:  # type: ignore[no-untyped-def]
    session = Session(ErrorPresenter())
    view = EnvironmentsView(session)
    qtbot.addWidget(view)
    view.resize(1024, 640)
    session.current_env = env
    session.set_context(world.ctx)
    view.show()
    return session, view


def _shown(model: ConfigItemsModel) -> list[list[str]]:
    return [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_the_model_passes_the_model_tester(qapp) -> None:  # type: ignore[no-untyped-def]
    model = ConfigItemsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    items = [ConfigItem(Kind.CACHE, "images TTL", "30 d", "7 d", Status.DIFFERS, "Shorter.", "rules"),
             ConfigItem(Kind.REDIS, "eviction", "allkeys-lru", "", Status.UNREADABLE, "Down.", "Upstash")]
    model.set_items(items)
    assert model.rowCount() == 2 and model.columnCount() == 6
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(model.index(1, 3)) == "-"
    assert model.data(model.index(0, 4), Qt.ItemDataRole.ForegroundRole).name() == STATUS_COLOURS[Status.DIFFERS]
    assert model.data(model.index(1, 0), ItemRole) is items[1]
    assert "Read from: Upstash" in model.data(model.index(1, 5), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole).startswith("7 d\n\nShorter.")
    assert model.data(QModelIndex()) is None
    model.set_items([])
    assert model.rowCount() == 0


def test_the_tab_shows_the_clis_rows(qtbot, qloop, world: ConfigWorld, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _session, view = _view(qtbot, world, "staging")
    tab = view.config_tab
    QAbstractItemModelTester(tab.model, QAbstractItemModelTester.FailureReportingMode.Fatal)

    async def scenario() -> None:
        await view.load()
        titles = [view.tabs.tabText(i) for i in range(view.tabs.count())]
        assert "Configuration" in titles
        view.tabs.setCurrentWidget(tab)
        report = await tab.compare()
        assert report.environment == "staging" and tab.model.rowCount() == len(report.items) > 20
        assert "differs" in tab.summary.text() and tab.notes.text() == ""

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
    for key, value in world.secrets.items():
        monkeypatch.setenv(key, value)
    assert run(["--workspace", str(world.path), "--secrets-from-env", "--json", "config", "diff", "--env",
                "staging"]) == 1
    printed = json.loads(capsys.readouterr().out)
    cli_rows = [[i["kind"], i["item"], i["seed"], i["live"] or "-", i["status"], i["explanation"]]
                for i in printed["items"]]
    assert _shown(tab.model) == cli_rows

    # Another environment selected: the staging rows are not shown for it.
    view.session.select_environment("production")
    qloop.run_until_complete(view.load())
    assert tab.model.rowCount() == 0 and "production" in tab.summary.text()


def test_a_failed_source_is_named_under_the_table(qtbot, qloop, world: ConfigWorld) -> None:  # type: ignore[no-untyped-def]
    world.servers["supabase"].inject(status=403, times=5)
    _session, view = _view(qtbot, world, "production")

    async def scenario() -> None:
        await view.load()
        await view.config_tab.compare()

    qloop.run_until_complete(asyncio.wait_for(scenario(), 60))
    assert "Supabase pooler" in view.config_tab.notes.text() and "could not be read" in view.config_tab.notes.text()
    statuses = {i.item: i.status for i in view.config_tab.model.items()}
    assert statuses["pool mode"] == Status.UNREADABLE and statuses["max memory"] == Status.MATCHES

"""The Health view driven like a user would: the board follows a service going down and back up, the
status bar and the notifications follow production (one notification per transition), and the
drill-down shows the history, chart, incidents and header report."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from PySide6.QtCore import Qt

from console.error_presenter import ErrorPresenter
from console.session import Session
from console.window import MainWindow
from sandbox.platform_standin import PlatformStandin
from services.core import workspace as ws
from services.core.app_context import build_context
from services.health import Status
from tests.qt.conftest import wait_for
from views.health.view import HealthView


def _workspace(urls: dict[str, str]) -> ws.Workspace:
    w = ws.Workspace(name="Health test", profile=ws.Profile.ADMIN)
    for name, kind in (("production", ws.EnvironmentKind.PRODUCTION), ("staging", ws.EnvironmentKind.STAGING)):
        env = ws.Environment(name=name, kind=kind, app_url=urls[name])
        env.health.interval_s = 0  # back to back: the test waits for states, not for a clock
        env.health.intervals = {"headers": 1}
        env.health.retries = 0
        env.health.timeout_s = 3
        w.environments[name] = env
    return w


def test_board_follows_production_down_and_up_with_one_notification_per_transition(
        qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prod = PlatformStandin(version="3.0.0").start()
    staging = PlatformStandin(version="3.1.0-rc1").start()
    for standin in (prod, staging):
        standin.force("healthy")
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.show()
    view = window.show_view("health")
    assert isinstance(view, HealthView)
    monitor = view.monitor

    async def scenario() -> None:
        session.set_context(build_context(_workspace({"production": prod.url, "staging": staging.url}),
                                          tmp_path / "ws.toml"))
        await asyncio.wait_for(view.loaded.wait(), 20)
        await wait_for(lambda: view.cell_status("production", "platform") is Status.UP, timeout=15)
        await wait_for(lambda: view.cell_status("staging", "platform") is Status.UP, timeout=15)
        assert view.cell_text("production", "platform").startswith("UP · ")
        assert view.cell_text("production", "database") == "— not set up"
        assert window.lights["production"].state == "up"
        assert monitor.notifications == []  # a healthy start is quiet

        # Production goes down: board, status bar and one notification.
        prod.force("unhealthy")
        await wait_for(lambda: view.cell_status("production", "platform") is Status.DOWN, timeout=15)
        assert view.cell_text("production", "platform").startswith("DOWN")
        await wait_for(lambda: window.lights["production"].state == "down")
        assert "Unhealthy (503)" in window.lights["production"].toolTip()
        await wait_for(lambda: len(monitor.notifications) == 1)
        runs = monitor.poller.states[("production", "platform")].runs  # type: ignore[union-attr]
        await wait_for(lambda: monitor.poller.states[("production", "platform")].runs >= runs + 5)  # type: ignore[union-attr]
        assert [n.title for n in monitor.notifications] == ["production is down"]  # still one
        assert monitor.notifications[0].down

        # Staging going down changes its own cell and light, and notifies nobody.
        staging.force("malformed")
        await wait_for(lambda: view.cell_status("staging", "platform") is Status.DOWN, timeout=15)
        await wait_for(lambda: window.lights["staging"].state == "down")
        assert len(monitor.notifications) == 1

        # Production recovers: one more notification, then quiet again.
        prod.force("healthy")
        await wait_for(lambda: view.cell_status("production", "platform") is Status.UP, timeout=15)
        await wait_for(lambda: window.lights["production"].state == "up")
        await wait_for(lambda: len(monitor.notifications) == 2)
        runs = monitor.poller.states[("production", "platform")].runs  # type: ignore[union-attr]
        await wait_for(lambda: monitor.poller.states[("production", "platform")].runs >= runs + 5)  # type: ignore[union-attr]
        assert [n.title for n in monitor.notifications] == ["production is down", "production recovered"]

        # Drill-down: click the production platform cell.
        model = view.board_model
        index = model.index(model.envs.index("production"), model.checks.index("platform"))
        rect = view.board.visualRect(index)
        qtbot.mouseClick(view.board.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert view.selected == ("production", "platform")
        await view.load_detail()
        assert view.chart.points and {p.status for p in view.chart.points} >= {Status.UP, Status.DOWN}
        assert view.results_model.rowCount() > 5
        assert "Uptime: 24h" in view.uptime_label.text()
        assert view.parts_model.rowCount() == 6  # database, Redis, external APIs, version, uptime, time

        # Incidents: production's outage, closed, and staging's, still open.
        await view.load_incidents()
        rows = view.incidents_model.rows
        by_env = {r[0]: r for r in rows}
        assert by_env["production"][2] == "DOWN" and by_env["production"][4] != ""
        assert by_env["staging"][2] == "DOWN (ongoing)"

        # Security headers of production: all six as the seed's; a dropped header shows as missing.
        session.select_environment("production")
        await wait_for(lambda: view.headers_model.rowCount() == 6, timeout=15)
        # Plain http: graded D+ (40) by the Observatory's algorithm 5, with its ten tests and their rules.
        assert "grade <b>D+</b>, score 40 · algorithm 5 (Observatory v1.6.3)" in view.headers_title.text()
        assert view.tests_model.rowCount() == 10
        results = {r[1]: r[2] for r in view.tests_model.rows}
        assert results["redirection-missing"] == "-20" and results["x-frame-options-implemented-via-csp"] == "+5"
        assert view.tests_model.rows[0][2].startswith("-")  # deductions first
        assert view.tests_model.link(0).startswith("https://github.com/mdn/mdn-http-observatory/blob/22e088df")
        assert "no redirects" in view.chain_label.text()
        prod.drop_header("Permissions-Policy")
        await wait_for(lambda: any(r[0] == "Permissions-Policy" and r[1] == "MISSING"
                                   for r in view.headers_model.rows), timeout=15)
        assert view.cell_status("production", "headers") is Status.DEGRADED

    try:
        qloop.run_until_complete(scenario())
        qloop.run_until_complete(session.tasks.shutdown())
    finally:
        prod.stop()
        staging.stop()


def test_last_known_state_is_shown_with_its_age_after_a_restart(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prod = PlatformStandin().start()
    prod.force("unhealthy")
    workspace = _workspace({"production": prod.url, "staging": prod.url})
    workspace.environments.pop("staging")

    async def first_run() -> None:
        session = Session(ErrorPresenter())
        view = HealthView(session)
        qtbot.addWidget(view)
        session.set_context(build_context(workspace, tmp_path / "ws.toml"))
        await view.monitor.ready()
        await wait_for(lambda: view.cell_status("production", "platform") is Status.DOWN, timeout=15)
        # Every check of production has a result to remember (else the restart waits for it).
        poller = view.monitor.poller
        assert poller is not None
        await wait_for(lambda: all(s.last is not None for s in poller.env_states("production")), timeout=30)
        await session.tasks.shutdown()

    async def offline_restart() -> None:
        prod.stop()
        # Offline: the address accepts connections but never answers, so no new result comes in.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = workspace.environments["production"]
        env.app_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env.health.interval_s = 3600
        env.health.timeout_s = 30
        session = Session(ErrorPresenter())
        view = HealthView(session)
        qtbot.addWidget(view)
        session.set_context(build_context(workspace, tmp_path / "ws.toml"))
        await view.monitor.ready()
        view.show()
        await asyncio.wait_for(view.loaded.wait(), 10)
        text = view.cell_text("production", "platform")
        # Restored from the history before any new result: the last known state, with its age.
        assert text.startswith("DOWN · last known") and text.endswith("s ago"), text
        assert view.board_model.data(view.board_model.index(0, 0), Qt.ItemDataRole.FontRole).italic()
        await session.tasks.shutdown()
        silent.close()

    try:
        qloop.run_until_complete(first_run())
        qloop.run_until_complete(offline_restart())
    finally:
        prod.stop()


def test_observatory_tests_model_shows_results_scores_and_rule_links(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QAbstractItemModelTester

    from services.health.security_headers import grade_headers
    from views.health.models import ObservatoryTestsModel

    page = '<html><head><script src="https://unpkg.com/x.js"></script></head></html>'
    report = grade_headers([("X-Frame-Options", "DENY"), ("Content-Type", "text/html")],
                           url="https://www.harborpoint.example/", html=page)
    model = ObservatoryTestsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_report(report)
    assert model.rowCount() == 10
    rows = {r[1]: r for r in model.rows}
    sri = rows["sri-not-implemented-but-external-scripts-loaded-securely"]
    assert sri[2] == "-5" and "https://unpkg.com/x.js (no integrity)" in sri[3]
    assert sri[4] == "subresource-integrity.js"
    assert rows["x-frame-options-sameorigin-or-deny"][2] == "+5"
    row = model.rows.index(sri)
    assert model.data(model.index(row, 4), Qt.ItemDataRole.ToolTipRole).endswith(
        "/src/analyzer/tests/subresource-integrity.js")
    assert "third-party script" in model.data(model.index(row, 1), Qt.ItemDataRole.ToolTipRole)
    model.set_report(None)
    assert model.rowCount() == 0 and model.link(0) == ""

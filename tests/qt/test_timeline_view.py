"""The Timeline screen: Vercel's deployments (stand-in), the audit log and the health history merged;
an incident 10 minutes after production's live deployment is linked to it and offers the guarded
rollback to the deployment before it; a source that is down is named, the rest shown."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from PySide6.QtTest import QAbstractItemModelTester

from console.error_presenter import ErrorPresenter
from console.production_guard import current_unlock_dialog
from console.session import Session
from console.window import MainWindow
from sandbox.provider_standins import start_all
from services.core import workspace as ws
from services.core.app_context import AppContext, AppPaths
from services.core.audit_log import AuditLog
from services.core.credentials import CredentialStore
from services.core.log_setup import MASKER
from services.health.history import HealthHistory
from services.health.model import Status, Transition
from services.timeline import Kind
from tests.qt.conftest import wait_for

SHOTS = os.environ.get("REALTOR_SCREENSHOTS")


def test_timeline_links_an_incident_to_the_deployment_before_it(qtbot, qloop, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                app_dirs: dict[str, Path]) -> None:
    group = start_all()
    try:
        workspace = ws.Workspace(name="Timeline", profile=ws.Profile.ADMIN)
        env = ws.seed_environment("production", ws.EnvironmentKind.PRODUCTION)
        env.providers = group.provider_settings("production")
        workspace.environments["production"] = env
        path = tmp_path / "workspace.toml"
        ws.save(workspace, path)
        secrets = {f"PRODUCTION_{k}": v for k, v in group.tokens().items()}
        paths = AppPaths(app_dirs["config"], app_dirs["data"], app_dirs["state"], app_dirs["cache"])
        ctx = AppContext(workspace, path, CredentialStore(workspace.id, from_env=secrets),
                         AuditLog(paths.data / "audit.sqlite3", workspace=workspace.name, mask=MASKER), paths)
        session = Session(ErrorPresenter())
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        session.set_context(ctx)

        async def scenario() -> None:
            from services.deployments import vercel_ops

            rows = await vercel_ops.list_deployments(ctx, vercel_ops.ListRequest("production", limit=100))
            live = next(r.deployment for r in rows if r.current)
            went_live = live.ready_at or live.created_at
            history = HealthHistory(paths.data / "health.sqlite3")
            history.record_batch([
                Transition("production", "platform", Status.UP, Status.DOWN, went_live + timedelta(minutes=10),
                           "503 from /api/health"),
                Transition("production", "platform", Status.DOWN, Status.UP, went_live + timedelta(minutes=25), "ok"),
                Transition("production", "redis", Status.UP, Status.DEGRADED, went_live + timedelta(hours=2),
                           "memory 93% of 64 MiB")])
            history.close()
            ctx.audit.record(environment="production", action="set secret", target="RESEND_API_KEY", outcome="done",
                             reason="rotated after the leak")

            view = window.show_view("timeline")
            QAbstractItemModelTester(view.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
            await wait_for(lambda: view.loaded.is_set() and view.timeline is not None, timeout=60)
            timeline = view.timeline
            assert timeline is not None
            times = [e.time for e in timeline.events]
            assert times == sorted(times, reverse=True)
            incidents = [e for e in timeline.events if e.kind is Kind.INCIDENT]
            early = next(e for e in incidents if "503" in e.summary)
            late = next(e for e in incidents if "memory" in e.summary)
            assert early.related == (f"deployment:{live.id}",) and "resolved after 15 min" in early.summary
            assert late.related == ()  # two hours after: not linked
            assert any(e.kind is Kind.ENV_EDIT and "rotated after the leak" in e.summary for e in timeline.events)
            offer = dict(early.offers)["rollback"]
            assert offer.startswith("deployment:") and offer != f"deployment:{live.id}"

            row = [e.id for e in view.model.rows()].index(early.id)
            view.table.selectRow(row)
            assert view.rollback_button.isEnabled() and not view.restore_button.isEnabled()
            assert "Linked: deployment" in view.details.text()
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                await asyncio.sleep(0.2)
                window.grab().save(str(Path(SHOTS) / "timeline-correlated-incident.png"))

            # The row's rollback is the guarded one: production wants its name and a reason.
            task = asyncio.ensure_future(view.offer("rollback"))
            await wait_for(lambda: current_unlock_dialog() is not None, timeout=30)
            dialog = current_unlock_dialog()
            assert dialog is not None and not dialog.ok_button.isEnabled()
            assert offer.split(":", 1)[1] in "".join(label.text() for label in dialog.findChildren(type(dialog.problem)))
            dialog.reject()
            assert await asyncio.wait_for(task, 10) is None
            assert window.current_view() is window.views["deployments"]

            # Vercel down: its events are shown as last known, the gap is named, the rest is there.
            group.stop()
            window.show_view("timeline")
            view.reload()
            await wait_for(lambda: view.loaded.is_set() and view.timeline is not None and bool(view.timeline.gaps),
                           timeout=90)
            assert any("Vercel" in g.source for g in view.timeline.gaps)
            assert "could not be read" in view.status.text()
            assert any(r.startswith("[last known]") for r in
                       (view.model.index(i, 4).data() for i in range(view.model.rowCount())))
            assert any(e.kind is Kind.INCIDENT for e in view.timeline.events)

        qloop.run_until_complete(scenario())
    finally:
        group.stop()

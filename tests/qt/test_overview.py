"""The broker's first screen: site state, last backup (and its verification), failed deployments."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.error_presenter import ErrorPresenter
from console.session import Session
from sandbox.provider_standins import vercel
from sandbox.provider_standins.history import PROJECT_ID, millis
from services.backup.dump_stream import create_backup
from services.core import workspace as ws
from services.core.credentials import CredentialStore
from tests.backup.conftest import build, make_env
from views.overview.view import OverviewView


def test_overview_answers_the_brokers_questions(qtbot, qloop, scratch_db: str, s3_location, s3_bucket: str,  # type: ignore[no-untyped-def]
                                                tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    standin = vercel.create().start()
    try:
        # A deployment that failed an hour ago, on top of the stand-in's history.
        failed = next(d for d in standin.data.deployments if d.state == "ERROR" and d.target == "production")
        standin.data.deployments.insert(0, dataclasses.replace(
            failed, uid="dpl_failedOneHourAgo000000000000", created=millis(datetime.now(UTC) - timedelta(hours=1))))
        day_ago = millis(datetime.now(UTC) - timedelta(days=1))
        expected_failures = sum(1 for d in standin.data.deployments
                                if d.state == "ERROR" and d.target == "production" and d.created >= day_ago)

        prod = make_env("production", ws.EnvironmentKind.PRODUCTION, scratch_db, s3_location.endpoint_url, s3_bucket)
        prod.providers.vercel_project_id = PROJECT_ID
        prod.providers.api_base = {"vercel": standin.base_url}
        staging = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
        ctx, _, secrets = build(tmp_path, [prod, staging], app_dirs)
        ctx.credentials = CredentialStore(ctx.workspace.id, from_env={**secrets, "VERCEL_TOKEN": vercel.TOKEN})
        session = Session(ErrorPresenter())

        async def scenario() -> None:
            view = OverviewView(session)
            qtbot.addWidget(view)
            session.set_context(ctx)
            view.show()
            await asyncio.wait_for(view.loaded.wait(), 30)
            backup = view.cards["backup"]
            assert backup.state == "down" and "No good backup yet" in backup.detail.text()

            await create_backup(ctx, "production")
            view.loaded.clear()
            view.reload()
            await asyncio.wait_for(view.loaded.wait(), 30)
            assert backup.state == "up" and "Last good backup" in backup.detail.text()
            assert "not verified yet" in backup.detail.text()

            deployments = view.cards["deployments"]
            assert deployments.state == "down"
            assert f"{expected_failures} deployment" in deployments.detail.text()
            assert "Live:" in deployments.detail.text()

            # The site cards follow the health lights, in words as well as colour.
            session.set_light("production", "down", "Platform /api/health answered 503")
            assert view.cards["production"].state == "down"
            assert "503" in view.cards["production"].detail.text()
            assert "Down" in view.cards["production"].headline.text()
            assert view.cards["staging"].state == "unknown"
            assert "No figures yet" in view.cards["costs"].headline.text()  # no cost snapshot in this workspace

        qloop.run_until_complete(scenario())
    finally:
        standin.stop()

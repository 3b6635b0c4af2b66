"""The Overview on a relaunch with every provider down: each card shows its last-known value at once,
marked with its age, never a placeholder once it had one; when the providers answer again the cards
refresh on their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sandbox.platform_standin import PlatformStandin
from sandbox.ports import free_port
from sandbox.provider_standins.catalog import STANDINS, StandinGroup
from services.backup.dump_stream import create_backup
from tests.qt.overview_world import PLACEHOLDER, launch, overview_workspace, shot, until
from views.overview.view import ENVS, OverviewView


def test_overview_offline_from_last_known_then_refreshed(qtbot, qloop, scratch_db: str, s3_location,  # type: ignore[no-untyped-def]
                                                          s3_bucket: str, tmp_path: Path, app_dirs: dict[str, Path],
                                                          monkeypatch) -> None:
    monkeypatch.setattr(OverviewView, "retry_s", 0.5)
    group = StandinGroup().start()  # every provider the workspace knows
    ports = {name: server.port for name, server in group.servers.items()}
    platform = PlatformStandin(database_dsn=scratch_db).start()
    platform.force("healthy")
    revived: list = []
    ctx, envs = overview_workspace(group, platform, scratch_db, s3_location, s3_bucket, tmp_path, app_dirs)
    ctx.workspace.name = "Harbor Point Realty"
    dead = f"http://127.0.0.1:{free_port()}"

    async def scenario() -> None:
        # A first launch with everything up: the history the next launch starts from.
        await create_backup(ctx, "production")
        session, window, view, _ = await launch(qtbot, ctx)
        await until(lambda: all(c.fresh for c in view.cards.values()), 90, "every card fresh on the first launch")
        await asyncio.sleep(0.3)  # the status bar's lights follow the poller every 200 ms
        shot(window, "overview-fresh.png")
        assert view.cards["backup"].headline.text().endswith("On time")
        assert view.cards["backup_staging"].headline.text().endswith("None yet")
        assert "Live:" in view.cards["deployments_staging"].detail.text()
        live_prod = view.cards["deployments"].detail.text()
        await session.tasks.shutdown()
        window.close()

        # Relaunch with every provider down (their ports closed), the bucket unreachable, the site slow.
        group.stop()
        platform.force("slow", delay=8)
        for env in envs:
            env.backup.endpoint_url = dead
        session, window, view, seen = await launch(qtbot, ctx)
        await asyncio.wait_for(view.loaded.wait(), 90)
        for key in ("backup", "backup_staging", "deployments", "deployments_staging", "attention"):
            card = view.cards[key]
            assert card.filled and not card.fresh, key
            assert card.age.isVisibleTo(card) and card.age.text().startswith("Last known, "), key
            assert " ago — " in card.age.text(), key
        assert "could not be refreshed" in view.cards["backup"].age.text()
        assert "could not be refreshed" in view.cards["deployments"].age.text()
        assert view.cards["backup"].headline.text().endswith("On time")
        assert view.cards["deployments"].detail.text() == live_prod  # the last-known summary, as it was
        assert view.cards["costs"].filled  # today's snapshot is in the local store
        # The sites: the state restored from the health history while the slow check runs.
        for kind in ENVS:
            await until(lambda kind=kind: view.cards[kind].filled, 10, f"the {kind} site's last-known state")
            site = view.cards[kind]
            assert not site.fresh and site.headline.text().endswith("Up")
            assert site.age.text().startswith("Last known, ") and "checking now" in site.age.text()
        shot(window, "overview-offline.png")

        # The providers answer again: the view reads them again on its own.
        revived.extend(STANDINS[name](port=port).start() for name, port in ports.items())
        for env in envs:
            env.backup.endpoint_url = s3_location.endpoint_url
        await until(lambda: all(c.fresh for c in view.cards.values()), 90, "every card fresh after the outage")
        for key, card in view.cards.items():
            assert not card.age.isVisibleTo(card), key
        assert "Last known" not in view.cards["production"].detail.text()

        # Never a placeholder (nor an ellipsis) once a card had a value.
        for key, states in seen.items():
            first = next(i for i, s in enumerate(states) if s[0])
            for filled, _fresh, headline, _age in states[first:]:
                assert filled and PLACEHOLDER not in headline and "…" not in headline, (key, states)
        await session.tasks.shutdown()
        window.close()

    try:
        qloop.run_until_complete(scenario())
    finally:
        group.stop()
        for server in revived:
            server.stop()
        platform.stop()

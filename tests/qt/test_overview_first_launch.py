"""The Overview on a first launch (nothing known yet) with slow providers and a far bucket: a card whose
answer needs a read that waits for another (the organization after the project, the failed runs' jobs
after the runs, the backups' documents after the listing) shows what is already read, naming what is still
being read, and becomes whole when that answer comes; a site's card is never filled by another check's
answer."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

from sandbox.platform_standin import PlatformStandin
from sandbox.provider_standins import supabase
from sandbox.provider_standins.catalog import StandinGroup
from services.backup.dump_stream import create_backup
from tests.qt.overview_world import launch, overview_workspace, shot, until

SLOW_S = 2.0


def _amount(headline: str) -> float:
    found = re.search(r"([\d,]+\.\d\d) USD so far", headline)
    assert found, headline
    return float(found.group(1).replace(",", ""))


def test_first_launch_fills_cards_with_what_is_read_and_names_the_rest(  # type: ignore[no-untyped-def]
        qtbot, qloop, scratch_db: str, s3_location, s3_bucket: str, tmp_path: Path, app_dirs: dict[str, Path],
        monkeypatch) -> None:
    from services.backup.store import BackupStore

    reading = BackupStore.get_bytes

    def slow_documents(self, key):  # type: ignore[no-untyped-def]
        time.sleep(SLOW_S)  # a far bucket: the manifests and verifications come after the listing
        return reading(self, key)

    group = StandinGroup().start()
    platform = PlatformStandin(database_dsn=scratch_db).start()
    platform.force("slow", delay=SLOW_S)  # the site's own check answers last

    def slow_second_reads(request, response):  # type: ignore[no-untyped-def]
        # The reads that wait for another's answer: the organization (after the project), the failed runs'
        # jobs (after the runs).
        if request.path == f"/v1/organizations/{supabase.ORGANIZATION}" or request.path.endswith("/jobs"):
            time.sleep(SLOW_S)
        return response

    for name in ("supabase", "github"):
        group.servers[name].answer_transform = slow_second_reads
    ctx, _envs = overview_workspace(group, platform, scratch_db, s3_location, s3_bucket, tmp_path, app_dirs)

    async def scenario() -> None:
        await create_backup(ctx, "production")
        shutil.rmtree(ctx.paths.cache / "backups", ignore_errors=True)  # a first launch: nothing cached
        monkeypatch.setattr(BackupStore, "get_bytes", slow_documents)
        session, window, view, seen = await launch(qtbot, ctx)
        costs, attention, backup = view.cards["costs"], view.cards["attention"], view.cards["backup"]
        await until(lambda: backup.filled, 30, "the backup card filled from the listing")
        assert not backup.fresh and backup.headline.text().endswith("On time")
        assert "its manifest and verification are being read" in backup.detail.text() or \
            "its manifest is being read" in backup.detail.text()
        assert backup.age.text().startswith("Still reading the backups' manifests and verifications")
        await until(lambda: costs.filled and attention.filled, 30, "the cost and attention cards filled")
        # Filled from what was read, not fresh, and saying what is still being read.
        assert not costs.fresh and "Still reading the Supabase organization's plan" in costs.age.text()
        partial_amount = _amount(costs.headline.text())
        await until(lambda: attention.filled and "GitHub Actions" in attention.age.text(), 5,
                    "the attention card naming GitHub Actions as still being read")
        assert not attention.fresh and "its jobs are being read" in attention.detail.text()
        shot(window, "overview-first-launch.png")

        await until(lambda: all(c.fresh for c in view.cards.values()), 60, "every card fresh")
        assert not costs.age.isVisibleTo(costs) and not attention.age.isVisibleTo(attention)
        assert _amount(costs.headline.text()) > partial_amount  # the organization's plan, counted now
        assert "— failing: " in attention.detail.text() and "being read" not in attention.detail.text()
        assert "being read" not in backup.detail.text() and "not verified yet" in backup.detail.text()
        # Nothing was known: no card ever showed a last-known value (a live read's first answers are none).
        for key, states in seen.items():
            assert all("Last known" not in age for *_, age in states), (key, states)
        # A site's card waited for the site's own check: never filled with another check's answer.
        for kind in ("production", "staging"):
            filled = [s for s in seen[kind] if s[0]]
            assert filled and all("Unknown" not in headline for _f, _fr, headline, _age in filled), seen[kind]
        await session.tasks.shutdown()
        window.close()

    try:
        qloop.run_until_complete(asyncio.wait_for(scenario(), 120))
    finally:
        group.stop()
        platform.stop()

"""What the Overview's Qt tests share: production and staging on the provider stand-ins, the platform
stand-in and a real bucket; a launch as the console does it; helpers to wait and to record each card."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.error_presenter import ErrorPresenter
from console.health_monitor import HealthMonitor
from console.session import Session
from console.window import MainWindow
from sandbox.platform_standin import PlatformStandin
from sandbox.provider_standins.catalog import SANDBOX_SECRETS, StandinGroup
from services.core import workspace as ws
from services.core.app_context import AppContext
from services.core.credentials import CredentialStore
from tests.backup.conftest import build, make_env
from views.overview.view import OverviewView

PLACEHOLDER = "Not read yet"
SHOTS = os.environ.get("REALTOR_SCREENSHOTS")  # a folder: save the screenshots there
Seen = dict[str, list[tuple[bool, bool, str, str]]]


def shot(window: MainWindow, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        window.grab().save(str(Path(SHOTS) / name))


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def watch(view: OverviewView) -> Seen:
    """Every state each card shows, in order: (filled, fresh, headline, age line)."""
    seen: Seen = {k: [] for k in view.cards}
    for key, card in view.cards.items():
        card.changed.connect(lambda key=key, card=card: seen[key].append(
            (card.filled, card.fresh, card.headline.text(), card.age.text() if card.age.isVisibleTo(card) else "")))
    return seen


def overview_workspace(group: StandinGroup, platform: PlatformStandin, scratch_db: str, s3_location: Any,
                       s3_bucket: str, tmp_path: Path, app_dirs: dict[str, Path]) -> tuple[AppContext, list[Any]]:
    """Production and staging on the stand-ins, the platform and the bucket; secrets from memory."""
    envs = []
    for name, kind in (("production", ws.EnvironmentKind.PRODUCTION), ("staging", ws.EnvironmentKind.STAGING)):
        env = make_env(name, kind, scratch_db, s3_location.endpoint_url, s3_bucket)
        env.providers = group.provider_settings(name)
        env.app_url = platform.url
        env.health = ws.HealthSettings(interval_s=3600, timeout_s=30, retries=0)
        envs.append(env)
    ctx, _, secrets = build(tmp_path, envs, app_dirs)
    ctx.credentials = CredentialStore(ctx.workspace.id, from_env={**secrets, **SANDBOX_SECRETS})
    return ctx, envs


async def launch(qtbot: Any, ctx: AppContext) -> tuple[Session, MainWindow, OverviewView, Seen]:
    """As the console starts: the window on the Overview, the health monitor, then the workspace."""
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1280, 900)
    view = window.show_view("overview")
    assert isinstance(view, OverviewView)
    seen = watch(view)
    window.show()
    HealthMonitor(session, session)
    session.set_context(ctx)
    return session, window, view, seen

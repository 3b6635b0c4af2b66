"""Deployments: what is live, did last night's deploy fail, roll it back now. Four tabs over the same
services as ``realtor-ops deploy|ci|migrations|cache``: Vercel deployments (with inspect, promote,
rollback, redeploy, cancel), GitHub Actions runs, Prisma migrations, Cloudflare cache."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from console.session import Session
from services.core.concurrency import settle
from views.base import OpsView, heading
from views.deployments.cache_tab import CacheTab
from views.deployments.deployments_tab import DeploymentsTab
from views.deployments.migrations_tab import MigrationsTab
from views.deployments.runs_tab import RunsTab


class DeploymentsView(OpsView):
    key = "deployments"
    title = "Deployments"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.deployments = DeploymentsTab(session)
        self.runs = RunsTab(session)
        self.migrations = MigrationsTab(session)
        self.cache = CacheTab(session)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.deployments, "Vercel deployments")
        self.tabs.addTab(self.runs, "GitHub Actions")
        self.tabs.addTab(self.migrations, "Migrations")
        self.tabs.addTab(self.cache, "Cache")
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Deployments"))
        layout.addWidget(self.tabs, 1)

    async def load(self) -> None:
        env = self.data_env = self.env_name  # actions act on the environment of the data shown
        if not self.session.ready or not env:
            return
        # The deployments list first (what the screen opens on); the other tabs fill in beside it.
        await self.deployments.load(env)
        self.loaded.set()
        await settle(self.runs.load(env), self.migrations.load(env), self.cache.load(env))

"""The Cache tab: purge the environment's Cloudflare zone by URL, tag, prefix or host (one per line),
or everything (guarded: the typed name); the seed's cache TTL policy shown beside it."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.jobs import Job
from console.production_guard import authorize_in_ui
from console.session import Session
from services.core.guard import can_change
from services.core.progress import Progress
from services.deployments.cache_purge import SEED_TTL_POLICY, PurgeRequest, purge

KINDS = (("URLs", "url"), ("Cache tags", "tag"), ("Prefixes (host/path, no scheme)", "prefix"),
         ("Host names", "host"), ("Everything", "everything"))


class CacheTab(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.env_name = ""
        self.last_job: Job | None = None
        self.kind = QComboBox()
        for label, key in KINDS:
            self.kind.addItem(label, key)
        self.kind.setAccessibleName("What to purge")
        self.values = QPlainTextEdit()
        self.values.setPlaceholderText("one per line, e.g. https://realtor-platform.com/listings/42")
        self.values.setAccessibleName("Values to purge, one per line")
        self.purge_button = QPushButton("Purge…")
        self.zone = QLabel("")
        policy = "; ".join(f"{what}: {ttl}" for what, ttl in SEED_TTL_POLICY)
        self.policy = QLabel(f"Cache TTLs set by the platform (seed): {policy}. Limits per request: 100 URLs "
                             "(500 on Enterprise), 100 tags, prefixes or hosts; they are checked before sending.")
        self.policy.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Purge:"))
        row.addWidget(self.kind, 1)
        row.addWidget(self.purge_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.zone)
        layout.addLayout(row)
        layout.addWidget(self.values, 1)
        layout.addWidget(self.policy)
        self.kind.currentIndexChanged.connect(lambda _i: self.values.setEnabled(self.kind.currentData() != "everything"))
        self.purge_button.clicked.connect(lambda: self.session.spawn(self.purge(), name="cache purge"))

    async def load(self, env_name: str) -> None:
        self.env_name = env_name
        env = self.session.ctx.workspace.environment(env_name)
        zone = env.providers.cloudflare_zone_id
        self.zone.setText(f"Cloudflare zone: <b>{html.escape(zone)}</b>" if zone else
                          "No Cloudflare zone is configured for this environment.")
        admin = can_change(self.session.ctx.workspace)
        self.purge_button.setEnabled(bool(zone) and admin)
        self.purge_button.setToolTip("" if admin else "Your workspace profile is 'viewer'")

    async def purge(self) -> Job | None:
        kind = str(self.kind.currentData())
        values = tuple(v for v in self.values.toPlainText().splitlines() if v.strip())
        ctx, env = self.session.ctx, self.env_name
        action = "cache purge everything" if kind == "everything" else "cache purge"
        what = ("<b>everything</b> cached for the zone: every visitor's next request goes to the origin"
                if kind == "everything" else f"{len(values)} {html.escape(kind)}(s) from the cache")
        auth = await authorize_in_ui(self.session, env, action, parent=self, consequences=[f"purge {what}"],
                                     target_name=env if kind == "everything" else None)
        if auth is None:
            return None

        async def work(progress: Progress) -> Any:
            return await purge(ctx, PurgeRequest(env, kind, values), auth)

        self.last_job = self.session.jobs.start(f"Purge cache ({kind})", work, environment=env, kind="purge")
        return self.last_job

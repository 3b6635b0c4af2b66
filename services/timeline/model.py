"""The timeline's plain data: events, the sources that could not be read, the merged result."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Kind(enum.StrEnum):
    DEPLOYMENT = "deployment"
    PROMOTION = "promotion"
    ROLLBACK = "rollback"
    CI_RUN = "ci-run"
    MIGRATION = "migration"
    BACKUP = "backup"
    VERIFICATION = "verification"
    RESTORE = "restore"
    INCIDENT = "incident"
    CACHE_PURGE = "cache-purge"
    ENV_EDIT = "environment-edit"
    COST_ANOMALY = "cost-anomaly"


# The screen an event's row links to (a view key of the console).
SCREEN_OF: dict[Kind, str] = {
    Kind.DEPLOYMENT: "deployments", Kind.PROMOTION: "deployments", Kind.ROLLBACK: "deployments",
    Kind.CI_RUN: "deployments", Kind.MIGRATION: "deployments", Kind.CACHE_PURGE: "deployments",
    Kind.BACKUP: "backups", Kind.VERIFICATION: "backups", Kind.RESTORE: "backups",
    Kind.INCIDENT: "health", Kind.ENV_EDIT: "environments", Kind.COST_ANOMALY: "costs",
}


@dataclass(frozen=True)
class Event:
    id: str  # stable across reads: "<source>:<its own id>"
    time: datetime  # UTC
    kind: Kind
    environment: str
    actor: str
    summary: str  # one line
    attention: bool = False  # failed, down, rolled back: what a person should look at
    related: tuple[str, ...] = ()  # ids of linked events (an incident and the deployment before it)
    ended: datetime | None = None  # incidents: when it was resolved (None: still open)
    ref: str = ""  # the provider's or catalog's own id (a deployment id, a backup id)
    change: bool = False  # it changed what runs (a deployment went live, a rollback, a migration applied)
    # What the row offers, as (action, event id): ("rollback", the deployment before the one linked),
    # ("restore", the last good backup before the migration linked).
    offers: tuple[tuple[str, str], ...] = ()

    @property
    def screen(self) -> str:
        return SCREEN_OF[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time.isoformat(), "kind": self.kind.value, "environment": self.environment,
                "actor": self.actor, "summary": self.summary, "attention": self.attention,
                "related": list(self.related), "ended": self.ended.isoformat() if self.ended else None,
                "ref": self.ref, "screen": self.screen, "change": self.change,
                "offers": [{"action": a, "event": e} for a, e in self.offers]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Event:
        return cls(doc["id"], datetime.fromisoformat(doc["time"]), Kind(doc["kind"]), doc["environment"],
                   doc["actor"], doc["summary"], bool(doc.get("attention")), tuple(doc.get("related") or ()),
                   datetime.fromisoformat(doc["ended"]) if doc.get("ended") else None, doc.get("ref", ""),
                   bool(doc.get("change")), tuple((o["action"], o["event"]) for o in doc.get("offers") or ()))


@dataclass(frozen=True)
class Gap:
    """A source that could not be read this time: the rest is shown, and the gap is named."""

    source: str
    environment: str
    reason: str
    cached_at: datetime | None = None  # its last-known events are shown, from this time

    def sentence(self) -> str:
        tail = (f"; showing what was known at {self.cached_at:%Y-%m-%d %H:%M} UTC" if self.cached_at
                else "; nothing known from it")
        return f"{self.source} ({self.environment}) could not be read: {self.reason}{tail}"

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "environment": self.environment, "reason": self.reason,
                "cached_at": self.cached_at.isoformat() if self.cached_at else None}


@dataclass(frozen=True)
class Timeline:
    events: tuple[Event, ...]  # newest first
    gaps: tuple[Gap, ...] = ()
    window_min: int = 30
    read_at: datetime | None = None
    # A timeline still being read (what ``build_timeline`` tells ``on_partial``): the sources not done yet.
    pending: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"events": [e.to_json() for e in self.events], "gaps": [g.to_json() for g in self.gaps],
                "correlation_window_min": self.window_min,
                "read_at": self.read_at.isoformat() if self.read_at else None}

    def find(self, event_id: str) -> Event | None:
        return next((e for e in self.events if e.id == event_id), None)

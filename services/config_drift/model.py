"""What ``config diff`` returns: one row per configured item, plain data for the CLI and the screen."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Kind(enum.StrEnum):
    FUNCTIONS = "functions"
    CACHE = "cache"
    DATABASE = "database"
    REDIS = "redis"
    BACKUP = "backup"
    STORAGE = "storage"
    HEADERS = "headers"


class Status(enum.StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    NOT_CONFIGURED = "not configured"
    UNREADABLE = "could not be read"


TABLE_HEADERS = ("Kind", "Item", "Seed", "Live", "Status", "Why")


@dataclass(frozen=True)
class ConfigItem:
    kind: Kind
    item: str
    seed: str  # what the seed prescribes, in words and units
    live: str  # what is configured, or "" when it could not be read
    status: Status
    explanation: str  # one plain sentence
    source: str  # where the live value was read

    def cells(self) -> list[str]:
        """The row as the CLI's table and the Configuration tab show it (``TABLE_HEADERS``)."""
        return [self.kind.value, self.item, self.seed, self.live or "-", self.status.value, self.explanation]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "item": self.item, "seed": self.seed, "live": self.live,
                "status": self.status.value, "explanation": self.explanation, "source": self.source}


@dataclass(frozen=True)
class SourceFailure:
    source: str
    reason: str

    def sentence(self) -> str:
        return f"{self.source} could not be read: {self.reason}"


@dataclass(frozen=True)
class ConfigDiffRequest:
    environment: str


@dataclass(frozen=True)
class ConfigReport:
    environment: str
    items: tuple[ConfigItem, ...]
    failures: tuple[SourceFailure, ...] = ()

    @property
    def all_match(self) -> bool:
        return all(i.status == Status.MATCHES for i in self.items)

    def count(self, status: Status) -> int:
        return sum(1 for i in self.items if i.status == status)

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s.value}" for s in Status if self.count(s)]
        return f"{self.environment}: " + (", ".join(parts) or "nothing to compare")

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "items": [i.to_json() for i in self.items],
                "failures": [{"source": f.source, "reason": f.reason} for f in self.failures]}

"""What a health check returns: a typed, frozen result the board, the history and the CLI share.

Statuses follow Uptime Kuma / Gatus: ``up`` works, ``degraded`` works with a warning (slow, nearly
full, a certificate expiring soon, a weak header), ``down`` does not work, ``unknown`` could not be
told (not checked yet, or the check itself failed).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.health.names import CHECK_LABELS as CHECK_LABELS  # re-exported
from services.health.names import CHECK_NAMES as CHECK_NAMES  # re-exported


class Status(enum.StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"

    @property
    def severity(self) -> int:
        """Order for "worst of": unknown < up < degraded < down."""
        return _SEVERITY[self]

    @property
    def words(self) -> str:
        """The state in words for people (never colour alone)."""
        return _WORDS[self]


_SEVERITY = {Status.UNKNOWN: 0, Status.UP: 1, Status.DEGRADED: 2, Status.DOWN: 3}
_WORDS = {Status.UP: "up", Status.DEGRADED: "degraded", Status.DOWN: "down", Status.UNKNOWN: "unknown"}


def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
    """The most severe of ``statuses`` (unknown when empty)."""
    result = Status.UNKNOWN
    for status in statuses:
        if status.severity > result.severity:
            result = status
    return result




@dataclass(frozen=True)
class Part:
    """One named piece of a result: a service inside /api/health, a bucket, a header, a monitor."""

    name: str
    status: Status
    value: str = ""
    detail: str = ""
    # For graded parts (security headers): what the seed's policy sets, the Observatory's result id
    # and its score modifier.
    expected: str = ""
    code: str = ""
    score: int | None = None
    # How a graded part compares with the seed's policy: "ok", "weaker", "missing" or "invalid".
    verdict: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status.value}
        for key in ("value", "detail", "expected", "code", "verdict"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.score is not None:
            data["score"] = self.score
        return data


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CheckResult:
    env: str
    check: str
    status: Status
    latency_ms: float | None
    detail: str
    checked_at: datetime = field(default_factory=utcnow)
    parts: tuple[Part, ...] = ()
    # Numbers behind the detail (connections, bytes, days left...), for charts and other views.
    metrics: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return CHECK_LABELS.get(self.check, self.check)

    def part(self, name: str) -> Part | None:
        for part in self.parts:
            if part.name == name:
                return part
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "check": self.check,
            "status": self.status.value,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "detail": self.detail,
            "checked_at": self.checked_at.isoformat(),
            "parts": [p.to_json() for p in self.parts],
        }


def result(env: str, check: str, status: Status, detail: str, *, latency_ms: float | None = None,
           parts: tuple[Part, ...] | list[Part] = (), metrics: dict[str, float] | None = None,
           checked_at: datetime | None = None) -> CheckResult:
    """Build a result with sensible defaults (now, no parts)."""
    return CheckResult(env, check, status, latency_ms, detail, checked_at or utcnow(), tuple(parts),
                       dict(metrics or {}))


@dataclass(frozen=True)
class Transition:
    """The confirmed state of one check changed (after the retries the poller requires)."""

    env: str
    check: str
    old: Status
    new: Status
    at: datetime
    detail: str

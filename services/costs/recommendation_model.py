"""What the cost recommendations (``services.costs.recommendations``) find: one recommendation with its
figures and saving, the outcome of each rule's check, and the set of them with its JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.costs.model import ZERO


@dataclass(frozen=True)
class Recommendation:
    rule: str
    environment: str
    text: str
    figures: dict[str, Any]
    monthly_saving: Decimal
    details: tuple[str, ...] = ()
    action: str = ""  # what to run to see or do more (never run by the console itself)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "environment": self.environment, "text": self.text, "figures": self.figures,
                "monthly_saving": str(self.monthly_saving), "details": list(self.details), "action": self.action}


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    environment: str
    outcome: str  # "recommended", "fine", "skipped"
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "environment": self.environment, "outcome": self.outcome, "reason": self.reason}


@dataclass(frozen=True)
class Recommendations:
    items: tuple[Recommendation, ...]
    checks: tuple[RuleCheck, ...] = field(default=())

    @property
    def monthly_saving(self) -> Decimal:
        return sum((r.monthly_saving for r in self.items), ZERO)

    def to_json(self) -> dict[str, Any]:
        """What ``costs recommendations --json`` prints."""
        return {"recommendations": [r.to_json() for r in self.items], "monthly_saving": str(self.monthly_saving),
                "checks": [c.to_json() for c in self.checks]}

"""The workspace's cost settings, in the data folder (``costs-settings.json``): the monthly budget (for
the workspace and per provider), the anomaly rule, the plans whose fees are fixed lines, and the
external services' monthly amounts the user enters. No secret is ever kept here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.core.atomic_file import write_atomically
from services.core.errors import ConfigError
from services.costs.model import SHARED_ENV, Category, cents
from services.costs.prices import _decimal

FILE_NAME = "costs-settings.json"


@dataclass(frozen=True)
class PlanLine:
    """A plan fee from the price table (``key``) times ``quantity`` (seats, users), a fixed line."""

    key: str
    quantity: Decimal = Decimal(1)
    environment: str = SHARED_ENV


@dataclass(frozen=True)
class ExternalLine:
    """An external service's monthly amount (MLS, email, SMS, phone), entered by the user."""

    name: str
    monthly: Decimal
    environment: str = SHARED_ENV
    category: Category = Category.EXTERNAL


@dataclass(frozen=True)
class AnomalyRule:
    """A day is an anomaly when it costs more than ``threshold_pct`` over the trailing mean of
    ``lookback_days`` days and at least ``minimum`` more in money (so cents never alarm)."""

    threshold_pct: Decimal = Decimal(50)
    lookback_days: int = 7
    minimum: Decimal = Decimal("2.00")


@dataclass(frozen=True)
class CostSettings:
    budget: Decimal | None = None
    provider_budgets: dict[str, Decimal] = field(default_factory=dict)
    anomaly: AnomalyRule = field(default_factory=AnomalyRule)
    plans: tuple[PlanLine, ...] = ()
    external: tuple[ExternalLine, ...] = ()
    cost_explorer: bool = False  # AWS Cost Explorer: each call is charged; at most once a day

    def to_json(self) -> dict[str, Any]:
        return {
            "budget": None if self.budget is None else str(self.budget),
            "provider_budgets": {k: str(v) for k, v in self.provider_budgets.items()},
            "anomaly": {"threshold_pct": str(self.anomaly.threshold_pct), "lookback_days": self.anomaly.lookback_days,
                        "minimum": str(self.anomaly.minimum)},
            "plans": [{"key": p.key, "quantity": str(p.quantity), "environment": p.environment} for p in self.plans],
            "external": [{"name": e.name, "monthly": str(e.monthly), "environment": e.environment,
                          "category": e.category.value} for e in self.external],
            "cost_explorer": self.cost_explorer,
        }


def sandbox_settings() -> CostSettings:
    """What a fresh sandbox shows: the seed's providers' plans, its external services, a budget."""
    return CostSettings(
        budget=Decimal("650.00"),
        provider_budgets={"vercel": Decimal("120.00")},
        plans=(PlanLine("vercel.pro"), PlanLine("vercel.seat", Decimal(2)), PlanLine("sentry.team"),
               PlanLine("betterstack.responder"), PlanLine("github.team", Decimal(3))),
        external=(ExternalLine("MLS feed", Decimal("150.00"), "production"),
                  ExternalLine("Email (transactional)", Decimal("20.00"), "production"),
                  ExternalLine("SMS", Decimal("25.00"), "production"),
                  ExternalLine("Phone (3CX)", Decimal("45.00"))),
    )


def parse_settings(data: Any, origin: str) -> CostSettings:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin} does not hold a JSON object")
    budget = data.get("budget")
    provider_budgets = data.get("provider_budgets") or {}
    if not isinstance(provider_budgets, dict):
        raise ConfigError(f"In {origin}: 'provider_budgets' must be an object of provider: amount")
    anomaly = data.get("anomaly") or {}
    if not isinstance(anomaly, dict):
        raise ConfigError(f"In {origin}: 'anomaly' must be an object")
    plans = []
    for i, p in enumerate(data.get("plans") or [], start=1):
        where = f"{origin}, plan {i}"
        if not isinstance(p, dict) or not isinstance(p.get("key"), str):
            raise ConfigError(f"In {where}: each plan needs a 'key' naming a price-table entry")
        plans.append(PlanLine(p["key"], _decimal(p.get("quantity", 1), "quantity", where),
                              str(p.get("environment") or SHARED_ENV)))
    external = []
    for i, e in enumerate(data.get("external") or [], start=1):
        where = f"{origin}, external service {i}"
        if not isinstance(e, dict) or not str(e.get("name", "")).strip():
            raise ConfigError(f"In {where}: each external service needs a 'name'")
        try:
            category = Category(str(e.get("category", "external")))
        except ValueError:
            raise ConfigError(f"In {where}: category must be one of {', '.join(c.value for c in Category)}") from None
        monthly = _decimal(e.get("monthly"), "monthly", where)
        if monthly < 0:
            raise ConfigError(f"In {where}: 'monthly' cannot be negative")
        external.append(ExternalLine(str(e["name"]).strip(), cents(monthly), str(e.get("environment") or SHARED_ENV),
                                     category))
    lookback = anomaly.get("lookback_days", 7)
    if not isinstance(lookback, int) or isinstance(lookback, bool) or not 1 <= lookback <= 90:
        raise ConfigError(f"In {origin}: anomaly.lookback_days must be a whole number from 1 to 90")
    return CostSettings(
        budget=None if budget in (None, "") else _positive(budget, "budget", origin),
        provider_budgets={str(k): _positive(v, f"provider_budgets.{k}", origin) for k, v in provider_budgets.items()},
        anomaly=AnomalyRule(_decimal(anomaly.get("threshold_pct", 50), "anomaly.threshold_pct", origin), lookback,
                            _decimal(anomaly.get("minimum", "2.00"), "anomaly.minimum", origin)),
        plans=tuple(plans), external=tuple(external), cost_explorer=bool(data.get("cost_explorer", False)))


def _positive(value: Any, name: str, origin: str) -> Decimal:
    amount = _decimal(value, name, origin)
    if amount <= 0:
        raise ConfigError(f"In {origin}: '{name}' must be more than zero")
    return cents(amount)


def load_settings(data_dir: Path, *, sandbox: bool = False) -> CostSettings:
    path = Path(data_dir) / FILE_NAME
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        return sandbox_settings() if sandbox else CostSettings()
    except OSError as exc:
        raise ConfigError(f"The cost settings {path} cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The cost settings {path} are not valid JSON (line {exc.lineno}, column {exc.colno})"
                          ) from None
    return parse_settings(data, f"the cost settings {path.name}")


def save_settings(settings: CostSettings, data_dir: Path) -> Path:
    return write_atomically(Path(data_dir) / FILE_NAME, json.dumps(settings.to_json(), indent=2) + "\n")

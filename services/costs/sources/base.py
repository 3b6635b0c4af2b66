"""What every cost source gets and gives back."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from services.core.errors import ConnectionFailure, FailureKind, OpsError
from services.core.workspace import Environment
from services.costs.model import ZERO, CostRow
from services.costs.prices import PriceTable
from services.costs.settings import CostSettings
from services.costs.store import CostStore

if TYPE_CHECKING:
    from services.core.credentials import CredentialStore

T = TypeVar("T")


class SourceStatus(enum.StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # some rows, and a reason why not all
    NOT_CONFIGURED = "not configured"
    NOT_ALLOWED = "not allowed for this token"
    FAILED = "failed"


@dataclass(frozen=True)
class SourceResult:
    collector: str  # the store's key: "vercel", "supabase", "r2", ...
    environment: str
    status: SourceStatus
    reason: str
    days: tuple[date, ...] = ()  # the days whose rows this result replaces
    rows: tuple[CostRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"collector": self.collector, "environment": self.environment, "status": self.status.value,
                "reason": self.reason, "days": len(self.days), "rows": len(self.rows)}


@dataclass
class CollectContext:
    """Everything a source needs: secrets, the price table, the settings, the store, today."""

    credentials: CredentialStore
    table: PriceTable
    settings: CostSettings
    store: CostStore
    today: date
    environments: Sequence[Environment] = ()
    data_dir: Path | None = None
    client_overrides: dict[str, Any] = field(default_factory=dict)  # retry/timeouts for tests
    _reads: dict[str, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    async def read_once(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        """One read per ``key`` in a collect, however many sources ask for it (the organization two
        environments' projects share): the first asker starts it, the others wait for the same answer."""
        future = self._reads.get(key)
        if future is None:
            future = self._reads[key] = asyncio.ensure_future(read())
        return await future  # type: ignore[no-any-return]

    def month_days_to_date(self) -> list[date]:
        start = self.today.replace(day=1)
        return [start + timedelta(days=i) for i in range((self.today - start).days + 1)]

    def days_to_fill(self, env: str, collector: str) -> list[date]:
        """Today, and the days of this month before it that this collector never wrote (fixed fees:
        a day already collected keeps the fee it was collected at)."""
        done = self.store.collected_days(env, collector)
        return [d for d in self.month_days_to_date() if d == self.today or d not in done]

    def quantity_before(self, env: str | None, provider: str, service: str, day: date,
                        exclude: Sequence[date] = ()) -> Decimal:
        """Quantity stored for this month before ``day``, leaving out ``exclude`` (the days being replaced)."""
        start = day.replace(day=1)
        if day <= start:
            return ZERO
        skip = set(exclude)
        rows = self.store.rows(start, day, env)
        return sum((r.quantity for r in rows
                    if r.provider == provider and r.service == service and r.date not in skip), ZERO)


def failure_result(collector: str, env: str, exc: BaseException, what: str) -> SourceResult:
    """A provider error as a status with its reason (the message is the service's plain sentence)."""
    if isinstance(exc, ConnectionFailure) and exc.kind is FailureKind.PERMISSION:
        return SourceResult(collector, env, SourceStatus.NOT_ALLOWED,
                            f"{what}: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
    if isinstance(exc, OpsError):
        return SourceResult(collector, env, SourceStatus.FAILED, f"{what}: {exc.message}")
    return SourceResult(collector, env, SourceStatus.FAILED, f"{what}: {type(exc).__name__}")


def not_configured(collector: str, env: str, reason: str) -> SourceResult:
    return SourceResult(collector, env, SourceStatus.NOT_CONFIGURED, reason)


def split_cents(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split whole cents by weights (largest remainder), so the parts add up to ``amount`` exactly."""
    if not weights:
        return []
    total_w = sum(weights, ZERO)
    units = int(amount * 100)
    if total_w <= 0:
        base = [0] * len(weights)
        base[0] = units
        return [Decimal(b) / 100 for b in base]
    raw = [Decimal(units) * w / total_w for w in weights]
    floors = [int(r) if r >= 0 else -int(-r) for r in raw]
    rest = units - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - floors[i]), reverse=rest > 0)
    for i in order[:abs(rest)]:
        floors[i] += 1 if rest > 0 else -1
    return [Decimal(f) / 100 for f in floors]


async def all_of(*reads: Awaitable[Any]) -> list[Any]:
    """Independent reads of one source at once (one round trip, not several); the first failure is
    raised as it is, once every read has ended (none is left running against a closed client)."""
    results = await asyncio.gather(*reads, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)

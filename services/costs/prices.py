"""The price table: data, not code. Versioned, each price with its source URL and the date it was read,
third-party transcriptions marked; a price change is a new entry that applies from its date on.

The table lives in the data folder (``costs-prices.json``), seeded from ``default_prices.json`` shipped
with the package. Rows keep the cost they were priced with, so a change never rewrites a past month;
an edit dated before the current month is refused for the same reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from services.core.atomic_file import write_atomically
from services.core.errors import ConfigError
from services.costs.model import Category

FILE_NAME = "costs-prices.json"
SCHEMA = 1


@dataclass(frozen=True)
class Price:
    key: str  # "cloudflare.r2_storage"
    provider: str
    service: str
    category: Category
    unit: str
    price: Decimal  # per unit
    included: Decimal  # free quantity per month
    effective_from: date
    source_url: str
    read_on: date
    third_party: bool
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(category=self.category.value, price=str(self.price), included=str(self.included),
                    effective_from=self.effective_from.isoformat(), read_on=self.read_on.isoformat())
        return data


@dataclass(frozen=True)
class ComputeTier:
    id: str
    name: str
    monthly: Decimal
    max_connections: int


@dataclass(frozen=True)
class PriceTable:
    version: int
    currency: str
    prices: tuple[Price, ...]
    compute_tiers: tuple[ComputeTier, ...] = ()

    def price(self, key: str, day: date) -> Price:
        """The entry for ``key`` in force on ``day`` (the latest one dated on or before it)."""
        found = [p for p in self.prices if p.key == key and p.effective_from <= day]
        if not found:
            raise ConfigError(f"The price table has no price '{key}' in force on {day.isoformat()}",
                              hint="Add it in the Costs screen's price table (or costs-prices.json)")
        return max(found, key=lambda p: p.effective_from)

    def has(self, key: str, day: date) -> bool:
        return any(p.key == key and p.effective_from <= day for p in self.prices)

    def keys(self) -> list[str]:
        return sorted({p.key for p in self.prices})

    def current(self, day: date) -> list[Price]:
        """One entry per key: the one in force on ``day`` (or the earliest future one)."""
        out = []
        for key in self.keys():
            entries = sorted((p for p in self.prices if p.key == key), key=lambda p: p.effective_from)
            past = [p for p in entries if p.effective_from <= day]
            out.append(past[-1] if past else entries[0])
        return out

    def with_price(self, new: Price, *, today: date) -> PriceTable:
        """A new version with ``new`` added (or replacing the entry of the same key and date).

        Refused when dated before the current month: past months keep the prices they were billed at.
        """
        if (new.effective_from.year, new.effective_from.month) < (today.year, today.month):
            raise ConfigError(
                f"A price change for '{new.key}' dated {new.effective_from.isoformat()} would rewrite a past month",
                hint=f"Date it {today.replace(day=1).isoformat()} or later")
        _check(new, f"the new price for '{new.key}'")
        kept = tuple(p for p in self.prices if not (p.key == new.key and p.effective_from == new.effective_from))
        return replace(self, version=self.version + 1, prices=(*kept, new))

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "version": self.version, "currency": self.currency,
                "prices": [p.to_json() for p in sorted(self.prices, key=lambda p: (p.key, p.effective_from))],
                "compute_tiers": [{"id": t.id, "name": t.name, "monthly": str(t.monthly),
                                   "max_connections": t.max_connections} for t in self.compute_tiers]}


def _check(p: Price, where: str) -> None:
    if p.price.is_nan() or p.included < 0:
        raise ConfigError(f"In {where}: the price or the included quantity is not a valid amount")
    if not p.source_url.startswith(("https://", "http://")):
        raise ConfigError(f"In {where}: source_url must be a web address (https://…)")


def _field(entry: dict[str, Any], name: str, where: str) -> Any:
    if name not in entry:
        raise ConfigError(f"In {where}: the field '{name}' is missing")
    return entry[name]


def _decimal(value: Any, name: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"In {where}: '{name}' must be a number or a numeric string")
    try:
        result = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ConfigError(f"In {where}: '{name}' is not a number") from None
    if not result.is_finite():
        raise ConfigError(f"In {where}: '{name}' is not a finite number")
    return result


def _date(value: Any, name: str, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"In {where}: '{name}' must be a date like 2026-11-01") from None


def parse_table(data: Any, origin: str) -> PriceTable:
    """Build a table from its JSON form; every problem names the entry and the field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin} does not hold a JSON object")
    if data.get("schema", SCHEMA) != SCHEMA:
        raise ConfigError(f"{origin} has schema {data.get('schema')!r}; this console reads schema {SCHEMA}")
    raw = data.get("prices")
    if not isinstance(raw, list):
        raise ConfigError(f"{origin}: 'prices' must be a list")
    prices = []
    for i, entry in enumerate(raw, start=1):
        where = f"{origin}, price {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"In {where}: each price must be an object")
        key = str(_field(entry, "key", where))
        where = f"{origin}, price {i} ('{key}')"
        try:
            category = Category(str(_field(entry, "category", where)))
        except ValueError:
            raise ConfigError(f"In {where}: category must be one of {', '.join(c.value for c in Category)}") from None
        p = Price(key=key, provider=str(_field(entry, "provider", where)), service=str(_field(entry, "service", where)),
                  category=category, unit=str(_field(entry, "unit", where)),
                  price=_decimal(_field(entry, "price", where), "price", where),
                  included=_decimal(entry.get("included", "0"), "included", where),
                  effective_from=_date(_field(entry, "effective_from", where), "effective_from", where),
                  source_url=str(_field(entry, "source_url", where)),
                  read_on=_date(_field(entry, "read_on", where), "read_on", where),
                  third_party=bool(entry.get("third_party", False)), note=str(entry.get("note", "")))
        _check(p, where)
        prices.append(p)
    tiers = []
    for i, t in enumerate(data.get("compute_tiers") or [], start=1):
        where = f"{origin}, compute tier {i}"
        if not isinstance(t, dict):
            raise ConfigError(f"In {where}: each tier must be an object")
        tiers.append(ComputeTier(str(_field(t, "id", where)), str(_field(t, "name", where)),
                                 _decimal(_field(t, "monthly", where), "monthly", where),
                                 int(_field(t, "max_connections", where))))
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError(f"{origin}: 'version' must be a whole number")
    return PriceTable(version, str(data.get("currency", "USD")), tuple(prices), tuple(tiers))


def default_table() -> PriceTable:
    text = resources.files("services.costs").joinpath("default_prices.json").read_text("utf-8")
    return parse_table(json.loads(text), "the default price table")


def load_table(data_dir: Path) -> PriceTable:
    """The editable table in the data folder, or the shipped default when there is none yet."""
    path = Path(data_dir) / FILE_NAME
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        return default_table()
    except OSError as exc:
        raise ConfigError(f"The price table {path} cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The price table {path} is not valid JSON (line {exc.lineno}, column {exc.colno})",
                          hint="Fix the file, or delete it to start again from the default table") from None
    return parse_table(data, f"the price table {path.name}")


def save_table(table: PriceTable, data_dir: Path) -> Path:
    """Write atomically (a half-written table is never left behind)."""
    return write_atomically(Path(data_dir) / FILE_NAME, json.dumps(table.to_json(), indent=2) + "\n")

"""Deterministic sample data for the sandbox's realtor database: people, addresses, listings in prose.

``sample_rows(seed, scale)`` gives rows per table in COPY column order (``realtor_schema`` loads them),
built from the word lists and sentence pools of ``realtor_vocabulary``. ``realtor_bulk.generate_bulk``
grows the data on the server toward a size, for backup benchmarks.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from sandbox.realtor_vocabulary import (
    ADJECTIVES,
    CITIES,
    CLOSERS,
    CONTACT_NOTES,
    CONTENT_TYPES,
    COUNTERS,
    DOCUMENT_KINDS,
    FIRST_NAMES,
    INTERIORS,
    KITCHENS,
    LAST_NAMES,
    LEAD_MESSAGES,
    LEAD_SOURCES,
    LEAD_STATUSES,
    LISTING_STATUSES,
    MAIL_DOMAINS,
    NEIGHBORHOODS,
    OFFICES,
    OPENERS,
    OUTDOORS,
    PROPERTY_TYPES,
    SHOWING_FEEDBACK,
    SHOWING_STATUSES,
    STREET_SUFFIXES,
    STREETS,
    TAGS,
    TYPE_WORDS,
    City,
)

# A fixed "today" keeps the data identical from run to run (TIMESTAMP(3) columns hold naive UTC).
ANCHOR = datetime(2025, 10, 1, 9, 0, 0)
BROKERAGE = "Harbor Point Realty"
BROKERAGE_DOMAIN = "harborpointrealty.com"
DOCUMENTS_BUCKET = "realtor-documents"  # the sandbox workspace's documents bucket (production)

# fmt: off
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "agents": ("id", "first_name", "last_name", "email", "phone", "license_number", "office", "bio",
               "photo_url", "is_active", "created_at", "updated_at"),
    "listings": ("id", "mls_number", "agent_id", "status", "property_type", "title", "description", "street",
                 "city", "state", "zip", "latitude", "longitude", "price", "bedrooms", "bathrooms",
                 "square_feet", "lot_size_sqft", "year_built", "features", "photos", "tags", "listed_at",
                 "sold_at", "created_at", "updated_at"),
    "contacts": ("id", "first_name", "last_name", "email", "phone", "city", "state", "source", "notes",
                 "marketing_opt_in", "created_at", "updated_at"),
    "leads": ("id", "contact_id", "listing_id", "agent_id", "status", "source", "message", "budget_min",
              "budget_max", "created_at", "updated_at"),
    "showings": ("id", "listing_id", "agent_id", "contact_id", "scheduled_at", "duration_minutes", "status",
                 "feedback", "rating", "created_at"),
    "documents": ("id", "listing_id", "contact_id", "agent_id", "kind", "file_name", "bucket", "bucket_key",
                  "size_bytes", "content_type", "uploaded_at"),
}
# Rows per table at scale 1.0 (a few thousand in all; loads in about a second).
BASE_COUNTS = {
    "agents": 48, "listings": 2400, "contacts": 3600, "leads": 3000, "showings": 4800, "documents": 3200,
}
# fmt: on


class _FastRandom(random.Random):
    """``randint``/``choice`` from one ``random()`` call: 3x faster than the exact (rejection) versions,
    which matters for tens of thousands of rows; the tiny bias is irrelevant for sample data."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]


def counts_for(scale: float) -> dict[str, int]:
    return {t: max(5 if t == "agents" else 10, round(n * scale)) for t, n in BASE_COUNTS.items()}


def sample_rows(seed: int = 42, scale: float = 1.0) -> dict[str, list[tuple[Any, ...]]]:
    """Rows per table, in ``TABLE_COLUMNS`` order; the same for the same seed and scale."""
    rng = _FastRandom(seed)
    n = counts_for(scale)
    cities = [City(*c) for c in CITIES]
    agent_city = [rng.choice(cities) for _ in range(n["agents"])]
    agents = [_agent(rng, i + 1, agent_city[i]) for i in range(n["agents"])]
    listings, listing_info = [], []
    for i in range(n["listings"]):
        agent_id = rng.randint(1, n["agents"])
        city = agent_city[agent_id - 1] if rng.random() < 0.8 else rng.choice(cities)
        row = _listing(rng, i + 1, agent_id, city)
        listings.append(row)
        listing_info.append((agent_id, f"{row[7]}, {city.name}", row[13]))
    contacts = [_contact(rng, i + 1, rng.choice(cities)) for i in range(n["contacts"])]
    leads = [_lead(rng, i + 1, n, listing_info, cities) for i in range(n["leads"])]
    showings = [_showing(rng, i + 1, n, listing_info) for i in range(n["showings"])]
    documents = [_document(rng, i + 1, n, listings) for i in range(n["documents"])]
    return {
        "agents": agents,
        "listings": listings,
        "contacts": contacts,
        "leads": leads,
        "showings": showings,
        "documents": documents,
    }


def deterministic_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _phone(rng: random.Random, area: str) -> str:
    return f"({area}) {rng.randint(201, 989)}-{rng.randint(0, 9999):04d}"


def _when(rng: random.Random, max_days: int, min_days: int = 0) -> datetime:
    return ANCHOR - timedelta(days=rng.randint(min_days, max_days), minutes=rng.randint(0, 24 * 60 - 1))


def _agent(rng: random.Random, i: int, city: City) -> tuple[Any, ...]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    years = rng.randint(2, 28)
    niche = rng.choice(["first-time buyers", "luxury homes", "relocation", "investment properties"])
    before = rng.choice(["mortgage lending", "teaching", "interior design", "construction", "hospitality"])
    bio = (
        f"{first} has helped buyers and sellers across {city.name} for {years} years and specializes in "
        f"{niche}. Before joining {BROKERAGE}, {first} worked in {before}."
    )
    created = _when(rng, 1500, 400)
    return (
        i,
        first,
        last,
        f"{first}.{last}{i}@{BROKERAGE_DOMAIN}".lower(),
        _phone(rng, city.area),
        f"{city.state}-{rng.randint(100000, 999999)}",
        f"{city.name} {rng.choice(OFFICES)}",
        bio,
        f"https://images.{BROKERAGE_DOMAIN}/agents/{i}.jpg",
        rng.random() > 0.08,
        created,
        created + timedelta(days=rng.randint(0, 300)),
    )


def _describe(rng: random.Random, kind: str, beds: int, hood: str, city: str) -> str:
    fill = {
        "adj": rng.choice(ADJECTIVES),
        "kind": kind,
        "beds": beds,
        "hood": hood,
        "city": city,
        "counter": rng.choice(COUNTERS),
    }
    parts = [
        rng.choice(OPENERS),
        rng.choice(KITCHENS),
        *rng.sample(INTERIORS, 2),
        rng.choice(OUTDOORS),
        rng.choice(CLOSERS),
    ]
    return " ".join(p.format(**fill) for p in parts)


def _listing(rng: random.Random, i: int, agent_id: int, city: City) -> tuple[Any, ...]:
    ptype = rng.choices(PROPERTY_TYPES, weights=[60, 15, 14, 7, 4])[0]
    kind, hood = TYPE_WORDS[ptype], rng.choice(NEIGHBORHOODS)
    beds = 0 if ptype == "LAND" else rng.choices([1, 2, 3, 4, 5, 6], weights=[5, 18, 38, 27, 9, 3])[0]
    baths = (
        Decimal(0) if ptype == "LAND" else Decimal(max(1, beds - rng.randint(0, 2)) + rng.choice([0, 0.5]))
    )
    sqft = 0 if ptype == "LAND" else beds * rng.randint(420, 760) + rng.randint(200, 600)
    price = Decimal(round((sqft or 900) * rng.uniform(180, 520) + rng.randint(20, 90) * 1000, -3))
    street = f"{rng.randint(100, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_SUFFIXES)}"
    status = rng.choice(LISTING_STATUSES)
    listed = _when(rng, 720, 5)
    sold = listed + timedelta(days=rng.randint(7, 90)) if status == "SOLD" else None
    mls = f"{city.state}{listed:%y}-{100000 + i * 7 % 900000:06d}"
    features = {
        "garage_spaces": rng.choice([0, 1, 2, 2, 3]),
        "pool": rng.random() < 0.18,
        "fireplace": rng.random() < 0.45,
        "heating": rng.choice(["forced air", "heat pump", "radiant"]),
        "cooling": rng.choice(["central air", "ductless mini-split", "none"]),
        "flooring": rng.sample(["hardwood", "tile", "carpet", "luxury vinyl", "laminate"], 2),
        "hoa_fee_monthly": rng.choice([0, 0, 0, 85, 150, 275, 410]),
        "basement": rng.choice(["none", "finished", "unfinished", "partial"]),
    }
    photos = [f"listings/{mls}/photo-{k:02d}.jpg" for k in range(1, rng.randint(6, 24))]
    title = (
        f"{rng.choice(ADJECTIVES).capitalize()} {beds}BR {kind} in {hood}"
        if beds
        else f"Buildable {kind} in {hood}"
    )
    return (
        i,
        mls,
        agent_id,
        status,
        ptype,
        title,
        _describe(rng, kind, beds, hood, city.name),
        street,
        city.name,
        city.state,
        f"{city.zip3}{rng.randint(0, 99):02d}",
        Decimal(f"{city.lat + rng.uniform(-0.12, 0.12):.6f}"),
        Decimal(f"{city.lon + rng.uniform(-0.12, 0.12):.6f}"),
        price,
        beds,
        baths,
        sqft,
        rng.randint(2000, 21000),
        rng.randint(1925, 2024),
        Jsonb(features),
        photos,
        rng.sample(TAGS, rng.randint(0, 4)),
        listed,
        sold,
        listed,
        listed + timedelta(days=rng.randint(0, 40)),
    )


def _contact(rng: random.Random, i: int, city: City) -> tuple[Any, ...]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(MAIL_DOMAINS)}".lower()
    created = _when(rng, 900)
    notes = rng.choice(CONTACT_NOTES) if rng.random() < 0.6 else None
    return (
        i,
        first,
        last,
        email,
        _phone(rng, city.area),
        city.name,
        city.state,
        rng.choice(LEAD_SOURCES),
        notes,
        rng.random() < 0.55,
        created,
        created + timedelta(days=rng.randint(0, 60)),
    )


def _lead(
    rng: random.Random, i: int, n: dict[str, int], info: list[Any], cities: list[City]
) -> tuple[Any, ...]:
    listing_id = rng.randint(1, n["listings"]) if rng.random() < 0.85 else None
    agent_id, address, price = info[listing_id - 1] if listing_id else (rng.randint(1, n["agents"]), "", None)
    budget_max = Decimal(round(float(price or rng.randint(250, 900) * 1000) * rng.uniform(0.95, 1.15), -4))
    budget_min = Decimal(round(float(budget_max) * 0.75, -4))
    message = rng.choice(LEAD_MESSAGES).format(
        address=address or "homes in your area",
        from_city=rng.choice(cities).name,
        budget=f"${budget_max:,.0f}",
    )
    created = _when(rng, 600)
    return (
        i,
        rng.randint(1, n["contacts"]),
        listing_id,
        agent_id,
        rng.choice(LEAD_STATUSES),
        rng.choice(LEAD_SOURCES),
        message,
        budget_min,
        budget_max,
        created,
        created + timedelta(days=rng.randint(0, 30)),
    )


def _showing(rng: random.Random, i: int, n: dict[str, int], info: list[Any]) -> tuple[Any, ...]:
    listing_id = rng.randint(1, n["listings"])
    status = rng.choice(SHOWING_STATUSES)
    when = (
        _when(rng, 400)
        if status != "SCHEDULED"
        else ANCHOR + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 8))
    )
    done = status == "COMPLETED"
    return (
        i,
        listing_id,
        info[listing_id - 1][0],
        rng.randint(1, n["contacts"]),
        when.replace(second=0),
        rng.choice([30, 30, 45, 60]),
        status,
        rng.choice(SHOWING_FEEDBACK) if done else None,
        rng.randint(1, 5) if done else None,
        when - timedelta(days=rng.randint(1, 10)),
    )


def _document(
    rng: random.Random, i: int, n: dict[str, int], listings: list[tuple[Any, ...]]
) -> tuple[Any, ...]:
    kind = rng.choice(list(DOCUMENT_KINDS))
    label, ext = DOCUMENT_KINDS[kind]
    listing = listings[rng.randint(1, n["listings"]) - 1]
    file_name = f"{label} - {listing[7]}.{ext}"
    key = f"listings/{listing[1]}/{kind.lower().replace('_', '-')}-{i}.{ext}"
    size = rng.randint(40_000, 4_500_000) if ext != "docx" else rng.randint(18_000, 300_000)
    contact_id = rng.randint(1, n["contacts"]) if rng.random() < 0.5 else None
    return (
        i,
        listing[0],
        contact_id,
        listing[2],
        kind,
        file_name,
        DOCUMENTS_BUCKET,
        key,
        size,
        CONTENT_TYPES[ext],
        _when(rng, 500),
    )

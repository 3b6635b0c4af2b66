"""Deterministic sample data for the sandbox's realtor database: people, addresses, listings in prose.

``sample_rows(seed, scale)`` gives rows per table in COPY column order (``realtor_schema`` loads them).
``generate_bulk`` grows the data on the server toward a size, from sentence pools (``bulk_vocabulary``)
combined by hashing row numbers: realistic, deterministic text at tens of MB/s, for backup benchmarks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

# A fixed "today" keeps the data identical from run to run (TIMESTAMP(3) columns hold naive UTC).
ANCHOR = datetime(2025, 10, 1, 9, 0, 0)
BROKERAGE = "Harbor Point Realty"
BROKERAGE_DOMAIN = "harborpointrealty.com"
DOCUMENTS_BUCKET = "realtor-documents"  # the sandbox workspace's documents bucket (production)

# fmt: off
# city, state, area code, zip prefix, latitude, longitude
CITIES = [
    ("Austin", "TX", "512", "787", 30.2672, -97.7431), ("Round Rock", "TX", "512", "786", 30.5083, -97.6789),
    ("Denver", "CO", "303", "802", 39.7392, -104.9903), ("Boulder", "CO", "303", "803", 40.015, -105.2705),
    ("Raleigh", "NC", "919", "276", 35.7796, -78.6382), ("Durham", "NC", "919", "277", 35.994, -78.8986),
    ("Charlotte", "NC", "704", "282", 35.2271, -80.8431),
    ("Nashville", "TN", "615", "372", 36.1627, -86.7816), ("Franklin", "TN", "615", "370", 35.9251, -86.8689),
    ("Phoenix", "AZ", "602", "850", 33.4484, -112.074),
    ("Scottsdale", "AZ", "480", "852", 33.4942, -111.9261), ("Tampa", "FL", "813", "336", 27.9506, -82.4572),
    ("St. Petersburg", "FL", "727", "337", 27.7676, -82.6403),
    ("Orlando", "FL", "407", "328", 28.5383, -81.3792), ("Atlanta", "GA", "404", "303", 33.749, -84.388),
    ("Decatur", "GA", "404", "300", 33.7748, -84.2963), ("Portland", "OR", "503", "972", 45.5152, -122.6784),
    ("Boise", "ID", "208", "837", 43.615, -116.2023),
    ("Salt Lake City", "UT", "801", "841", 40.7608, -111.891),
    ("Columbus", "OH", "614", "432", 39.9612, -82.9988),
    ("Minneapolis", "MN", "612", "554", 44.9778, -93.265), ("Madison", "WI", "608", "537", 43.0731, -89.4012),
    ("Charleston", "SC", "843", "294", 32.7765, -79.9311), ("Richmond", "VA", "804", "232", 37.5407, -77.436),
    ("Sacramento", "CA", "916", "958", 38.5816, -121.4944),
    ("San Diego", "CA", "619", "921", 32.7157, -117.1611),
    ("Kansas City", "MO", "816", "641", 39.0997, -94.5786),
    ("Indianapolis", "IN", "317", "462", 39.7684, -86.1581),
]
NEIGHBORHOODS = [
    "Maple Heights", "Riverside", "Oak Hollow", "Willow Creek", "Old Town", "Cedar Park", "Lakeview",
    "Sunset Ridge", "Brookhaven", "Highland Park", "the Mill District", "Stonebridge", "Westover Hills",
    "Pinecrest", "Harbor View", "Meadowbrook", "Fox Chase", "College Hill",
]
STREETS = [
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Willow", "Walnut", "Chestnut", "Magnolia", "Dogwood", "Birch",
    "Aspen", "Hickory", "Sycamore", "Laurel", "Juniper", "Main", "Church", "Park", "Lake", "Hill", "River",
    "Spring", "Meadow", "Forest", "Sunset", "Highland", "Ridge", "Valley", "Mill", "Washington", "Lincoln",
    "Jefferson", "Madison", "Franklin", "Jackson", "Lafayette", "Bluebonnet", "Live Oak", "Red Bud",
    "Cypress", "Palmetto", "Heritage", "Creekside", "Stone Ridge", "Fox Run", "Quail Hollow", "Windsor",
    "Hampton", "Brookfield", "Prairie", "Canyon", "Mesa", "Shoreline", "Harbor", "Bayview", "Orchard",
]
STREET_SUFFIXES = ["St", "Ave", "Dr", "Ln", "Ct", "Rd", "Blvd", "Way", "Pl", "Trl", "Cir", "Pkwy"]
FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Andrew",
    "Michelle", "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Stephanie", "Ryan", "Rebecca", "Jacob",
    "Laura", "Nicholas", "Rachel", "Tyler", "Megan", "Samuel", "Olivia", "Carlos", "Sofia", "Luis", "Camila",
    "Wei", "Mei", "Arjun", "Priya", "Omar", "Aisha", "Mateo", "Valentina", "Ethan", "Hannah", "Noah", "Grace",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel",
    "Chen", "Kim", "Okafor", "Murphy", "Sullivan", "Brennan", "Fischer", "Novak", "Haddad", "Castillo",
]
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me", "aol.com"]
PROPERTY_TYPES = ["SINGLE_FAMILY", "CONDO", "TOWNHOUSE", "MULTI_FAMILY", "LAND"]
TYPE_WORDS = {
    "SINGLE_FAMILY": "home", "CONDO": "condo", "TOWNHOUSE": "townhome", "MULTI_FAMILY": "duplex",
    "LAND": "homesite",
}
LISTING_STATUSES = ["ACTIVE"] * 9 + ["PENDING"] * 3 + ["SOLD"] * 4 + ["WITHDRAWN", "EXPIRED", "COMING_SOON"]
LEAD_STATUSES = ["NEW", "CONTACTED", "QUALIFIED", "NURTURING", "CONVERTED", "LOST"]
SHOWING_STATUSES = ["COMPLETED"] * 6 + ["SCHEDULED"] * 3 + ["CANCELLED", "NO_SHOW"]
LEAD_SOURCES = ["website", "zillow", "realtor.com", "referral", "open_house", "instagram", "sign_call"]
DOCUMENT_KINDS = {
    "PURCHASE_AGREEMENT": ("Purchase Agreement", "pdf"), "SELLER_DISCLOSURE": ("Seller Disclosure", "pdf"),
    "INSPECTION_REPORT": ("Inspection Report", "pdf"), "APPRAISAL": ("Appraisal", "pdf"),
    "FLOOR_PLAN": ("Floor Plan", "png"), "LISTING_AGREEMENT": ("Listing Agreement", "pdf"),
    "PRE_APPROVAL_LETTER": ("Pre-Approval Letter", "pdf"), "HOA_DOCUMENTS": ("HOA Documents", "docx"),
}
CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
TAGS = [
    "open-house", "price-reduced", "new-construction", "waterfront", "golf-course", "pool", "mountain-view",
    "walkable", "fixer-upper", "luxury", "first-time-buyer", "investment", "acreage", "55-plus", "corner-lot",
    "cul-de-sac", "solar", "ev-charger",
]

# Sentence pools: one sentence from each group makes a listing description that reads as prose.
OPENERS = [
    "Welcome home to this {adj} {beds}-bedroom {kind} tucked away on a quiet, tree-lined street in {hood}.",
    "Light pours into this {adj} {kind} in the heart of {hood}, just minutes from downtown {city}.",
    "Set on a generous lot in {hood}, this {adj} {beds}-bedroom {kind} has been lovingly maintained.",
    "Rarely available: a {adj} {kind} in sought-after {hood} with room to grow.",
    "This {adj} {beds}-bedroom {kind} pairs classic character with thoughtful modern updates.",
    "Move-in ready and {adj}, this {kind} in {hood} checks every box on your list.",
]
ADJECTIVES = [
    "charming", "beautifully updated", "sun-filled", "spacious", "move-in ready", "stylish",
    "meticulously kept", "light-filled", "thoughtfully renovated", "inviting",
]
KITCHENS = [
    "The renovated kitchen features {counter} countertops, stainless steel appliances and a large island.",
    "Cooks will love the open kitchen with {counter} counters, a gas range and a walk-in pantry.",
    "A chef's kitchen with {counter} surfaces, soft-close cabinetry and a breakfast bar anchors the home.",
    "The eat-in kitchen offers {counter} countertops, a tile backsplash and plenty of storage.",
]
COUNTERS = ["quartz", "granite", "butcher-block", "marble", "concrete", "quartzite"]
INTERIORS = [
    "Hardwood floors run throughout the main level, and the living room centers on a wood-burning fireplace.",
    "Vaulted ceilings and oversized windows make the living area feel bright and open.",
    "The primary suite offers a walk-in closet and a spa-like bath with a double vanity and soaking tub.",
    "Upstairs you will find {beds} well-proportioned bedrooms and a flexible loft that works as an office.",
    "A finished basement adds a media room, a guest bedroom and a full bath.",
    "New HVAC, a tankless water heater and fresh paint mean there is nothing left to do but move in.",
]
OUTDOORS = [
    "Outside, the fenced backyard has a covered patio that is perfect for summer evenings.",
    "Enjoy morning coffee on the screened porch overlooking mature oaks.",
    "The private backyard includes a deck, raised garden beds and a storage shed.",
    "A two-car garage and a long driveway provide plenty of parking.",
    "The community pool, playground and walking trails are just around the corner.",
]
CLOSERS = [
    "Walk to coffee shops, parks and {city}'s best restaurants, with easy access to the highway.",
    "Zoned for highly rated schools and close to shopping, this one will not last long.",
    "Schedule your private showing today and see why {hood} is one of {city}'s favorite neighborhoods.",
    "Minutes from downtown {city}, the airport and major employers.",
    "Seller is offering a closing-cost credit with an acceptable offer.",
]
LEAD_MESSAGES = [
    "Hi, I'm interested in {address}. Is it still available, and could we see it this weekend?",
    "We are relocating from {from_city} in the spring and would love more details on {address}.",
    "Could you send the HOA fees and property taxes for {address}? We're pre-approved up to {budget}.",
    "Is the seller open to offers below asking on {address}? We're first-time buyers.",
    "Saw the open house sign for {address}. Does the price include the appliances?",
]
SHOWING_FEEDBACK = [
    "Buyers loved the kitchen but felt the bedrooms were smaller than the photos suggested.",
    "Great curb appeal. Clients are concerned about road noise from the back bedrooms.",
    "Very clean and well staged. Buyers plan to write an offer after a second visit.",
    "Price seems high compared to recent sales on the street; the roof looks near the end of its life.",
    "Clients liked the layout and the backyard; they are comparing it with two other homes.",
    "The basement had a musty smell. Buyers would want an inspection contingency.",
    "Showing ran late because the lockbox code was wrong; please update it in the MLS.",
    "Second showing. Buyers measured the garage and asked about the age of the water heater.",
    "Nice light in the afternoon, but the yard is too small for their dogs.",
    "Clients felt the kitchen needs a full remodel and would factor that into any offer.",
    "Loved the neighborhood and the walk to the park; they asked for comparable sales.",
    "Buyers were disappointed the third bedroom has no closet. Otherwise a strong contender.",
]
CONTACT_NOTES = [
    "Prefers text messages after 5 pm. Looking for a good school district.",
    "Selling a condo downtown first; timeline depends on that sale.",
    "Works from home and needs a dedicated office. Has two large dogs.",
    "Referred by a past client. Cash buyer, wants to close within 30 days.",
    "Interested in investment properties with rental income.",
    "Downsizing now that the kids have moved out; wants a single-level home.",
    "Lease ends in June. Needs at least three bedrooms and a fenced yard.",
    "Met at the Saturday open house. Asked to be notified of price reductions.",
    "Relocating for a hospital job; wants to be within a 20-minute commute.",
    "Pre-approved with a local credit union. Prefers newer construction.",
    "Owns two rentals already and is looking for a duplex to add to the portfolio.",
    "Asked for a market analysis of their current home before deciding to list.",
]
OFFICES = ["Downtown", "North", "Lakeside", "Westside", "Uptown"]

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


@dataclass(frozen=True)
class _City:
    name: str
    state: str
    area: str
    zip3: str
    lat: float
    lon: float


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
    cities = [_City(*c) for c in CITIES]
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


def _agent(rng: random.Random, i: int, city: _City) -> tuple[Any, ...]:
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


def _listing(rng: random.Random, i: int, agent_id: int, city: _City) -> tuple[Any, ...]:
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


def _contact(rng: random.Random, i: int, city: _City) -> tuple[Any, ...]:
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
    rng: random.Random, i: int, n: dict[str, int], info: list[Any], cities: list[_City]
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


def bulk_vocabulary(seed: int = 7, per_group: int = 64) -> dict[str, list[str]]:
    """Pools the server combines by hashing row numbers: rendered sentences plus names and places.

    Opener ``k`` speaks of ``2 + k % 4`` bedrooms, so a title made from the same hash agrees with it.
    """
    rng = random.Random(seed)
    cities = [_City(*c) for c in CITIES]

    def render(templates: list[str], k: int) -> str:
        city = rng.choice(cities)
        fill = {
            "adj": rng.choice(ADJECTIVES),
            "kind": "home",
            "beds": 2 + k % 4,
            "hood": rng.choice(NEIGHBORHOODS),
            "city": city.name,
            "counter": rng.choice(COUNTERS),
        }
        return rng.choice(templates).format(**fill)

    groups = {
        "openers": OPENERS,
        "kitchens": KITCHENS,
        "interiors": INTERIORS,
        "outdoors": OUTDOORS,
        "closers": CLOSERS,
    }
    pools = {name: [render(t, k) for k in range(per_group)] for name, t in groups.items()}
    return {
        **pools,
        "feedback": SHOWING_FEEDBACK,
        "notes": CONTACT_NOTES,
        "first_names": FIRST_NAMES,
        "last_names": LAST_NAMES,
        "streets": [f"{s} {x}" for s in STREETS for x in STREET_SUFFIXES[:4]],
        "cities": [c.name for c in cities],
        "states": [c.state for c in cities],
        "areas": [c.area for c in cities],
        "zip3": [c.zip3 for c in cities],
        "hoods": NEIGHBORHOODS,
        "adjectives": ADJECTIVES,
        "domains": MAIL_DOMAINS,
    }


# ----- bulk growth, on the server ---------------------------------------------------------------------
# Picks are hashes of the row number g (h1..h4), so the same row number always makes the same row.
# ROWS and DAY are spelled out below (plain text substitution; the SQL has no other such words).
_ROWS = """(SELECT g, abs(hashint8(g * 16 + K)::bigint) AS h1, abs(hashint8(g * 16 + K + 1)::bigint) AS h2,
        abs(hashint8(g * 16 + K + 2)::bigint) AS h3, abs(hashint8(g * 16 + K + 3)::bigint) AS h4
      FROM generate_series(%(first)s::bigint, %(first)s::bigint + %(n)s - 1) g)"""
_DAY = "timestamp '2025-10-01' - interval '1 day' *"
_LISTINGS = """
INSERT INTO listings (mls_number, agent_id, status, property_type, title, description, street, city, state,
    zip, latitude, longitude, price, bedrooms, bathrooms, square_feet, lot_size_sqft, year_built, features,
    photos, tags, listed_at, created_at, updated_at)
SELECT 'BK-' || g, a[1 + h1 %% cardinality(a)],
    (ARRAY['ACTIVE','ACTIVE','ACTIVE','PENDING','SOLD','SOLD','WITHDRAWN','EXPIRED'])[1 + h2 %% 8]
        ::"ListingStatus",
    (ARRAY['SINGLE_FAMILY','SINGLE_FAMILY','SINGLE_FAMILY','CONDO','TOWNHOUSE'])[1 + h3 %% 5]::"PropertyType",
    initcap(adj[1 + h2 %% cardinality(adj)]) || ' ' || (2 + h1 %% 4) || 'BR home on ' || street,
    op[1 + h1 %% cardinality(op)] || ' ' || ki[1 + h2 %% cardinality(ki)] || ' '
        || inn[1 + h3 %% cardinality(inn)] || ' ' || inn[1 + (h3 + 1 + h4 %% 7) %% cardinality(inn)] || ' '
        || ou[1 + h4 %% cardinality(ou)] || ' ' || cl[1 + (h1 + h2) %% cardinality(cl)],
    street, c[1 + h3 %% nc], stt[1 + h3 %% nc], z[1 + h3 %% nc] || lpad((h1 %% 100)::text, 2, '0'),
    30 + (h1 %% 15000) / 1000.0, -120 + (h2 %% 40000) / 1000.0, 150000 + (h4 %% 1200) * 1000, 2 + h1 %% 4,
    1 + (h3 %% 6) / 2.0, 900 + h1 %% 3200, 2000 + h2 %% 18000, 1925 + h3 %% 100,
    jsonb_build_object('garage_spaces', h1 %% 4, 'pool', h2 %% 6 = 0, 'fireplace', h3 %% 2 = 0,
        'hoa_fee_monthly', (h4 %% 5) * 85, 'heating', 'forced air', 'cooling', 'central air'),
    ARRAY['listings/BK-' || g || '/photo-01.jpg', 'listings/BK-' || g || '/photo-02.jpg'],
    ARRAY[(ARRAY['open-house','price-reduced','pool','walkable','solar','corner-lot'])[1 + h4 %% 6]],
    DAY (h1 %% 700), DAY (h1 %% 700), DAY (h2 %% 30)
FROM (SELECT *, (100 + h4 %% 9800) || ' ' || st[1 + h2 %% cardinality(st)] AS street
      FROM ROWS r0, (SELECT %(streets)s::text[] AS st) s0) r,
     (SELECT %(openers)s::text[] AS op, %(kitchens)s::text[] AS ki, %(interiors)s::text[] AS inn,
             %(outdoors)s::text[] AS ou, %(closers)s::text[] AS cl, %(cities)s::text[] AS c,
             cardinality(%(cities)s::text[]) AS nc, %(states)s::text[] AS stt, %(zip3)s::text[] AS z,
             %(adjectives)s::text[] AS adj,
             (SELECT array_agg(id) FROM (SELECT id FROM agents ORDER BY id LIMIT 1000) x) AS a) p"""
_CONTACTS = """
INSERT INTO contacts (first_name, last_name, email, phone, city, state, source, notes, marketing_opt_in,
    created_at, updated_at)
SELECT fn[1 + h1 %% cardinality(fn)], ln[1 + h2 %% cardinality(ln)],
    lower(fn[1 + h1 %% cardinality(fn)] || '.' || ln[1 + h2 %% cardinality(ln)] || (h3 %% 9999) || '@'
        || dom[1 + h4 %% cardinality(dom)]),
    '(' || ar[1 + h3 %% nc] || ') ' || (201 + h1 %% 788) || '-' || lpad((h2 %% 10000)::text, 4, '0'),
    c[1 + h3 %% nc], stt[1 + h3 %% nc],
    (ARRAY['website','zillow','realtor.com','referral','open_house','instagram'])[1 + h4 %% 6],
    nt[1 + h1 %% cardinality(nt)] || ' ' || nt[1 + (h1 + 1 + h2 %% 5) %% cardinality(nt)],
    h4 %% 2 = 0, DAY (h1 %% 900), DAY (h2 %% 60)
FROM ROWS r,
     (SELECT %(first_names)s::text[] AS fn, %(last_names)s::text[] AS ln, %(domains)s::text[] AS dom,
             %(areas)s::text[] AS ar, %(cities)s::text[] AS c, cardinality(%(cities)s::text[]) AS nc,
             %(states)s::text[] AS stt, %(notes)s::text[] AS nt) p"""
_SHOWINGS = """
INSERT INTO showings (listing_id, agent_id, contact_id, scheduled_at, duration_minutes, status, feedback,
    rating, created_at)
SELECT l[1 + h1 %% cardinality(l)], a[1 + h2 %% cardinality(a)], k[1 + h3 %% cardinality(k)],
    DAY (h1 %% 400) + (h2 %% 10) * interval '1 hour', (ARRAY[30, 30, 45, 60])[1 + h4 %% 4], 'COMPLETED',
    fb[1 + h2 %% cardinality(fb)] || ' ' || fb[1 + (h2 + 1 + h3 %% 5) %% cardinality(fb)], 1 + h4 %% 5,
    DAY (h1 %% 400 + 3)
FROM ROWS r,
     (SELECT %(feedback)s::text[] AS fb,
             (SELECT array_agg(id) FROM (SELECT id FROM listings ORDER BY id LIMIT 5000) x) AS l,
             (SELECT array_agg(id) FROM (SELECT id FROM agents ORDER BY id LIMIT 1000) x) AS a,
             (SELECT array_agg(id) FROM (SELECT id FROM contacts ORDER BY id LIMIT 5000) x) AS k) p"""
_DOCUMENTS = """
INSERT INTO documents (listing_id, contact_id, agent_id, kind, file_name, bucket, bucket_key, size_bytes,
    content_type, uploaded_at)
SELECT l[1 + h1 %% cardinality(l)], NULL, a[1 + h2 %% cardinality(a)], kinds[1 + h3 %% 6]::"DocumentKind",
    initcap(replace(lower(kinds[1 + h3 %% 6]), '_', ' ')) || ' - ' || (100 + h4 %% 9800) || ' '
        || st[1 + h2 %% cardinality(st)] || '.pdf',
    'realtor-documents', 'bulk/' || g || '/' || replace(lower(kinds[1 + h3 %% 6]), '_', '-') || '.pdf',
    40000 + h4 %% 4000000, 'application/pdf', DAY (h1 %% 500)
FROM ROWS r,
     (SELECT %(streets)s::text[] AS st,
             ARRAY['PURCHASE_AGREEMENT','SELLER_DISCLOSURE','INSPECTION_REPORT','APPRAISAL',
                   'LISTING_AGREEMENT','PRE_APPROVAL_LETTER'] AS kinds,
             (SELECT array_agg(id) FROM (SELECT id FROM listings ORDER BY id LIMIT 5000) x) AS l,
             (SELECT array_agg(id) FROM (SELECT id FROM agents ORDER BY id LIMIT 1000) x) AS a) p"""
# Each table hashes its own offset K of the row number, so its picks are independent of the others'.
_BULK_SQL = {
    table: text.replace("ROWS", _ROWS.replace("K", str(4 * k))).replace("DAY", _DAY)
    for k, (table, text) in enumerate(
        (("listings", _LISTINGS), ("contacts", _CONTACTS), ("showings", _SHOWINGS), ("documents", _DOCUMENTS))
    )
}
# Rows per table in one unit of work (about 20 MB). Listings cost the most per byte (tsvector + GIN).
_UNIT = {"listings": 3000, "contacts": 16000, "showings": 16000, "documents": 8000}


@dataclass(frozen=True)
class BulkResult:
    bytes_before: int
    bytes_after: int
    seconds: float
    rows_added: dict[str, int]


def generate_bulk(
    dsn: str, target_bytes: int, *, workers: int = 2, max_seconds: float | None = None,
    vocab: dict[str, list[str]] | None = None,
) -> BulkResult:
    """Grow listings/contacts/showings/documents until the database holds about ``target_bytes``.

    Needs the realtor schema first. Blocking (run it with ``asyncio.to_thread``). Units of work run on
    ``workers`` connections at once; it stops at the target or after ``max_seconds``. ``vocab`` replaces
    the pools of ``bulk_vocabulary()`` (same keys), e.g. with far more sentences for less repetitive text.
    """
    started = time.perf_counter()
    deadline = None if max_seconds is None else started + max_seconds
    vocab = vocab or bulk_vocabulary()
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = size = _db_size(conn)
        next_g = {t: _max_id(conn, t) + 1 for t in _UNIT}
    added = dict.fromkeys(_UNIT, 0)
    lock = threading.Lock()

    def run_unit(fraction: float) -> None:
        if deadline is not None and time.perf_counter() > deadline:
            return
        with lock:  # reserve row numbers, so concurrent units never make the same row
            ranges = {t: (next_g[t], max(1, int(n * fraction))) for t, n in _UNIT.items()}
            for t, (first, n) in ranges.items():
                next_g[t] = first + n
        with psycopg.connect(dsn) as conn:
            skip_fk_triggers(conn)
            for table, (first, n) in ranges.items():
                conn.execute(_BULK_SQL[table], {**vocab, "first": first, "n": n})  # type: ignore[arg-type]
        with lock:
            for t, (_, n) in ranges.items():
                added[t] += n

    # A small first unit measures bytes per unit; later rounds refine it and close the remaining gap.
    bytes_per_unit, done_units = 0.0, 0.0
    while size < target_bytes and (deadline is None or time.perf_counter() < deadline):
        if not bytes_per_unit:
            plan = [0.05]
        else:
            units = (target_bytes - size) / bytes_per_unit
            plan = [1.0] * int(units) + ([units - int(units)] if units - int(units) > 0.01 else [])
            plan = plan or [0.02]
        with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
            list(pool.map(run_unit, plan))
        with psycopg.connect(dsn) as conn:
            new_size = _db_size(conn)
        done_units += sum(plan)
        # Never trust a tiny estimate: reused free space could otherwise plan a near-endless round.
        bytes_per_unit = max((new_size - before) / done_units, 1_000_000.0)
        size = new_size
    return BulkResult(before, size, time.perf_counter() - started, added)


async def generate_bulk_async(dsn: str, target_bytes: int, *, max_seconds: float | None = None) -> BulkResult:
    return await asyncio.to_thread(generate_bulk, dsn, target_bytes, max_seconds=max_seconds)


def skip_fk_triggers(conn: psycopg.Connection) -> None:
    """Skip FK checks on this connection when allowed (superuser, as in the sandbox).

    For rows whose references were taken from the tables themselves the checks only cost time.
    """
    try:
        with conn.transaction():  # a savepoint when a transaction is open: a refusal leaves it usable
            conn.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        pass


def _max_id(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(
        sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))
    ).fetchone()
    return int(row[0]) if row else 0


def _db_size(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0

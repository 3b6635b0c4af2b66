"""Growing the sandbox's realtor database toward a size, on the server, for backup benchmarks.

``generate_bulk`` combines sentence pools (``bulk_vocabulary``, rendered from ``realtor_vocabulary``) by
hashing row numbers: realistic, deterministic text at tens of MB/s.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from sandbox.realtor_vocabulary import (
    ADJECTIVES,
    CITIES,
    CLOSERS,
    CONTACT_NOTES,
    COUNTERS,
    FIRST_NAMES,
    INTERIORS,
    KITCHENS,
    LAST_NAMES,
    MAIL_DOMAINS,
    NEIGHBORHOODS,
    OPENERS,
    OUTDOORS,
    SHOWING_FEEDBACK,
    STREET_SUFFIXES,
    STREETS,
    City,
)


def bulk_vocabulary(seed: int = 7, per_group: int = 64) -> dict[str, list[str]]:
    """Pools the server combines by hashing row numbers: rendered sentences plus names and places.

    Opener ``k`` speaks of ``2 + k % 4`` bedrooms, so a title made from the same hash agrees with it.
    """
    rng = random.Random(seed)
    cities = [City(*c) for c in CITIES]

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

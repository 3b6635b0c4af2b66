"""The platform's realtor schema, applied as the Prisma migrations that built it, plus sample data.

``install_realtor_schema`` runs each migration's SQL, records it in ``_prisma_migrations`` the way
``prisma migrate deploy`` does (checksum = SHA-256 of the migration file), and loads the rows of
``realtor_data`` with COPY, all in one transaction. ``realtor_bulk.generate_bulk`` grows it further.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from sandbox import realtor_data
from sandbox.realtor_bulk import BulkResult, generate_bulk, generate_bulk_async, skip_fk_triggers

# Exactly the table `prisma migrate` creates.
PRISMA_MIGRATIONS_DDL = """CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)"""

_INIT = """-- CreateEnum
CREATE TYPE "ListingStatus" AS ENUM ('COMING_SOON', 'ACTIVE', 'PENDING', 'SOLD', 'WITHDRAWN', 'EXPIRED');

-- CreateEnum
CREATE TYPE "PropertyType" AS ENUM ('SINGLE_FAMILY', 'CONDO', 'TOWNHOUSE', 'MULTI_FAMILY', 'LAND');

-- CreateTable
CREATE TABLE "agents" (
    "id" SERIAL NOT NULL,
    "first_name" TEXT NOT NULL,
    "last_name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "phone" TEXT,
    "license_number" TEXT NOT NULL,
    "office" TEXT,
    "bio" TEXT,
    "photo_url" TEXT,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "listings" (
    "id" SERIAL NOT NULL,
    "mls_number" TEXT NOT NULL,
    "agent_id" INTEGER NOT NULL,
    "status" "ListingStatus" NOT NULL DEFAULT 'COMING_SOON',
    "property_type" "PropertyType" NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "street" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "state" CHAR(2) NOT NULL,
    "zip" TEXT NOT NULL,
    "latitude" DECIMAL(9,6),
    "longitude" DECIMAL(9,6),
    "price" DECIMAL(12,2) NOT NULL,
    "bedrooms" INTEGER NOT NULL DEFAULT 0,
    "bathrooms" DECIMAL(3,1) NOT NULL DEFAULT 0,
    "square_feet" INTEGER,
    "lot_size_sqft" INTEGER,
    "year_built" INTEGER,
    "features" JSONB NOT NULL DEFAULT '{}',
    "photos" TEXT[],
    "tags" TEXT[],
    "listed_at" TIMESTAMP(3),
    "sold_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "listings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contacts" (
    "id" SERIAL NOT NULL,
    "first_name" TEXT NOT NULL,
    "last_name" TEXT NOT NULL,
    "email" TEXT,
    "phone" TEXT,
    "city" TEXT,
    "state" CHAR(2),
    "source" TEXT,
    "notes" TEXT,
    "marketing_opt_in" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "contacts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "agents_email_key" ON "agents"("email");

-- CreateIndex
CREATE UNIQUE INDEX "agents_license_number_key" ON "agents"("license_number");

-- CreateIndex
CREATE UNIQUE INDEX "listings_mls_number_key" ON "listings"("mls_number");

-- CreateIndex
CREATE INDEX "listings_agent_id_idx" ON "listings"("agent_id");

-- CreateIndex
CREATE INDEX "contacts_email_idx" ON "contacts"("email");

-- AddForeignKey
ALTER TABLE "listings" ADD CONSTRAINT "listings_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"""

_LEADS_SHOWINGS = """-- CreateEnum
CREATE TYPE "LeadStatus" AS ENUM ('NEW', 'CONTACTED', 'QUALIFIED', 'NURTURING', 'CONVERTED', 'LOST');

-- CreateEnum
CREATE TYPE "ShowingStatus" AS ENUM ('SCHEDULED', 'COMPLETED', 'CANCELLED', 'NO_SHOW');

-- CreateTable
CREATE TABLE "leads" (
    "id" SERIAL NOT NULL,
    "contact_id" INTEGER NOT NULL,
    "listing_id" INTEGER,
    "agent_id" INTEGER NOT NULL,
    "status" "LeadStatus" NOT NULL DEFAULT 'NEW',
    "source" TEXT,
    "message" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "leads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "showings" (
    "id" SERIAL NOT NULL,
    "listing_id" INTEGER NOT NULL,
    "agent_id" INTEGER NOT NULL,
    "contact_id" INTEGER NOT NULL,
    "scheduled_at" TIMESTAMP(3) NOT NULL,
    "duration_minutes" INTEGER NOT NULL DEFAULT 30,
    "status" "ShowingStatus" NOT NULL DEFAULT 'SCHEDULED',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "showings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "leads_agent_id_status_idx" ON "leads"("agent_id", "status");

-- CreateIndex
CREATE INDEX "showings_listing_id_scheduled_at_idx" ON "showings"("listing_id", "scheduled_at");

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_listing_id_fkey" FOREIGN KEY ("listing_id") REFERENCES "listings"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "showings" ADD CONSTRAINT "showings_listing_id_fkey" FOREIGN KEY ("listing_id") REFERENCES "listings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "showings" ADD CONSTRAINT "showings_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "showings" ADD CONSTRAINT "showings_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"""

_DOCUMENTS = """-- CreateEnum
CREATE TYPE "DocumentKind" AS ENUM ('PURCHASE_AGREEMENT', 'SELLER_DISCLOSURE', 'INSPECTION_REPORT', 'APPRAISAL', 'FLOOR_PLAN', 'LISTING_AGREEMENT', 'PRE_APPROVAL_LETTER', 'HOA_DOCUMENTS');

-- CreateTable
CREATE TABLE "documents" (
    "id" SERIAL NOT NULL,
    "listing_id" INTEGER,
    "contact_id" INTEGER,
    "agent_id" INTEGER NOT NULL,
    "kind" "DocumentKind" NOT NULL,
    "file_name" TEXT NOT NULL,
    "bucket" TEXT NOT NULL DEFAULT 'realtor-documents',
    "bucket_key" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "content_type" TEXT NOT NULL,
    "uploaded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "documents_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "documents_bucket_key_key" ON "documents"("bucket_key");

-- CreateIndex
CREATE INDEX "documents_listing_id_idx" ON "documents"("listing_id");

-- AddForeignKey
ALTER TABLE "documents" ADD CONSTRAINT "documents_listing_id_fkey" FOREIGN KEY ("listing_id") REFERENCES "listings"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "documents" ADD CONSTRAINT "documents_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "documents" ADD CONSTRAINT "documents_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"""

# Prisma cannot express a generated tsvector, so this migration was hand-written (--create-only).
# Its first version folded in array_to_string(tags), which is not immutable: it failed, was marked
# rolled back (`prisma migrate resolve --rolled-back`), fixed and deployed again.
_SEARCH = """-- AlterTable
ALTER TABLE "listings" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce("description", '')), 'B') ||
    setweight(to_tsvector('english'::regconfig, coalesce("street", '') || ' ' || coalesce("city", '')), 'C')
) STORED;

-- CreateIndex
CREATE INDEX "listings_search_vector_idx" ON "listings" USING GIN ("search_vector");
"""
_SEARCH_FIRST_TRY = _SEARCH.replace(
    """coalesce("city", '')), 'C')""",
    """coalesce("city", '') || ' ' || array_to_string("tags", ' ')), 'C')""",
)
_SEARCH_FAILURE_LOG = """A migration failed to apply. New migrations cannot be applied before the error is recovered from. Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve

Migration name: 20250402110455_listing_full_text_search

Database error code: 42P17

Database error:
ERROR: generation expression is not immutable

DbError { severity: "ERROR", parsed_severity: Some(Error), code: SqlState(E42P17), message: "generation expression is not immutable", detail: None, hint: None, position: None, where_: None, schema: None, table: None, column: None, datatype: None, constraint: None, file: Some("heap.c"), line: Some(3265), routine: Some("cookDefault") }
"""

_LEAD_BUDGET = """-- AlterTable
ALTER TABLE "leads" ADD COLUMN "budget_max" DECIMAL(12,2),
ADD COLUMN "budget_min" DECIMAL(12,2);
"""

_SHOWING_FEEDBACK = """-- AlterTable
ALTER TABLE "showings" ADD COLUMN "feedback" TEXT,
ADD COLUMN "rating" SMALLINT;
"""

_LISTING_INDEXES = """-- CreateIndex
CREATE INDEX "listings_status_price_idx" ON "listings"("status", "price");

-- CreateIndex
CREATE INDEX "listings_city_state_idx" ON "listings"("city", "state");

-- CreateIndex
CREATE INDEX "leads_contact_id_idx" ON "leads"("contact_id");
"""

# (migration name, SQL) in order; the names carry the UTC time `prisma migrate dev` gave them.
MIGRATIONS: list[tuple[str, str]] = [
    ("20250114093012_init", _INIT),
    ("20250203151847_add_leads_and_showings", _LEADS_SHOWINGS),
    ("20250311104522_add_documents", _DOCUMENTS),
    ("20250402110455_listing_full_text_search", _SEARCH),
    ("20250519083310_add_lead_budget_range", _LEAD_BUDGET),
    ("20250624162201_add_showing_feedback", _SHOWING_FEEDBACK),
    ("20250812091734_add_listing_search_indexes", _LISTING_INDEXES),
]
ROLLED_BACK = "20250402110455_listing_full_text_search"
__all__ = [
    "MIGRATIONS",
    "TABLES",
    "BulkResult",
    "InstallResult",
    "add_failed_migration",
    "checksum",
    "generate_bulk",
    "generate_bulk_async",
    "install_realtor_schema",
    "install_realtor_schema_sync",
]
TABLES = ("agents", "listings", "contacts", "leads", "showings", "documents")


@dataclass(frozen=True)
class InstallResult:
    installed: bool  # False: the schema was already there and nothing was changed
    seconds: float
    row_counts: dict[str, int] = field(default_factory=dict)


def checksum(migration_sql: str) -> str:
    return hashlib.sha256(migration_sql.encode()).hexdigest()


async def install_realtor_schema(dsn: str, *, rows_scale: float = 1.0, seed: int = 42) -> InstallResult:
    """Create the schema, its migration history and sample rows unless already there."""
    return await asyncio.to_thread(install_realtor_schema_sync, dsn, rows_scale=rows_scale, seed=seed)


def install_realtor_schema_sync(dsn: str, *, rows_scale: float = 1.0, seed: int = 42) -> InstallResult:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        # Two sandboxes starting at once must not both install.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('realtor_schema_install'))")
        if _already_installed(conn):
            return InstallResult(False, time.perf_counter() - started, _row_counts(conn))
        _apply_migrations(conn, random.Random(seed))
        rows = realtor_data.sample_rows(seed, rows_scale)
        skip_fk_triggers(conn)  # the generated rows reference only rows generated with them
        with conn.cursor() as cur:
            for table in TABLES:
                cols = sql.SQL(", ").join(map(sql.Identifier, realtor_data.TABLE_COLUMNS[table]))
                stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), cols)
                with cur.copy(stmt) as copy:
                    for row in rows[table]:
                        copy.write_row(row)
                # Rows came with their ids: move the SERIAL sequence past them.
                cur.execute(
                    sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), max(id)) FROM {i}").format(
                        t=sql.Literal(table), i=sql.Identifier(table)
                    )
                )
        # Fresh planner statistics, so search queries use the GIN index from the start.
        conn.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, TABLES))))
        counts = _row_counts(conn)
    return InstallResult(True, time.perf_counter() - started, counts)


def add_failed_migration(dsn: str, name: str = "20251001120000_add_listing_open_houses") -> None:
    """Fault injection: record a migration that started and failed, as `prisma migrate deploy` leaves it."""
    log = f'Migration name: {name}\n\nDatabase error code: 42P01\n\nDatabase error:\nERROR: relation "open_houses" does not exist\n'
    with psycopg.connect(dsn) as conn:
        conn.execute(
            'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, '
            "applied_steps_count) VALUES (gen_random_uuid()::text, %s, NULL, %s, %s, now(), 0)",
            (checksum(name), name, log),
        )


def _already_installed(conn: psycopg.Connection) -> bool:
    if conn.execute("SELECT to_regclass('public._prisma_migrations')").fetchone() == (None,):
        return False
    row = conn.execute(
        'SELECT 1 FROM "_prisma_migrations" WHERE migration_name = %s AND finished_at IS NOT NULL',
        (MIGRATIONS[0][0],),
    ).fetchone()
    return row is not None


def _apply_migrations(conn: psycopg.Connection, rng: random.Random) -> None:
    conn.execute(PRISMA_MIGRATIONS_DDL)
    insert = (
        'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, '
        "started_at, applied_steps_count) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    for name, ddl in MIGRATIONS:
        # Deployed a few minutes after the migration was generated, taking well under a second.
        started = datetime.strptime(name[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        started += timedelta(minutes=rng.randint(8, 50), seconds=rng.random() * 59)
        if name == ROLLED_BACK:
            rolled_back = started + timedelta(minutes=21)
            first_try = (
                checksum(_SEARCH_FIRST_TRY),
                None,
                name,
                _SEARCH_FAILURE_LOG,
                rolled_back,
                started,
                0,
            )
            conn.execute(insert, (realtor_data.deterministic_uuid(rng), *first_try))
            started += timedelta(minutes=34)
        conn.execute(ddl)
        finished = started + timedelta(milliseconds=rng.randint(40, 900))
        applied = (checksum(ddl), finished, name, None, None, started, 1)
        conn.execute(insert, (realtor_data.deterministic_uuid(rng), *applied))


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts

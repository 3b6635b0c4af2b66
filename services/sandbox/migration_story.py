"""The sandbox's Prisma migrations as the repository holds them now, and the database states that go
with them, so the Deployments screen has every status to show:

- the repository's ``prisma/migrations`` has every migration the databases applied, one of them edited
  after it was applied (a comment added to ``add_showing_feedback``), and one newer migration
  (``add_listing_open_houses``);
- production has not applied the newer one yet (pending); staging tried and failed (failed);
- the full-text-search migration was rolled back once and applied again (``realtor_schema``).
"""

from __future__ import annotations

import psycopg

from services.sandbox.realtor_schema import MIGRATIONS, add_failed_migration

EDITED = "20250624162201_add_showing_feedback"
PENDING = "20251001120000_add_listing_open_houses"
PENDING_SQL = """-- CreateTable
CREATE TABLE "open_houses" (
    "id" SERIAL NOT NULL,
    "listing_id" INTEGER NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "host_agent_id" INTEGER NOT NULL,
    CONSTRAINT "open_houses_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "open_houses" ADD CONSTRAINT "open_houses_listing_id_fkey" FOREIGN KEY ("listing_id") REFERENCES "listings"("id") ON DELETE CASCADE ON UPDATE CASCADE;
"""


def repository_migrations() -> list[tuple[str, str]]:
    """(name, migration.sql) as the repository's main branch holds them."""
    out = []
    for name, sql in MIGRATIONS:
        if name == EDITED:
            sql = "-- Rating is 1 to 5; feedback is free text from the buyer\n" + sql
        out.append((name, sql))
    out.append((PENDING, PENDING_SQL))
    return out


def apply_story(dsn: str, environment: str) -> None:
    """Staging has a failed attempt at the pending migration (once; idempotent)."""
    if environment != "staging":
        return
    with psycopg.connect(dsn) as conn:
        row = conn.execute('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = %s', (PENDING,)).fetchone()
    if row is None:
        add_failed_migration(dsn, PENDING)

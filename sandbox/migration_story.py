"""The sandbox's Prisma migrations as the repository holds them now, and the database states that go
with them, so the Deployments screen has every status to show:

- the repository's ``prisma/migrations`` has every migration the databases applied, one of them edited
  after it was applied (a comment added to ``add_showing_feedback``), and one newer migration
  (``add_listing_open_houses``);
- a migration applied yesterday with the virtual-tour release (``add_listing_virtual_tour``): rolling
  production back to a deployment before it leaves it applied — the caveat the rollback dialog names;
- production has not applied the newest one yet (pending); staging tried and failed (failed);
- the full-text-search migration was rolled back once and applied again (``realtor_schema``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from sandbox.realtor_schema import MIGRATIONS, add_failed_migration, checksum

EDITED = "20250624162201_add_showing_feedback"
RECENT = "20250930081500_add_listing_virtual_tour"
RECENT_SQL = """-- AlterTable
ALTER TABLE "listings" ADD COLUMN "virtual_tour_url" TEXT;
"""
# Hours before the sandbox starts that each environment applied RECENT (with the virtual-tour deploy).
RECENT_APPLIED_HOURS = {"production": 20, "staging": 27, "development": 27}
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
    out.append((RECENT, RECENT_SQL))
    out.append((PENDING, PENDING_SQL))
    return out


def apply_story(dsn: str, environment: str, *, now: datetime | None = None) -> None:
    """RECENT applied some hours ago; on staging a failed attempt at PENDING too. Idempotent."""
    now = now or datetime.now(UTC)
    with psycopg.connect(dsn) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('realtor_migration_story'))")
        done = conn.execute('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = %s', (RECENT,)).fetchone()
        if done is None:
            conn.execute(RECENT_SQL)
            finished = now - timedelta(hours=RECENT_APPLIED_HOURS.get(environment, 27))
            conn.execute(
                'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, '
                "applied_steps_count) VALUES (gen_random_uuid()::text, %s, %s, %s, NULL, %s, 1)",
                (checksum(RECENT_SQL), finished, RECENT, finished - timedelta(milliseconds=310)))
        failed = conn.execute('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = %s', (PENDING,)).fetchone()
    if environment == "staging" and failed is None:
        add_failed_migration(dsn, PENDING)

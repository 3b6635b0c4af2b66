"""A database that exercises what pg_dump/pg_restore get wrong most: partitions, RLS, enums, domains,
generated columns, an exclusion constraint, non-ASCII identifiers, sequences, large objects, a
materialized view, and grants to Supabase's API roles."""

from __future__ import annotations

import hashlib
import subprocess

import psycopg

ROLES = ("anon", "authenticated", "service_role")

RICH_SCHEMA = r"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TYPE listing_status AS ENUM ('draft', 'active', 'sold');
CREATE DOMAIN price_cents AS bigint CHECK (VALUE >= 0);
CREATE SCHEMA "immobilière";
CREATE TABLE "immobilière"."agence_é" ("nüm" serial PRIMARY KEY, "nom_ß" text NOT NULL);
CREATE TABLE listings (
    id bigserial PRIMARY KEY,
    status listing_status NOT NULL DEFAULT 'draft',
    price price_cents NOT NULL,
    sqft integer NOT NULL,
    price_per_sqft numeric GENERATED ALWAYS AS (round(price::numeric / NULLIF(sqft, 0), 2)) STORED,
    owner_id uuid NOT NULL,
    title text
);
ALTER TABLE listings ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_listings ON listings FOR ALL TO authenticated USING (owner_id::text = current_setting('app.uid', true));
CREATE POLICY read_active ON listings FOR SELECT TO anon USING (status = 'active');
CREATE TABLE showings (
    id serial PRIMARY KEY,
    room integer NOT NULL,
    during tstzrange NOT NULL,
    EXCLUDE USING gist (room WITH =, during WITH &&)
);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE SEQUENCE invoice_no START 1000 INCREMENT 7;
CREATE TABLE docs (id serial PRIMARY KEY, blob oid);
CREATE MATERIALIZED VIEW active_prices AS SELECT status, count(*) AS n, avg(price) AS avg_price FROM listings GROUP BY status;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT SELECT ON listings TO anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON listings TO authenticated;
GRANT ALL ON ALL TABLES IN SCHEMA public TO service_role;
GRANT USAGE ON SEQUENCE listings_id_seq TO authenticated;
GRANT SELECT ON "immobilière"."agence_é" TO anon;
COMMENT ON TABLE listings IS 'Annonces — prix en ¢';

INSERT INTO "immobilière"."agence_é" ("nom_ß") VALUES ('Straße 1'), ('Café Ölberg'), ('東京不動産');
INSERT INTO listings (status, price, sqft, owner_id, title)
SELECT (ARRAY['draft','active','sold'])[1 + g % 3]::listing_status, 100000 + g * 317, 500 + g % 900,
       md5(g::text)::uuid, 'Maison n°' || g || E' — tab\there, newline\nthere, quote '' and \\ backslash'
FROM generate_series(1, 3000) g;
INSERT INTO showings (room, during)
SELECT g % 20, tstzrange('2025-01-01'::timestamptz + (g / 20) * interval '1 hour',
                         '2025-01-01'::timestamptz + (g / 20) * interval '1 hour' + interval '50 minutes')
FROM generate_series(0, 999) g;
INSERT INTO events SELECT g, DATE '2024-06-01' + (g % 400), jsonb_build_object('n', g, 'k', repeat('x', g % 50))
FROM generate_series(1, 4000) g;
SELECT setval('invoice_no', 1077, true);
SELECT nextval('invoice_no');
INSERT INTO docs (blob) SELECT lo_from_bytea(0, decode(repeat(md5(g::text), 200 + g), 'hex')) FROM generate_series(1, 5) g;
REFRESH MATERIALIZED VIEW active_prices;
"""


def ensure_roles(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for role in ROLES:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                try:
                    conn.execute(f"CREATE ROLE {role} NOLOGIN")
                except psycopg.errors.DuplicateObject:
                    pass


def install_rich(dsn: str) -> None:
    ensure_roles(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(RICH_SCHEMA)


def schema_dump(dsn: str, pg_dump: str = "pg_dump") -> str:
    """Schema and privileges as pg_dump prints them, minus the lines that differ between any two runs."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    out = subprocess.run([pg_dump, "--schema-only", "-h", str(info.get("host", "127.0.0.1")), "-p",
                          str(info.get("port", 5432)), "-U", str(info.get("user", "postgres")), str(info["dbname"])],
                         capture_output=True, text=True, check=True).stdout
    return "\n".join(ln for ln in out.splitlines() if not ln.startswith(("\\restrict", "\\unrestrict", "-- Dumped")))


def fingerprint(dsn: str) -> dict[str, object]:
    """Per-table content checksums, sequence values, large objects, privileges, policies."""
    fp: dict[str, object] = {}
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1").fetchall()
        for (t,) in tables:
            row = conn.execute(f"SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) "
                               f"FROM ONLY {t} x").fetchone()
            fp[f"table {t}"] = tuple(row) if row else None
        for (s,) in conn.execute("SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences ORDER BY 1").fetchall():
            fp[f"sequence {s}"] = tuple(conn.execute(f"SELECT last_value, is_called FROM {s}").fetchone() or ())
        los = conn.execute("SELECT m.oid, pg_get_userbyid(m.lomowner), md5(lo_get(m.oid)) FROM pg_largeobject_metadata m "
                           "ORDER BY 1").fetchall()
        fp["large objects"] = [tuple(r) for r in los]
        fp["acl"] = [tuple(r) for r in conn.execute(
            "SELECT c.relname, c.relacl::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relacl IS NOT NULL ORDER BY 1").fetchall()]
        fp["policies"] = [tuple(r) for r in conn.execute(
            "SELECT tablename, policyname, roles::text, qual FROM pg_policies ORDER BY 1, 2").fetchall()]
    return fp


def digest(fp: dict[str, object]) -> str:
    return hashlib.sha256(repr(sorted(fp.items())).encode()).hexdigest()

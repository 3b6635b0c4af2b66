"""Restoring one schema brings everything that belongs to it: the schema's grants and comment, the
publications its tables are in; a Supabase restore that trips over the skipped auth schema says so; Supabase is
recognised by its own schemas and extensions, not by the API roles any cluster may have."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from services.backup.dump_stream import create_backup
from services.backup.restore import RestoreOptions, restore_backup
from services.backup.supabase import supabase_signs
from services.core.errors import OpsError
from services.core.pg_tools import tools_for
from tests.backup.conftest import BackupEnv, dsn_for
from tests.backup.fixtures_sql import ensure_roles

SOURCE = """
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'the brokerage''s own tables';
GRANT USAGE ON SCHEMA app TO anon, authenticated, service_role;
GRANT CREATE ON SCHEMA app TO service_role;
CREATE TABLE app.listings (id int PRIMARY KEY, title text);
COMMENT ON TABLE app.listings IS 'for sale';
INSERT INTO app.listings SELECT g, 'Villa ' || g FROM generate_series(1, 30) g;
GRANT SELECT ON app.listings TO anon;
CREATE TABLE public.offices (id int PRIMARY KEY, city text);
INSERT INTO public.offices VALUES (1, 'Lyon'), (2, 'Nice');
COMMENT ON SCHEMA public IS 'offices and the rest';
CREATE PUBLICATION realtor_changes FOR TABLE public.offices, app.listings;
COMMENT ON PUBLICATION realtor_changes IS 'what the realtime feed sends';
CREATE PUBLICATION "offices feed" FOR TABLE public.offices;
"""

SCHEMA_FACTS = """
SELECT n.nspname, coalesce(n.nspacl::text, ''), coalesce(obj_description(n.oid, 'pg_namespace'), '')
FROM pg_namespace n WHERE n.nspname = ANY(%s) ORDER BY 1
"""


def schema_facts(dsn: str, *schemas: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(dsn) as c:
        return [tuple(r) for r in c.execute(SCHEMA_FACTS, (list(schemas),)).fetchall()]  # type: ignore[misc]


def publication_tables(dsn: str, pub: str) -> list[str]:
    with psycopg.connect(dsn) as c:
        return [f"{r[0]}.{r[1]}" for r in c.execute(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s ORDER BY 1, 2", (pub,))]


@pytest.fixture
def databases(pg_dsn: str) -> Iterator[list[str]]:
    """Names for target databases, dropped afterwards."""
    made: list[str] = []
    yield made
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        for name in made:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_db(pg_dsn: str, made: list[str], sql_text: str = "") -> str:
    name = f"t_sch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    made.append(name)
    if sql_text:
        with psycopg.connect(dsn_for(pg_dsn, name), autocommit=True) as c:
            c.execute(sql_text)
    return name


async def test_one_schema_keeps_its_grants_and_comment_as_pg_restore_does(backup_env: BackupEnv, pg_dsn: str,
                                                                          databases: list[str]) -> None:
    ensure_roles(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(SOURCE)
    m = await create_backup(backup_env.ctx, "staging")
    wanted = schema_facts(backup_env.dsn, "app")
    assert "anon=U" in wanted[0][1] and "service_role=UC" in wanted[0][1] and wanted[0][2]

    # Into a database as the source was (grants and comment in place): they are still there afterwards.
    same = new_db(pg_dsn, databases, SOURCE)
    await restore_backup(backup_env.ctx, "staging", m.id, same, confirm=same, reason="t",
                         options=RestoreOptions(schemas=("app",), skip_safety_backup=True))
    assert schema_facts(dsn_for(pg_dsn, same), "app") == wanted
    # The reference: plain pg_restore -n app --clean into a database like that one (it never drops the schema).
    reference = new_db(pg_dsn, databases, SOURCE)
    archive = backup_env.ctx.paths.cache / "ref.dump"
    with psycopg.connect(backup_env.dsn) as c:
        major = int(c.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
    tools = tools_for(major)
    subprocess.run([tools.path("pg_dump"), "-Fc", "-f", str(archive), backup_env.dsn], check=True)
    subprocess.run([tools.path("pg_restore"), "-n", "app", "--clean", "--if-exists", "-d", dsn_for(pg_dsn, reference),
                    str(archive)], capture_output=True, text=True, check=False)
    assert schema_facts(dsn_for(pg_dsn, reference), "app") == schema_facts(dsn_for(pg_dsn, same), "app")

    # Into a database whose schema 'app' has neither: the backup's grants and comment are restored.
    bare = new_db(pg_dsn, databases, "CREATE SCHEMA app; CREATE TABLE app.listings (id int PRIMARY KEY, title text)")
    await restore_backup(backup_env.ctx, "staging", m.id, bare, confirm=bare, reason="t",
                         options=RestoreOptions(schemas=("app",), skip_safety_backup=True))
    assert schema_facts(dsn_for(pg_dsn, bare), "app") == wanted
    # Into a new database: the same.
    fresh = f"t_sch_{uuid.uuid4().hex[:10]}"
    databases.append(fresh)
    await restore_backup(backup_env.ctx, "staging", m.id, fresh, confirm=fresh, reason="t",
                         options=RestoreOptions(schemas=("app",), skip_safety_backup=True))
    assert schema_facts(dsn_for(pg_dsn, fresh), "app") == wanted
    with psycopg.connect(dsn_for(pg_dsn, fresh)) as c:
        assert c.execute("SELECT obj_description('app.listings'::regclass)").fetchone() == ("for sale",)
        assert c.execute("SELECT has_table_privilege('anon', 'app.listings', 'SELECT')").fetchone() == (True,)
    # The publication came with its table in 'app' (and only that one: 'public' was not asked for).
    assert publication_tables(dsn_for(pg_dsn, fresh), "realtor_changes") == ["app.listings"]


async def test_one_schema_brings_the_publication_its_tables_are_in(backup_env: BackupEnv, pg_dsn: str,
                                                                   databases: list[str]) -> None:
    ensure_roles(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(SOURCE)
    m = await create_backup(backup_env.ctx, "staging")
    # A database without the publication: it is created, with the restored schema's table, and its comment.
    lacking = new_db(pg_dsn, databases, "CREATE TABLE public.offices (id int PRIMARY KEY, city text)")
    r = await restore_backup(backup_env.ctx, "staging", m.id, lacking, confirm=lacking, reason="t",
                             options=RestoreOptions(schemas=("public",), skip_safety_backup=True))
    assert r.tables_checked == 1
    dsn = dsn_for(pg_dsn, lacking)
    assert publication_tables(dsn, "realtor_changes") == ["public.offices"]
    assert publication_tables(dsn, "offices feed") == ["public.offices"]  # a name with a space
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT obj_description(oid, 'pg_publication') FROM pg_publication "
                         "WHERE pubname = 'realtor_changes'").fetchone() == ("what the realtime feed sends",)
    assert schema_facts(dsn, "public")[0][2] == "offices and the rest"
    # A database that has it, with a table of its own in it: left as it is, the restored table added.
    having = new_db(pg_dsn, databases, "CREATE TABLE public.keep_me (id int PRIMARY KEY); "
                                       "CREATE PUBLICATION realtor_changes FOR TABLE public.keep_me")
    r = await restore_backup(backup_env.ctx, "staging", m.id, having, confirm=having, reason="t",
                             options=RestoreOptions(schemas=("public",), skip_safety_backup=True))
    assert any("realtor_changes kept as the target has" in n for n in r.notes)
    assert publication_tables(dsn_for(pg_dsn, having), "realtor_changes") == ["public.keep_me", "public.offices"]


SUPABASE_SOURCE = """
CREATE SCHEMA auth;
CREATE TABLE auth.users (id int PRIMARY KEY, email text);
INSERT INTO auth.users VALUES (1, 'ana@example.com'), (2, 'bo@example.com');
CREATE SCHEMA storage;
CREATE TABLE public.profiles (id int PRIMARY KEY, user_id int NOT NULL REFERENCES auth.users (id), name text);
INSERT INTO public.profiles VALUES (10, 1, 'Ana'), (11, 2, 'Bo');
GRANT SELECT ON public.profiles TO authenticated;
"""


async def test_a_fk_into_the_skipped_auth_schema_says_so_and_what_to_do(backup_env: BackupEnv, pg_dsn: str,
                                                                        databases: list[str]) -> None:
    ensure_roles(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute(SUPABASE_SOURCE)
    m = await create_backup(backup_env.ctx, "staging")
    assert any("Supabase database detected" in n and "schema auth" in n for n in m.notes)
    # A fresh Supabase-like project: its own (empty) auth.users, storage.
    target = new_db(pg_dsn, databases, "CREATE SCHEMA auth; CREATE TABLE auth.users (id int PRIMARY KEY, "
                                       "email text); CREATE SCHEMA storage")
    with pytest.raises(OpsError) as err:
        await restore_backup(backup_env.ctx, "staging", m.id, target, confirm=target, reason="t",
                             options=RestoreOptions(skip_safety_backup=True))
    text = err.value.sentence()
    assert "auth.users" in text and "auth was skipped" in text and "--schema auth" in text
    assert "profiles_user_id_fkey" in text and "unchanged" in text
    with psycopg.connect(dsn_for(pg_dsn, target)) as c:
        assert c.execute("SELECT to_regclass('public.profiles')").fetchone() == (None,)  # rolled back
    # What the hint says works.
    await restore_backup(backup_env.ctx, "staging", m.id, target, confirm=target, reason="t",
                         options=RestoreOptions(schemas=("auth", "public"), skip_safety_backup=True))
    with psycopg.connect(dsn_for(pg_dsn, target)) as c:
        assert c.execute("SELECT count(*) FROM public.profiles JOIN auth.users u ON u.id = user_id").fetchone() == (2,)


def test_supabase_is_its_own_schemas_and_extensions_not_the_api_roles_alone() -> None:
    roles = {"anon", "authenticated", "service_role", "postgres"}
    assert not supabase_signs(roles, {"public"}, {"plpgsql"}).detected
    assert not supabase_signs({"postgres"}, {"auth", "storage"}, {"pg_graphql"}).detected  # no API roles
    assert supabase_signs(roles, {"public", "auth"}, set()).detected
    assert supabase_signs(roles, {"public"}, {"pg_graphql"}).detected
    assert supabase_signs(roles | {"supabase_admin"}, {"public"}, set()).detected
    assert "extension supabase_vault" in supabase_signs(roles, set(), {"supabase_vault"}).sentence()


async def test_a_cluster_with_the_api_roles_only_is_not_treated_as_supabase(backup_env: BackupEnv, pg_dsn: str,
                                                                           databases: list[str]) -> None:
    """The roles exist cluster-wide here (other tests create them): a plain database is still a plain one,
    and a schema named like a managed one is restored like any other."""
    ensure_roles(backup_env.dsn)
    with psycopg.connect(backup_env.dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA vault_of_deeds; CREATE TABLE vault_of_deeds.deeds (id int PRIMARY KEY)")
        c.execute("INSERT INTO vault_of_deeds.deeds SELECT generate_series(1, 5)")
    m = await create_backup(backup_env.ctx, "staging")
    assert not any("Supabase" in n for n in m.notes)
    # The target has a 'realtime' schema of its own making but nothing else of Supabase's... still, one of
    # Supabase's own schemas is a sign: so the target here has none.
    target = new_db(pg_dsn, databases, "CREATE SCHEMA cron_jobs")
    r = await restore_backup(backup_env.ctx, "staging", m.id, target, confirm=target, reason="t",
                             options=RestoreOptions(skip_safety_backup=True))
    assert not any("Supabase" in n for n in r.notes)

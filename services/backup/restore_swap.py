"""``--strategy swap``: the backup is restored into a fresh database beside the target, row-counted, and
the two are renamed in one transaction (the old one kept as ``<name>_before_<timestamp>``, with the
target's owner, database-level grants and settings carried over to the new one). Also here: creating a
database, which a restore into a new name (``--to NEWNAME``, ``verify --restore-test``) needs as well.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql

from services.backup.restore_plan import RestoreOptions
from services.backup.supabase import read_signs
from services.core.errors import ConfigError, OpsError
from services.core.pg_tools import PgConn


def side_name(dbname: str, tag: str) -> str:
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return f"{dbname[:63 - len(tag) - len(stamp) - 2]}_{tag}_{stamp}"


def create_database(maint: PgConn, name: str, like: str | None = None) -> None:
    with maint.connect() as c:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
        if like:
            row = c.execute("SELECT datcollate, datctype FROM pg_database WHERE datname = %s", (like,)).fetchone()
            if row:
                query = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE {} LC_CTYPE {}").format(
                    sql.Identifier(name), sql.Literal(row[0]), sql.Literal(row[1]))
        c.execute(query)


def _other_sessions(c: psycopg.Connection[Any], dbname: str) -> list[str]:
    rows = c.execute("SELECT coalesce(nullif(application_name, ''), usename, 'a session') FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchall()
    return [str(r[0]) for r in rows]


def check_swap_possible(maint: PgConn, conn: PgConn, options: RestoreOptions) -> None:
    if options.schemas or options.data_only:
        raise ConfigError("--strategy swap restores the whole database; it cannot be combined with --schema or "
                          "--data-only", hint="Restore part of a database with the default strategy")
    if maint.dbname == conn.dbname:
        raise ConfigError(f"--strategy swap needs the maintenance database 'postgres' on {conn.label} to rename "
                          f"'{conn.dbname}', and it cannot be reached", hint="Use the default strategy")
    with conn.connect() as c:
        signs = read_signs(c)
    with maint.connect() as c:
        privileged = c.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()
        others = _other_sessions(c, conn.dbname)
    if signs.detected:
        raise ConfigError("--strategy swap is not possible on Supabase: the project's database cannot be renamed "
                          "under its pooler", hint="Use the default one-transaction restore (raise "
                          "max_locks_per_transaction with Supabase support if the schema is too big for it)")
    if not (privileged and privileged[0]):
        raise ConfigError(f"--strategy swap creates and renames databases; the role on {conn.label} may not",
                          hint="Use a role with CREATEDB that owns the target database")
    if others:
        raise ConfigError(f"--strategy swap renames '{conn.dbname}', but {len(others)} other session(s) are connected "
                          f"to it ({', '.join(sorted(set(others))[:4])}); nothing was changed",
                          hint="Stop the platform's connections to it first (or use the default strategy)")


_LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries"}


def _carry_over(c: psycopg.Connection[Any], source: str, dest: str) -> None:
    """Owner, database-level grants and settings of ``source`` onto ``dest`` (pg_dump does not carry them)."""
    row = c.execute("SELECT oid, datdba::regrole::text, datacl IS NOT NULL FROM pg_database WHERE datname = %s",
                    (source,)).fetchone()
    if row is None:
        return
    oid, owner, has_acl = row
    dest_id = sql.Identifier(dest)
    c.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(dest_id, sql.SQL(owner)))
    if has_acl:
        c.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(dest_id))
        grants = c.execute(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.privilege_type, "
            "a.is_grantable FROM pg_database d, aclexplode(d.datacl) a WHERE d.oid = %s", (oid,)).fetchall()
        for grantee, privilege, grantable in grants:
            c.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}{}").format(
                sql.SQL(privilege), dest_id, sql.SQL(grantee), sql.SQL(" WITH GRANT OPTION" if grantable else "")))
    settings = c.execute("SELECT setrole::regrole::text, setrole = 0, unnest(setconfig) FROM pg_db_role_setting "
                         "WHERE setdatabase = %s", (oid,)).fetchall()
    for role, everyone, entry in settings:
        name, _, value = str(entry).partition("=")
        shown = sql.SQL(value) if name.lower() in _LIST_SETTINGS else sql.Literal(value)
        if everyone:
            c.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(dest_id, sql.Identifier(name), shown))
        else:
            c.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
                sql.SQL(role), dest_id, sql.Identifier(name), shown))


def swap_in(maint: PgConn, target: str, fresh: str, old: str) -> None:
    """Rename ``target`` to ``old`` and ``fresh`` to ``target`` in one transaction: both or neither."""
    with maint.connect() as c:
        with c.transaction():
            others = _other_sessions(c, target)
            if others:
                raise OpsError(
                    f"{len(others)} other session(s) are connected to '{target}' ({', '.join(sorted(set(others))[:4])}); "
                    "it cannot be switched. The restored copy was dropped and the target is unchanged",
                    hint="Stop the platform's connections to it (or use the default one-transaction restore)")
            _carry_over(c, target, fresh)
            try:
                c.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(target), sql.Identifier(old)))
                c.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(fresh), sql.Identifier(target)))
            except psycopg.errors.ObjectInUse as exc:
                raise OpsError(f"'{target}' is in use and cannot be switched; the restored copy was dropped and the "
                               "target is unchanged", hint="Stop the platform's connections to it",
                               detail=str(exc)) from None

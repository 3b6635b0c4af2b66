"""What a backup will read, checked before pg_dump starts: the tables in scope, the database's size, the
roles the archive names, and whether the role can read all of it (pg_dump stops at the first refusal)."""

from __future__ import annotations

from dataclasses import dataclass

from services.backup.supabase import SUPABASE_MANAGED_SCHEMAS, read_signs
from services.core.errors import ConfigError
from services.core.pg_tools import PgConn

_SCOPE = """
SELECT n.nspname, c.relname, c.relkind, c.reltuples::bigint, pg_total_relation_size(c.oid),
       has_table_privilege(c.oid, 'SELECT'), has_schema_privilege(n.oid, 'USAGE'),
       c.relrowsecurity AND NOT (pg_has_role(c.relowner, 'USAGE') OR r.rolbypassrls OR r.rolsuper)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_roles r ON r.rolname = current_user
WHERE c.relkind IN ('r', 'S', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
  AND NOT (n.nspname <> ALL(%s) IS FALSE)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY 1, 2
"""


# Large objects the role may not read (pg_dump stops at the first one: "permission denied for large
# object"). Their metadata is readable by all; a missing ACL means the owner's defaults.
_UNREADABLE_LOS = """
SELECT m.oid::bigint FROM pg_largeobject_metadata m
WHERE current_setting('lo_compat_privileges') = 'off'
  AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
  AND NOT EXISTS (SELECT 1 FROM aclexplode(coalesce(m.lomacl, acldefault('L', m.lomowner))) a
                  WHERE a.privilege_type = 'SELECT' AND (a.grantee = 0 OR pg_has_role(a.grantee, 'USAGE')))
ORDER BY 1
"""


# Roles that own or are granted something the dump contains (PUBLIC, oid 0, joins to nothing).
_ROLES = """
WITH ns AS (SELECT oid, nspname, nspowner, nspacl FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_%%'
              AND NOT (nspname <> ALL(%s) IS FALSE))
SELECT DISTINCT r.rolname FROM (
    SELECT nspowner AS oid FROM ns
    UNION SELECT (aclexplode(nspacl)).grantee FROM ns
    UNION SELECT relowner FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    UNION SELECT (aclexplode(relacl)).grantee FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    UNION SELECT proowner FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION SELECT typowner FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION SELECT (aclexplode(typacl)).grantee FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION SELECT defaclrole FROM pg_default_acl
    UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
    UNION SELECT lomowner FROM pg_largeobject_metadata
) x JOIN pg_roles r ON r.oid = x.oid
"""


@dataclass(frozen=True)
class ScopeTable:
    schema: str
    name: str
    relkind: str
    estimate: int
    bytes: int


def preflight(conn: PgConn, exclude: tuple[str, ...]) -> tuple[list[ScopeTable], int, list[str], list[str]]:
    """What the dump will read, the database's size, notes, and the roles the archive will name
    (owners and grantees: a restore target needs them). Raises ConfigError when the role
    cannot read something pg_dump would need (a Supabase dump role on managed schemas, RLS)."""
    with conn.connect() as c:
        rows = c.execute(_SCOPE, (list(exclude),)).fetchall()
        size_row = c.execute("SELECT pg_database_size(current_database())").fetchone()
        signs = read_signs(c)
        referenced = sorted(r[0] for r in c.execute(_ROLES, (list(exclude),)).fetchall())
        hidden_los = [int(r[0]) for r in c.execute(_UNREADABLE_LOS).fetchall()]
    if hidden_los:
        shown = ", ".join(str(o) for o in hidden_los[:5]) + (" …" if len(hidden_los) > 5 else "")
        raise ConfigError(
            f"The backup role '{conn.user}' cannot read {len(hidden_los)} large object"
            f"{'s' if len(hidden_los) > 1 else ''} of the database (oid {shown}), and pg_dump stops at the first",
            hint=f"Back up with the objects' owner or a superuser, or GRANT SELECT ON LARGE OBJECT <oid> TO "
                 f"\"{conn.user}\" for each")
    denied: dict[str, list[str]] = {}
    rls: list[str] = []
    tables: list[ScopeTable] = []
    for schema, name, relkind, est, size, can_select, can_use, rls_blocks in rows:
        if not can_use or not can_select:
            denied.setdefault(schema, []).append(name)
            continue
        if relkind == "r" and rls_blocks:
            rls.append(f"{schema}.{name}")
        tables.append(ScopeTable(schema, name, relkind, int(est), int(size)))
    notes: list[str] = []
    if signs.detected:
        notes.append(f"Supabase database detected ({signs.sentence()}): the grants to its API roles are kept in "
                     "the archive")
    if denied or rls:
        parts = []
        if denied:
            parts.append("no read permission on " + "; ".join(
                f"{s}: {', '.join(sorted(t)[:5])}{' …' if len(t) > 5 else ''}" for s, t in sorted(denied.items())))
        if rls:
            parts.append("row-level security hides rows of " + ", ".join(rls[:8]) + (" …" if len(rls) > 8 else ""))
        managed = sorted(s for s in denied if s in SUPABASE_MANAGED_SCHEMAS)
        hint = "Back up with a role that can read everything (on Supabase: the postgres role over the direct " \
               "connection, DIRECT_URL), or leave those schemas out"
        if managed or denied:
            hint += " with " + " ".join(f"--exclude-schema {s}" for s in (managed or sorted(denied)))
        raise ConfigError(f"The backup role '{conn.user}' cannot read everything pg_dump needs: "
                          + "; ".join(parts), hint=hint)
    return tables, int(size_row[0]) if size_row else 0, notes, referenced

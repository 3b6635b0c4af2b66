"""Planning a restore: which entries of the archive's table of contents go, what the target needs first
(roles, default privileges set aside), whether one transaction fits the server's lock table; and, when it
fails, whether a schema left out (a Supabase managed one) is the reason.

A schema is restored with everything that belongs to it: its grants and comment (listed with schema '-' and
name 'SCHEMA app') and the publications its tables are in (created when the target lacks one; when the target
has it, it is left as it is, since dropping it would drop its other tables from it too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.backup import manifest as mf
from services.backup.archive import TocEntry
from services.backup.restore_target import RestoreTarget
from services.backup.supabase import SUPABASE_MANAGED_SCHEMAS, supabase_signs
from services.core.errors import ConfigError, OpsError


@dataclass(frozen=True)
class RestoreOptions:
    schemas: tuple[str, ...] = ()
    data_only: bool = False
    skip_safety_backup: bool = False
    lock_timeout_s: int = 60
    strategy: str = "transaction"  # or "swap": restore beside the target, then rename (see the module text)


@dataclass
class Plan:
    clean: bool
    created_database: bool
    use_list: str | None
    roles_to_create: list[str] = field(default_factory=list)
    # The restoring role's default privileges, set aside while objects are re-created (see _default_acls).
    defaults_off: list[str] = field(default_factory=list)
    defaults_on: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> manifest rows
    notes: list[str] = field(default_factory=list)
    server_major: int = 0
    superuser: bool = False
    transactional: bool = True
    skipped_schemas: set[str] = field(default_factory=set)  # managed schemas left as the target has them
    skipped_tables: set[str] = field(default_factory=set)  # "schema.table" of the archive in those schemas


# --- planning ----------------------------------------------------------------------------------------


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# The target's tables, views and sequences of its own (not an extension's; not a sequence that belongs
# to a column, which goes with its table).
_RELATIONS = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype IN ('e', 'a', 'i'))
"""
_RELATION_DESCS = ("TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FOREIGN TABLE")


def make_plan(manifest: mf.Manifest, toc: list[TocEntry], target: RestoreTarget, options: RestoreOptions,
              created: bool, tmpdir: Path) -> Plan:
    with target.conn.connect() as c:
        major = int(c.execute("SELECT current_setting('server_version_num')::int").fetchone()[0]) // 10000  # type: ignore[index]
        role = c.execute("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
        roles = {r[0] for r in c.execute("SELECT rolname FROM pg_roles").fetchall()}
        schemas = {r[0] for r in c.execute("SELECT nspname FROM pg_namespace").fetchall()}
        extensions = {r[0] for r in c.execute("SELECT extname FROM pg_extension").fetchall()}
        publications = {r[0] for r in c.execute("SELECT pubname FROM pg_publication").fetchall()}
        default_acls = c.execute(_DEFAULT_ACLS).fetchall()
        per_tx, slots = c.execute("SELECT current_setting('max_locks_per_transaction')::int, "
                                  "current_setting('max_connections')::int + "
                                  "current_setting('max_prepared_transactions')::int").fetchone() or (0, 0)
        relations = c.execute(_RELATIONS).fetchall()
        # Roles this one may hand objects to (ALTER … OWNER TO): PostgreSQL 16 asks for SET, before it membership.
        assignable = {r[0] for r in c.execute(
            f"SELECT rolname FROM pg_roles WHERE pg_has_role(current_user, oid, '{'SET' if major >= 16 else 'MEMBER'}')"
        ).fetchall()}
    superuser, createrole = bool(role and role[0]), bool(role and role[1])
    plan = Plan(clean=not created and not options.data_only, created_database=created, use_list=None,
                server_major=major, superuser=superuser)

    supabase_target = supabase_signs(roles, schemas, extensions).detected
    wanted = set(options.schemas)
    skip_managed = supabase_target and not wanted
    selected: list[TocEntry] = []
    for e in toc:
        home = home_schema(e)
        if wanted and home not in wanted and not (_publication_of(e) and not options.data_only):
            continue
        if skip_managed and (home in SUPABASE_MANAGED_SCHEMAS or
                             (e.desc == "EXTENSION" and e.name in SUPABASE_MANAGED_SCHEMAS)):
            plan.skipped_schemas.add(str(home or e.name))
            continue
        if skip_managed and _extension_of(e) in extensions:
            continue  # the platform's own (owned by supabase_admin): never dropped and re-created by a restore
        if options.data_only and e.desc not in ("TABLE DATA", "SEQUENCE SET", "BLOBS", "BLOB", "LARGE OBJECT",
                                                "BLOB METADATA"):
            continue
        selected.append(e)
    if wanted:
        selected = _with_publications(selected, publications, plan)
    plan.skipped_tables = {f"{e.schema}.{e.name}" for e in toc
                           if e.desc == "TABLE" and e.schema in plan.skipped_schemas}
    if skip_managed:
        plan.notes.append("Supabase target: the managed schemas (auth, storage, realtime, …) and the extensions it "
                          "already has were left as they are; restore a managed schema explicitly with --schema")
    if len(selected) != len(toc):
        listing = tmpdir / "use-list"
        listing.write_text("\n".join(e.line for e in selected) + "\n", encoding="utf-8")
        plan.use_list = str(listing)

    if plan.clean:
        # pg_restore --clean drops and re-creates what the archive holds; what only the target has stays.
        covered = {e.schema for e in selected if e.schema}
        archived = {(e.schema, e.name) for e in selected if e.desc in _RELATION_DESCS}
        extra = sorted(f"{s}.{n}" for s, n in relations if s in covered and (s, n) not in archived)
        if extra:
            plan.notes.append(f"kept as they were, not in the backup: {', '.join(extra[:10])}"
                              + (f" and {len(extra) - 10} more" if len(extra) > 10 else "")
                              + " (drop them if the backup should be all there is)")
    restored_schemas = {e.schema for e in selected if e.desc == "TABLE DATA"}
    plan.tables = {k: v for k, v in manifest.table_rows().items() if k.split(".", 1)[0] in restored_schemas}

    need, capacity = lock_need(selected, plan.clean), per_tx * slots
    if capacity and need > capacity * 0.8:
        if created:
            plan.transactional = False
            plan.notes.append(f"about {need} locks needed in one transaction, the server's lock table holds "
                              f"{capacity}: restored statement by statement into the new database")
        else:
            raise ConfigError(
                f"Restoring this backup in one transaction needs about {need} locks; the server's lock "
                f"table holds {capacity} (max_locks_per_transaction × connections). Nothing was changed",
                hint="Use --strategy swap (restore beside the target, then rename; needs no other sessions on "
                     "it at the switch, not on Supabase), restore part of it with --schema, or raise "
                     f"max_locks_per_transaction to at least {suggest_max_locks(need, slots)} (restart)")

    if plan.clean and plan.transactional and default_acls:
        plan.defaults_off, plan.defaults_on = _default_acl_statements(default_acls)
        plan.notes.append("the target's default privileges were set aside while objects were re-created, so the "
                          "restored grants are the backup's")
    needed_roles = set(manifest.extra.get("roles", []))
    needed_roles |= {e.owner for e in selected if e.owner}
    missing = sorted(r for r in needed_roles if r and r not in roles and not r.startswith("pg_"))  # pg_*: built in
    if missing:
        if not (superuser or createrole):
            raise ConfigError(f"The archive grants to or is owned by roles the target lacks: {', '.join(missing)}",
                              hint="Create those roles on the target server first (on Supabase they exist), "
                              "or restore with a role that has CREATEROLE")
        plan.roles_to_create = missing
        plan.notes.append(f"created missing roles (NOLOGIN) inside the restore: {', '.join(missing)}")
    if not superuser and not options.data_only:
        # pg_restore gives objects back to their owners; a role that may not would fail halfway (rolled
        # back, but only after the work): say so before.
        foreign = sorted({e.owner for e in selected if e.owner in roles} - assignable)
        if foreign:
            raise ConfigError(
                f"The backup's objects belong to roles that '{target.conn.user}' may not give objects to: "
                f"{', '.join(foreign[:6])}. Nothing was changed",
                hint="Restore with the role that owns them (or a superuser), or grant it membership in those "
                     "roles; restoring only your own schemas with --schema may avoid them")
    return plan


# Default privileges of the role running the restore: objects re-created by a --clean restore into an
# existing database would otherwise get them on top of the archive's grants (on Supabase, ALL to anon,
# authenticated and service_role on every table), so a restored table could end up more open than the
# backup's. They are revoked inside the restore's transaction and granted back before COMMIT; the
# archive's own DEFAULT ACL entries come last in pg_restore's output and are unaffected.
_DEFAULT_ACLS = """
WITH d AS (SELECT * FROM pg_default_acl WHERE defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)),
items AS (
    SELECT d.defaclnamespace, d.defaclobjtype, 'set' AS src, a.* FROM d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
    UNION ALL  -- a global entry replaces the built-in default, which may grant more (EXECUTE to PUBLIC)
    SELECT d.defaclnamespace, d.defaclobjtype, 'builtin', a.* FROM d CROSS JOIN LATERAL aclexplode(acldefault(
        CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END, d.defaclrole)) a
    WHERE d.defaclnamespace = 0
)
SELECT n.nspname, i.defaclobjtype::text, i.src,
       CASE WHEN i.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END, i.privilege_type, i.is_grantable
FROM items i LEFT JOIN pg_namespace n ON n.oid = i.defaclnamespace LEFT JOIN pg_roles r ON r.oid = i.grantee
ORDER BY 1, 2, 4, 5
"""
_DEFAULT_ACL_KINDS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}


def _default_acl_statements(rows: list[Any]) -> tuple[list[str], list[str]]:
    """Statements that make the current role's default privileges the built-in ones (off), and back (on)."""
    groups: dict[tuple[str | None, str], dict[str, set[tuple[str, str, bool]]]] = {}
    for schema, objtype, src, grantee, privilege, grantable in rows:
        if grantee:
            groups.setdefault((schema, str(objtype)), {"set": set(), "builtin": set()})[src].add(
                (grantee, privilege, bool(grantable)))
    off: list[str] = []
    on: list[str] = []
    for (schema, objtype), sets in groups.items():
        kind = _DEFAULT_ACL_KINDS.get(objtype)
        if kind is None:
            continue
        scope = f"IN SCHEMA {quote_ident(schema)} " if schema else ""

        def grant(item: tuple[str, str, bool], scope: str = scope, kind: str = kind) -> str:
            grantee, privilege, grantable = item
            return (f"ALTER DEFAULT PRIVILEGES {scope}GRANT {privilege} ON {kind} TO {grantee}"
                    + (" WITH GRANT OPTION;" if grantable else ";"))

        def revoke(item: tuple[str, str, bool], scope: str = scope, kind: str = kind) -> str:
            return f"ALTER DEFAULT PRIVILEGES {scope}REVOKE {item[1]} ON {kind} FROM {item[0]};"

        extra, lacking = sets["set"] - sets["builtin"], sets["builtin"] - sets["set"]
        off += [revoke(i) for i in sorted(extra)] + [grant(i) for i in sorted(lacking)]
        on += [grant(i) for i in sorted(extra)] + [revoke(i) for i in sorted(lacking)]
    return off, on


_OF_SCHEMA = ("ACL", "COMMENT", "SECURITY LABEL")


def home_schema(e: TocEntry) -> str | None:
    """The schema an entry belongs with. A schema's own grants and comment are listed with schema '-' and
    name 'SCHEMA app': they go with the schema (as ``pg_restore -n app`` keeps them)."""
    if e.desc == "SCHEMA":
        return e.name
    if e.schema == "-" and e.desc in _OF_SCHEMA and e.name.startswith("SCHEMA "):
        return e.name[len("SCHEMA "):]
    return None if e.schema == "-" else e.schema


def _publication_of(e: TocEntry) -> str | None:
    """The publication an entry is (PUBLICATION, its COMMENT): restored only with its tables (below)."""
    if e.desc == "PUBLICATION":
        return e.name
    if e.schema == "-" and e.desc in _OF_SCHEMA and e.name.startswith("PUBLICATION "):
        return e.name[len("PUBLICATION "):]
    return None


def _with_publications(selected: list[TocEntry], existing: set[str], plan: Plan) -> list[TocEntry]:
    """Of the publications, keep those whose tables are restored: when the target lacks one it is created
    (its PUBLICATION TABLE entries would fail without it); when it has it, it is left as it is (dropping it
    would drop its other tables from it too) and the restored tables are added to it."""
    # A member's name is "<publication> <table or schema>"; names may hold spaces, so match the known ones.
    names = sorted({e.name for e in selected if e.desc == "PUBLICATION"}, key=len, reverse=True)
    members = {next((p for p in names if e.name.startswith(p + " ")), e.name.split(" ", 1)[0])
               for e in selected if e.desc in ("PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA")}
    kept, there = [], sorted(members & existing)
    for e in selected:
        pub = _publication_of(e)
        if pub is not None and (pub not in members or pub in existing):
            continue
        kept.append(e)
    if there:
        plan.notes.append(f"publication(s) {', '.join(there)} kept as the target has them; the restored tables "
                          "were added to them")
    return kept


def _extension_of(e: TocEntry) -> str | None:
    if e.desc == "EXTENSION":
        return e.name
    if e.desc == "COMMENT" and e.schema == "-" and e.name.startswith("EXTENSION "):
        return e.name[len("EXTENSION "):]
    return None


_LOCKING = frozenset({"TABLE", "TABLE DATA", "INDEX", "SEQUENCE", "VIEW", "MATERIALIZED VIEW", "CONSTRAINT",
                      "FK CONSTRAINT", "TRIGGER", "POLICY", "TABLE ATTACH"})


def lock_need(entries: list[TocEntry], clean: bool) -> int:
    """Locks one transaction would hold: about one per relation touched (tables count twice: their TOAST
    table and index), twice over when the existing objects are dropped first."""
    need = sum(1 for e in entries if e.desc in _LOCKING)
    return need * 2 if clean else need


def suggest_max_locks(need: int, slots: int) -> int:
    """A max_locks_per_transaction that fits ``need`` with 25 % headroom, as a power of two (≥ 64)."""
    per = -(-need * 5 // 4 // max(1, slots))
    return max(64, 1 << (per - 1).bit_length())


_FK_MISSING = re.compile(r'violates foreign key constraint "((?:[^"]|"")+)".*?is not present in table "((?:[^"]|"")+)"',
                         re.S)
_NO_RELATION = re.compile(r'relation "((?:[^"]|"")+)" does not exist')


def explain_skipped(error: OpsError, plan: Plan) -> OpsError:
    """A failure caused by a managed schema left as the target has it (a foreign key into auth.users whose
    rows the target lacks) says so, and what to do, instead of only quoting PostgreSQL."""
    if not plan.skipped_schemas or not error.detail:
        return error
    text = error.detail
    referenced: list[str] = []
    constraint = ""
    fk = _FK_MISSING.search(text)
    if fk:
        constraint = fk.group(1)
        referenced = sorted(t for t in plan.skipped_tables if t.split(".", 1)[1] == fk.group(2))
    else:
        missing = _NO_RELATION.search(text)
        if missing:
            name = missing.group(1)
            referenced = sorted(t for t in plan.skipped_tables if name in (t, t.split(".", 1)[1]))
    if not referenced:
        return error
    schemas = sorted({t.split(".", 1)[0] for t in referenced})
    what = f"foreign key constraint \"{constraint}\" points" if constraint else "the backup's objects point"
    return OpsError(
        f"The restore failed because {what} into {', '.join(referenced)}, and {', '.join(schemas)} was skipped: on a "
        f"Supabase target the managed schemas are left as the target has them, and the target's "
        f"{', '.join(referenced)} lacks what the backup refers to. It was rolled back and the target is unchanged",
        hint=f"Restore {' and '.join(schemas)} with it ({' '.join(f'--schema {s}' for s in schemas)} plus --schema "
             f"for each of your own schemas, e.g. --schema public), or restore {', '.join(referenced)} first "
             f"({' '.join(f'--schema {s}' for s in schemas)}) and then this backup",
        detail=text)

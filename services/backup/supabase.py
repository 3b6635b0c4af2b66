"""Is this database a Supabase project (or built like one)? Its API roles alone do not say so: any
cluster may have roles named ``anon``, ``authenticated`` and ``service_role`` (PostgREST's tutorials
create them). Supabase is recognised by those roles *and* at least one thing of its own: its admin
roles, its managed schemas, or its extensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUPABASE_MANAGED_SCHEMAS = (
    "_analytics", "_realtime", "_supavisor", "auth", "etl", "extensions", "pgbouncer", "realtime", "storage",
    "supabase_functions", "supabase_migrations", "cron", "dbdev", "graphql", "graphql_public", "net", "pgmq",
    "pgsodium", "pgsodium_masks", "pgtle", "repack", "tiger", "tiger_data", "topology", "vault",
)
SUPABASE_ROLES = ("anon", "authenticated", "service_role")
# Things only a Supabase project has (or one built from its images / its CLI's local stack).
SUPABASE_OWN_ROLES = ("supabase_admin", "supabase_auth_admin", "supabase_storage_admin", "supabase_realtime_admin",
                      "supabase_functions_admin", "authenticator", "dashboard_user")
SUPABASE_OWN_SCHEMAS = ("auth", "storage", "realtime", "_realtime", "supabase_functions", "supabase_migrations",
                        "graphql_public", "vault", "_analytics", "_supavisor")
SUPABASE_OWN_EXTENSIONS = ("supabase_vault", "pg_graphql", "pgsodium", "pg_net", "supautils")


@dataclass(frozen=True)
class SupabaseSigns:
    api_roles: bool
    own: tuple[str, ...]  # what of Supabase's own was found, e.g. ("schema auth", "extension pg_graphql")

    @property
    def detected(self) -> bool:
        return self.api_roles and bool(self.own)

    def sentence(self) -> str:
        return "roles anon, authenticated, service_role and " + ", ".join(self.own[:4])


def supabase_signs(roles: set[str], schemas: set[str], extensions: set[str]) -> SupabaseSigns:
    own = [f"role {r}" for r in SUPABASE_OWN_ROLES if r in roles]
    own += [f"schema {s}" for s in SUPABASE_OWN_SCHEMAS if s in schemas]
    own += [f"extension {e}" for e in SUPABASE_OWN_EXTENSIONS if e in extensions]
    return SupabaseSigns(set(SUPABASE_ROLES) <= roles, tuple(own))


_SIGNS = """
SELECT (SELECT array_agg(rolname::text) FROM pg_roles WHERE rolname = ANY(%(roles)s)),
       (SELECT array_agg(nspname::text) FROM pg_namespace WHERE nspname = ANY(%(schemas)s)),
       (SELECT array_agg(extname::text) FROM pg_extension WHERE extname = ANY(%(extensions)s))
"""


def read_signs(c: Any) -> SupabaseSigns:
    """The signs on an open psycopg connection (any database of the server will do for roles)."""
    row = c.execute(_SIGNS, {"roles": list(SUPABASE_ROLES + SUPABASE_OWN_ROLES),
                             "schemas": list(SUPABASE_OWN_SCHEMAS),
                             "extensions": list(SUPABASE_OWN_EXTENSIONS)}).fetchone()
    roles, schemas, extensions = (set(x or ()) for x in (row or (None, None, None)))
    return supabase_signs(roles, schemas, extensions)

"""The database from the inside: connect + ``SELECT 1`` latency, connections against the pool limit
(the seed's Supabase pro tier: 100), server version and database size."""

from __future__ import annotations

import asyncio
import importlib

from services.core.errors import ConnectionFailure
from services.core.units import human_bytes
from services.core.workspace import DatabaseSettings, Environment
from services.health.checks.base import Check, CheckContext, Stopwatch, status_for_failure
from services.health.model import CheckResult, Part, Status, result
from services.probes.postgres_failures import PgTarget, classify_postgres

# Share of the pool limit in use at which the check warns (Supabase warns at 80 % as well).
CONNECTION_WARN_RATIO = 0.8


def classify_pg_error(exc: BaseException, db: DatabaseSettings) -> ConnectionFailure:
    return classify_postgres(exc, PgTarget(db.host, db.port, db.name, db.user, db.sslmode or "prefer"))


class DatabaseCheck(Check):
    name = "database"

    def configured(self, env: Environment) -> bool:
        return env.database.configured

    def not_configured_reason(self, env: Environment) -> str:
        return "no database host is set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        # psycopg takes 0.1-0.2 s to import: the first check imports it in a worker thread, so that the
        # poller's other checks (the site's among them) never wait for it.
        await asyncio.to_thread(importlib.import_module, "psycopg")
        import psycopg

        db = env.database
        password = await ctx.credentials.aget(env.name, "DATABASE_PASSWORD")
        params = {k: v for k, v in db.params.items() if k not in ("pgbouncer", "connection_limit", "schema")}
        clock = Stopwatch()
        try:
            conninfo = psycopg.conninfo.make_conninfo(
                host=db.host, port=db.port, dbname=db.name, user=db.user, password=password or None,
                sslmode=db.sslmode or "prefer", connect_timeout=max(1, int(ctx.timeout(env))),
                application_name="realtor-ops health", **params)
            # Inside the runner's limit, so a timeout is classified here like everywhere else.
            conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(conninfo, autocommit=True),
                                          ctx.timeout(env) * 0.9)
        except (TimeoutError, psycopg.Error) as exc:
            failure = classify_pg_error(exc, db)
            return result(env.name, self.name, status_for_failure(failure), failure.sentence(), latency_ms=clock.ms)
        try:
            connect_ms = clock.ms
            query = Stopwatch()
            await conn.execute("SELECT 1")
            select_ms = query.ms
            cur = await conn.execute(
                "SELECT current_setting('server_version'), pg_database_size(current_database()),"
                " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
                " current_setting('max_connections')::int")
            row = await cur.fetchone()
        except psycopg.Error as exc:
            failure = classify_pg_error(exc, db)
            return result(env.name, self.name, status_for_failure(failure), failure.sentence(), latency_ms=clock.ms)
        finally:
            await conn.close()
        assert row is not None
        version, size, connections, max_connections = str(row[0]), int(row[1]), int(row[2]), int(row[3])
        limit = db.pool_limit or max_connections
        ratio = connections / limit if limit else 0.0
        latency = connect_ms + select_ms
        conn_status = Status.DEGRADED if ratio >= CONNECTION_WARN_RATIO else Status.UP
        parts = (
            Part("connect", Status.UP, f"{connect_ms:.0f} ms"),
            Part("SELECT 1", Status.UP if select_ms <= ctx.slow_ms else Status.DEGRADED, f"{select_ms:.1f} ms"),
            Part("connections", conn_status, f"{connections} of {limit}",
                 detail=f"server max_connections {max_connections}"),
            Part("server version", Status.UP, f"PostgreSQL {version}"),
            Part("database size", Status.UP, human_bytes(size)),
        )
        metrics = {"connect_ms": connect_ms, "select_ms": select_ms, "connections": float(connections),
                   "pool_limit": float(limit), "size_bytes": float(size)}
        summary = f"{connections}/{limit} connections, PostgreSQL {version.split()[0]}, {human_bytes(size)}"
        if conn_status is Status.DEGRADED:
            return result(env.name, self.name, Status.DEGRADED,
                          f"{connections} of {limit} pool connections in use ({ratio:.0%}); new requests may wait",
                          latency_ms=latency, parts=parts, metrics=metrics)
        if latency > ctx.slow_ms:
            return result(env.name, self.name, Status.DEGRADED,
                          f"Slow: connect + SELECT 1 took {latency:.0f} ms; {summary}",
                          latency_ms=latency, parts=parts, metrics=metrics)
        return result(env.name, self.name, Status.UP, summary, latency_ms=latency, parts=parts, metrics=metrics)

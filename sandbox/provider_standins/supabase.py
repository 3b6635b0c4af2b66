"""Supabase Management API stand-in: the production and staging projects, their service health and
their daily physical backups. Answers in the shapes of the Supabase OpenAPI file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import StandinError, StandinRequest, TokenPolicy, routes
from sandbox.provider_standins.server import StandinServer

TOKEN = "sbp_fakeSandbox0realtor0ops0000000000000000000"
REVOKED_TOKEN = "sbp_fakeRevoked0realtor0ops000000000000000000"
LIMITED_TOKEN = "sbp_fakeLimited0realtor0ops000000000000000000"
PRODUCTION_REF = "rltrprodqkxvwzmbnhty"
STAGING_REF = "rltrstagjwpqxzvkmdhe"
ORGANIZATION = "rltrorgbrokerage"
SERVICES = ("auth", "db", "db_postgres_user", "pooler", "realtime", "rest", "storage", "pg_bouncer")


@dataclass
class SupabaseData:
    now: datetime
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (ref, service) pairs that answer UNHEALTHY; tests and the sandbox may change it.
    unhealthy: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def build(cls, now: datetime | None = None) -> SupabaseData:
        now = now or datetime.now(UTC)
        data = cls(now=now)
        for ref, name, age in (
            (PRODUCTION_REF, "realtor-production", 410),
            (STAGING_REF, "realtor-staging", 380),
        ):
            data.projects[ref] = {
                "id": ref,
                "ref": ref,
                "organization_id": ORGANIZATION,
                "organization_slug": ORGANIZATION,
                "name": name,
                "region": "us-east-1",
                "created_at": h.iso(now - timedelta(days=age)),
                "status": "ACTIVE_HEALTHY",
                "database": {
                    "host": f"db.{ref}.supabase.co",
                    "version": "15.8.1.085",
                    "postgres_engine": "15",
                    "release_channel": "ga",
                },
            }
        return data

    def project(self, ref: str) -> dict[str, Any]:
        try:
            return self.projects[ref]
        except KeyError:
            raise StandinError(404, f"Project {ref} not found") from None


class SupabaseStandin:
    def __init__(self, data: SupabaseData) -> None:
        self.data = data

    def list_projects(self, request: StandinRequest) -> Any:
        return list(self.data.projects.values())

    def get_project(self, request: StandinRequest) -> Any:
        return self.data.project(request.path_params["ref"])

    def health(self, request: StandinRequest) -> Any:
        ref = request.path_params["ref"]
        self.data.project(ref)
        wanted = request.args("services")
        if not wanted:
            raise StandinError(400, "services is required")
        out = []
        for name in wanted:
            if name not in SERVICES:
                raise StandinError(400, f"Unknown service {name}")
            bad = (ref, name) in self.data.unhealthy
            item: dict[str, Any] = {
                "name": name,
                "healthy": not bad,
                "status": "UNHEALTHY" if bad else "ACTIVE_HEALTHY",
            }
            if name == "auth" and not bad:
                item["info"] = {
                    "name": "GoTrue",
                    "version": "v2.170.0",
                    "description": "GoTrue is a user registration and authentication API",
                }
            if bad:
                item["error"] = "connection timed out after 2000 ms"
            out.append(item)
        return out

    def backups(self, request: StandinRequest) -> Any:
        ref = request.path_params["ref"]
        self.data.project(ref)
        today = self.data.now.replace(hour=2, minute=4, second=0, microsecond=0)
        if today > self.data.now:
            today -= timedelta(days=1)
        backups = []
        for day in range(7):
            at = today - timedelta(days=day)
            backups.append(
                {
                    "id": h.stable_int("sb-backup", ref, day, digits=6),
                    "is_physical_backup": True,
                    "status": "COMPLETED",
                    "inserted_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                }
            )
        return {
            "region": "us-east-1",
            "walg_enabled": True,
            "pitr_enabled": False,
            "backups": backups,
            "physical_backup_data": {
                "earliest_physical_backup_date_unix": int((today - timedelta(days=6)).timestamp()),
                "latest_physical_backup_date_unix": int(today.timestamp()),
            },
        }


def _error_body(status: int, message: str, code: str) -> Any:
    return {"message": {401: "Unauthorized", 403: "Forbidden resource"}.get(status, message)}


def create(*, tokens: TokenPolicy | None = None, now: datetime | None = None, port: int = 0) -> StandinServer:
    """A Supabase management API stand-in (not started). Its ``data`` attribute holds the projects."""
    data = SupabaseData.build(now)
    api = SupabaseStandin(data)
    return StandinServer(
        "supabase",
        routes(
            ("GET", "/v1/projects", api.list_projects),
            ("GET", "/v1/projects/{ref}", api.get_project),
            ("GET", "/v1/projects/{ref}/health", api.health),
            ("GET", "/v1/projects/{ref}/database/backups", api.backups),
        ),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        error_body=_error_body,
        port=port,
        extra_headers={"X-RateLimit-Limit": "120", "X-RateLimit-Remaining": "119", "X-RateLimit-Reset": "60"},
        data=data,
    )

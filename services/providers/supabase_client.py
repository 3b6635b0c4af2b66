"""Supabase Management API: projects, service health, and the platform's own database backups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.providers.http_client import ProviderClient, TokenCheck, parse_time

HEALTH_SERVICES = ("auth", "db", "pooler", "realtime", "rest", "storage")


@dataclass(frozen=True)
class SupabaseProject:
    ref: str
    name: str
    organization_id: str
    region: str
    status: str  # ACTIVE_HEALTHY, INACTIVE (paused), RESTORING, ...
    created_at: datetime | None
    db_host: str
    postgres_version: str


@dataclass(frozen=True)
class SupabaseServiceHealth:
    name: str
    healthy: bool
    status: str  # ACTIVE_HEALTHY, COMING_UP, UNHEALTHY
    error: str | None = None


@dataclass(frozen=True)
class SupabaseBackup:
    id: int
    status: str  # COMPLETED, FAILED, PENDING, REMOVED, ARCHIVED, CANCELLED
    inserted_at: datetime
    physical: bool


@dataclass(frozen=True)
class SupabaseBackups:
    region: str
    pitr_enabled: bool
    walg_enabled: bool
    backups: tuple[SupabaseBackup, ...]

    @property
    def latest_completed(self) -> SupabaseBackup | None:
        done = [b for b in self.backups if b.status == "COMPLETED"]
        return max(done, key=lambda b: b.inserted_at) if done else None


class SupabaseClient(ProviderClient):
    provider = "supabase"
    display_name = "Supabase"
    default_base_url = "https://api.supabase.com"

    async def check_token(self, project_ref: str | None = None) -> TokenCheck:
        """Reads ``project_ref``, or lists the projects the token sees when none is given."""
        if project_ref:
            project = await self.project(project_ref)
            return TokenCheck("Supabase", f"project '{project.name}' ({project.ref})", note=project.status)
        projects = await self.list_projects()
        return TokenCheck("Supabase", "projects", note=f"{len(projects)} project(s) visible")

    async def list_projects(self) -> tuple[SupabaseProject, ...]:
        body = await self.get_json("/v1/projects", resource="projects")
        return self.parse("the project list", lambda b: tuple(_project(p) for p in b), body)

    async def project(self, ref: str) -> SupabaseProject:
        body = await self.get_json(f"/v1/projects/{quote(ref, safe='')}", resource=f"project '{ref}'")
        return self.parse("the project", _project, body)

    async def project_health(
        self, ref: str, services: Sequence[str] = HEALTH_SERVICES, *, timeout_ms: int | None = None
    ) -> tuple[SupabaseServiceHealth, ...]:
        body = await self.get_json(
            f"/v1/projects/{quote(ref, safe='')}/health",
            params={"services": list(services), "timeout_ms": timeout_ms},
            resource=f"health report of project '{ref}'",
        )
        return self.parse("the health report", lambda b: tuple(_health(s) for s in b), body)

    async def list_backups(self, ref: str) -> SupabaseBackups:
        body = await self.get_json(
            f"/v1/projects/{quote(ref, safe='')}/database/backups", resource=f"backups of project '{ref}'"
        )
        return self.parse("the backup list", _backups, body)


def _project(p: dict[str, Any]) -> SupabaseProject:
    database = p.get("database") or {}
    return SupabaseProject(
        ref=str(p["ref"]),
        name=str(p["name"]),
        organization_id=str(p.get("organization_id", "")),
        region=str(p.get("region", "")),
        status=str(p["status"]),
        created_at=parse_time(p.get("created_at")),
        db_host=str(database.get("host", "")),
        postgres_version=str(database.get("version", "")),
    )


def _health(s: dict[str, Any]) -> SupabaseServiceHealth:
    return SupabaseServiceHealth(str(s["name"]), bool(s["healthy"]), str(s["status"]), s.get("error"))


def _backups(b: dict[str, Any]) -> SupabaseBackups:
    items = []
    for item in b["backups"]:
        inserted = parse_time(item["inserted_at"])
        if inserted is None:
            raise ValueError("a backup without a date")
        items.append(
            SupabaseBackup(int(item["id"]), str(item["status"]), inserted, bool(item["is_physical_backup"]))
        )
    return SupabaseBackups(
        str(b.get("region", "")), bool(b["pitr_enabled"]), bool(b["walg_enabled"]), tuple(items)
    )

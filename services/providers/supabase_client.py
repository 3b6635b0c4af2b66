"""Supabase Management API: projects, service health, and the platform's own database backups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.providers.answer_fields import ItemList, as_id, as_int, as_object, parse_time
from services.providers.http_client import ProviderClient, TokenCheck

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
    skipped: tuple[str, ...] = ()  # backups left out because they did not fit (named, with why)

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

    async def list_projects(self) -> ItemList[SupabaseProject]:
        body = await self.get_json("/v1/projects", resource="projects")
        items, skipped = self.parse_items("the project list", body, _project, name="project")
        return ItemList(items, skipped=skipped)

    async def project(self, ref: str) -> SupabaseProject:
        body = await self.get_json(f"/v1/projects/{quote(ref, safe='')}", resource=f"project '{ref}'")
        return self.parse("the project", _project, body)

    async def project_health(
        self, ref: str, services: Sequence[str] = HEALTH_SERVICES, *, timeout_ms: int | None = None
    ) -> ItemList[SupabaseServiceHealth]:
        body = await self.get_json(
            f"/v1/projects/{quote(ref, safe='')}/health",
            params={"services": list(services), "timeout_ms": timeout_ms},
            resource=f"health report of project '{ref}'",
        )
        items, skipped = self.parse_items("the health report", body, _health, name="service")
        return ItemList(items, skipped=skipped)

    async def list_backups(self, ref: str) -> SupabaseBackups:
        body = await self.get_json(
            f"/v1/projects/{quote(ref, safe='')}/database/backups", resource=f"backups of project '{ref}'"
        )
        backups = self.parse("the backup list", _backups, body)
        items, skipped = self.parse_items("the backup list", self.parse("the backup list", lambda b: b["backups"], body), _backup, name="backup")
        return SupabaseBackups(backups.region, backups.pitr_enabled, backups.walg_enabled, tuple(items), tuple(skipped))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _project(p: dict[str, Any]) -> SupabaseProject:
    database = as_object(p.get("database"))
    try:
        created = parse_time(p.get("created_at"))
    except (TypeError, ValueError):
        created = None
    return SupabaseProject(
        ref=as_id(p["ref"], "ref"),
        name=str(p["name"]),
        organization_id=_text(p.get("organization_id")),
        region=_text(p.get("region")),
        status=str(p["status"]),
        created_at=created,
        db_host=_text(database.get("host")),
        postgres_version=_text(database.get("version")),
    )


def _health(s: dict[str, Any]) -> SupabaseServiceHealth:
    error = s.get("error")
    return SupabaseServiceHealth(
        str(s["name"]), s["healthy"] is True, str(s["status"]), error if isinstance(error, str) else None
    )


def _backup(item: dict[str, Any]) -> SupabaseBackup:
    inserted = parse_time(item["inserted_at"])
    ident = as_int(item["id"])
    if inserted is None or ident is None:
        raise ValueError("it has no usable date or id")
    return SupabaseBackup(ident, str(item["status"]), inserted, item.get("is_physical_backup") is True)


def _backups(b: dict[str, Any]) -> SupabaseBackups:
    """The list's own fields; its items are read one by one (see list_backups)."""
    return SupabaseBackups(_text(b.get("region")), b["pitr_enabled"] is True, b["walg_enabled"] is True, ())

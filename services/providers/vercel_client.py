"""Vercel REST API: the project, its deployments (paged), build events, promote, instant rollback,
cancel, and the project's environment variables (keys and value fingerprints, never values)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.providers.http_client import (
    ActionAccepted,
    ProviderClient,
    QueryParams,
    TokenCheck,
    from_millis,
)


@dataclass(frozen=True)
class VercelProject:
    id: str
    name: str
    account_id: str
    framework: str | None
    production_deployment_id: str | None
    production_url: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class VercelDeployment:
    id: str
    name: str
    url: str
    state: str  # BUILDING, ERROR, INITIALIZING, QUEUED, READY, CANCELED, DELETED
    target: str | None  # production, staging, or None for a preview
    created_at: datetime
    building_at: datetime | None
    ready_at: datetime | None
    creator: str
    commit_sha: str
    branch: str
    commit_message: str
    commit_author: str
    inspector_url: str | None
    error_message: str | None
    ready_substate: str | None = None  # STAGED, ROLLING, PROMOTED
    is_rollback_candidate: bool | None = None
    is_current_production: bool = False

    @property
    def duration_s(self) -> float | None:
        """Build time, from building to ready (or failed/canceled)."""
        if self.building_at is None or self.ready_at is None:
            return None
        return max(0.0, (self.ready_at - self.building_at).total_seconds())


@dataclass(frozen=True)
class VercelDeploymentPage:
    deployments: tuple[VercelDeployment, ...]
    next_until: int | None  # pass as ``until`` to read further back; None: no more


@dataclass(frozen=True)
class VercelBuildEvent:
    created_at: datetime
    type: str  # stdout, stderr, command, exit, deployment-state, ...
    text: str


@dataclass(frozen=True)
class VercelEnvVar:
    """One environment variable of the project. The value itself is never kept: ``fingerprint`` is
    the SHA-256 of the value when Vercel returned it decrypted (or in plain), else None."""

    id: str
    key: str
    targets: tuple[str, ...]
    type: str  # system, encrypted, plain, sensitive, secret
    decrypted: bool
    fingerprint: str | None
    git_branch: str | None = None
    updated_at: datetime | None = None


def value_fingerprint(value: str) -> str:
    """The fingerprint used to compare secret values without showing them (hex SHA-256)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class VercelClient(ProviderClient):
    provider = "vercel"
    display_name = "Vercel"
    default_base_url = "https://api.vercel.com"

    def __init__(self, token: str, *, team_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self.team_id = team_id or None

    def _q(self, **params: Any) -> QueryParams:
        return {**params, "teamId": self.team_id}

    async def check_token(self, project: str | None = None) -> TokenCheck:
        """Proves the token reads ``project`` (id or name), or lists projects when none is given."""
        scope = f" in team {self.team_id}" if self.team_id else ""
        if project:
            found = await self.project(project)
            return TokenCheck("Vercel", f"project '{found.name}'{scope}")
        body = await self.get_json("/v10/projects", params=self._q(limit="1"), resource=f"projects{scope}")
        count = self.parse("the project list", lambda b: len(b["projects"]), body)
        return TokenCheck("Vercel", f"projects{scope}", note=f"{count} project(s) visible")

    async def project(self, project: str) -> VercelProject:
        body = await self.get_json(
            f"/v9/projects/{quote(project, safe='')}", params=self._q(), resource=f"project '{project}'"
        )
        return self.parse("the project", _project, body)

    async def list_deployments(
        self,
        project_id: str,
        *,
        target: str | None = None,
        limit: int = 20,
        until: int | None = None,
        page_size: int = 100,
        mark_current: bool = False,
    ) -> VercelDeploymentPage:
        """Up to ``limit`` deployments, newest first, following ``pagination.next``.

        ``until`` (ms timestamp, from a previous page's ``next_until``) reads further back.
        With ``mark_current`` the project is read too and its production deployment is marked.
        """
        found: list[VercelDeployment] = []
        cursor = until
        while len(found) < limit:
            params = self._q(
                projectId=project_id, target=target, limit=min(page_size, limit - len(found)), until=cursor
            )
            body = await self.get_json(
                "/v7/deployments", params=params, resource=f"deployments of '{project_id}'"
            )
            items, cursor = self.parse("the deployment list", _deployment_page, body)
            found.extend(items)
            if cursor is None or not items:
                break
        if mark_current:
            current = (await self.project(project_id)).production_deployment_id
            found = [dataclasses.replace(d, is_current_production=d.id == current) for d in found]
        return VercelDeploymentPage(tuple(found[:limit]), cursor)

    async def get_deployment(self, deployment: str) -> VercelDeployment:
        body = await self.get_json(
            f"/v13/deployments/{quote(deployment, safe='')}",
            params=self._q(),
            resource=f"deployment '{deployment}'",
        )
        return self.parse("the deployment", _deployment, body)

    async def deployment_events(self, deployment: str, *, limit: int = 500) -> tuple[VercelBuildEvent, ...]:
        body = await self.get_json(
            f"/v3/deployments/{quote(deployment, safe='')}/events",
            params=self._q(limit=limit, direction="forward"),
            resource=f"build logs of deployment '{deployment}'",
        )
        return self.parse("the build events", _events, body)

    async def promote(self, project_id: str, deployment_id: str) -> ActionAccepted:
        """Point production at ``deployment_id`` (POST /v10/projects/{id}/promote/{deploymentId})."""
        response = await self.request(
            "POST",
            f"/v10/projects/{quote(project_id, safe='')}/promote/{quote(deployment_id, safe='')}",
            params=self._q(),
            resource=f"deployment '{deployment_id}'",
            action=f"promote deployment '{deployment_id}'",
            ok=(200, 201, 202),
        )
        return ActionAccepted("Vercel", "promote", deployment_id, response.status_code)

    async def rollback(
        self, project_id: str, deployment_id: str, *, description: str | None = None
    ) -> ActionAccepted:
        """Instant rollback of production to an earlier production deployment."""
        response = await self.request(
            "POST",
            f"/v1/projects/{quote(project_id, safe='')}/rollback/{quote(deployment_id, safe='')}",
            params=self._q(description=description),
            resource=f"deployment '{deployment_id}'",
            action=f"roll production back to deployment '{deployment_id}'",
            ok=(200, 201, 202),
        )
        return ActionAccepted("Vercel", "rollback", deployment_id, response.status_code)

    async def cancel(self, deployment_id: str) -> VercelDeployment:
        response = await self.request(
            "PATCH",
            f"/v12/deployments/{quote(deployment_id, safe='')}/cancel",
            params=self._q(),
            resource=f"deployment '{deployment_id}'",
            action=f"cancel deployment '{deployment_id}'",
        )
        return self.parse("the canceled deployment", _deployment, self.json_of(response))

    async def list_project_env(self, project: str, *, decrypt: bool = False) -> tuple[VercelEnvVar, ...]:
        """The project's env vars: keys, targets, types; a value fingerprint only when decrypted."""
        body = await self.get_json(
            f"/v10/projects/{quote(project, safe='')}/env",
            params=self._q(decrypt="true" if decrypt else None),
            resource=f"environment variables of project '{project}'",
        )
        return self.parse("the environment variables", _env_vars, body)


# -- parsing ------------------------------------------------------------------------------------


def _project(body: dict[str, Any]) -> VercelProject:
    production = (body.get("targets") or {}).get("production") or {}
    url = production.get("url")
    return VercelProject(
        id=str(body["id"]),
        name=str(body["name"]),
        account_id=str(body["accountId"]),
        framework=body.get("framework"),
        production_deployment_id=production.get("id"),
        production_url=f"https://{url}" if url else None,
        updated_at=from_millis(body.get("updatedAt")),
    )


def _deployment_page(body: dict[str, Any]) -> tuple[list[VercelDeployment], int | None]:
    items = [_deployment(d) for d in body["deployments"]]
    nxt = body["pagination"]["next"]
    return items, int(nxt) if nxt is not None else None


def _deployment(d: dict[str, Any]) -> VercelDeployment:
    meta = d.get("meta") or {}
    creator = d.get("creator") or {}
    created = from_millis(d.get("createdAt", d.get("created")))
    if created is None:
        raise KeyError("createdAt")
    state = d.get("readyState") or d.get("state") or d.get("status")
    if not isinstance(state, str):
        raise KeyError("readyState")
    return VercelDeployment(
        id=str(d.get("uid") or d["id"]),
        name=str(d["name"]),
        url=str(d["url"]),
        state=state,
        target=d.get("target"),
        created_at=created,
        building_at=from_millis(d.get("buildingAt")),
        ready_at=from_millis(d.get("ready")),
        creator=str(creator.get("username") or creator.get("email") or creator.get("uid") or ""),
        commit_sha=str(meta.get("githubCommitSha") or meta.get("gitlabCommitSha") or ""),
        branch=str(meta.get("githubCommitRef") or meta.get("gitlabCommitRef") or ""),
        commit_message=str(meta.get("githubCommitMessage") or meta.get("gitlabCommitMessage") or ""),
        commit_author=str(meta.get("githubCommitAuthorName") or meta.get("githubCommitAuthorLogin") or ""),
        inspector_url=d.get("inspectorUrl"),
        error_message=d.get("errorMessage"),
        ready_substate=d.get("readySubstate"),
        is_rollback_candidate=d.get("isRollbackCandidate"),
    )


def _events(body: list[dict[str, Any]] | None) -> tuple[VercelBuildEvent, ...]:
    out = []
    for event in body or []:
        payload = event.get("payload") or event  # two shapes in the spec's oneOf
        created = from_millis(event.get("created", payload.get("date")))
        if created is None:
            raise KeyError("created")
        out.append(VercelBuildEvent(created, str(event["type"]), str(payload.get("text", ""))))
    return tuple(out)


def _env_vars(body: dict[str, Any]) -> tuple[VercelEnvVar, ...]:
    out = []
    for env in body["envs"]:
        target = env.get("target") or ()
        targets = (target,) if isinstance(target, str) else tuple(target)
        kind = str(env["type"])
        readable = bool(env.get("decrypted")) or kind == "plain"
        value = env.get("value")
        out.append(
            VercelEnvVar(
                id=str(env.get("id", "")),
                key=str(env["key"]),
                targets=targets,
                type=kind,
                decrypted=bool(env.get("decrypted")),
                fingerprint=value_fingerprint(value) if readable and isinstance(value, str) else None,
                git_branch=env.get("gitBranch"),
                updated_at=from_millis(env.get("updatedAt")),
            )
        )
    return tuple(out)

"""Vercel REST API: the project, its deployments (paged), build events, promote, instant rollback,
cancel, and the project's environment variables (keys and value fingerprints, never values)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from services.providers.answer_fields import ItemList, as_int, from_millis
from services.providers.http_client import ActionAccepted, ProviderClient, QueryParams, TokenCheck
from services.providers.http_headers import reset_wait


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

    def to_json(self, *, current: bool = False, rolled_back_from: bool = False) -> dict[str, Any]:
        """The deployment as ``deploy list/inspect --json`` print it (``current``/``rolled_back_from``: what
        the project says about it)."""
        commit = None
        if self.commit_sha:
            commit = {"sha": self.commit_sha, "message": self.commit_message, "branch": self.branch,
                      "author": self.commit_author}
        return {"id": self.id, "url": self.url, "state": self.state, "target": self.target,
                "created_at": self.created_at.isoformat(), "current": current, "rolled_back_from": rolled_back_from,
                "build_seconds": self.duration_s, "creator": self.creator, "commit": commit,
                "error": self.error_message}

    def brief_json(self, *, url: bool = True) -> dict[str, Any]:
        """What ``deploy redeploy --json`` (id, url, state) and ``deploy cancel --json`` (id, state) print."""
        return {"id": self.id, "url": self.url, "state": self.state} if url else {"id": self.id, "state": self.state}


@dataclass(frozen=True)
class VercelDeploymentPage:
    deployments: tuple[VercelDeployment, ...]
    next_until: int | None  # pass as ``until`` to read further back; None: no more
    skipped: tuple[str, ...] = ()  # deployments left out because they did not fit (named, with why)


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
    """The fingerprint used to compare secret values without showing them (hex SHA-256). A lone
    surrogate (JSON allows ``"\\ud800"``) is hashed as its code point instead of failing."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


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
        max_pages: int = 20,
    ) -> VercelDeploymentPage:
        """Up to ``limit`` deployments, newest first, following ``pagination.next``.

        ``until`` (ms timestamp, from a previous page's ``next_until``) reads further back. Odd
        deployments are left out and named in ``skipped``; at most ``max_pages`` pages are read.
        With ``mark_current`` the project is read too and its production deployment is marked.
        """
        found: list[VercelDeployment] = []
        skipped: list[str] = []
        cursor = until
        pages = 0
        while len(found) < limit and pages < max_pages:
            pages += 1
            params = self._q(
                projectId=project_id, target=target, limit=min(page_size, limit - len(found)), until=cursor
            )
            body = await self.get_json(
                "/v7/deployments", params=params, resource=f"deployments of '{project_id}'"
            )
            raw, nxt = self.parse("the deployment list", _deployment_page, body)
            items, odd = self.parse_items("the deployment list", raw, _deployment, name="deployment")
            found.extend(items)
            skipped.extend(odd)
            if nxt is None or nxt == cursor or not raw:
                cursor = None
                break
            cursor = nxt
        if mark_current:
            current = (await self.project(project_id)).production_deployment_id
            found = [dataclasses.replace(d, is_current_production=d.id == current) for d in found]
        return VercelDeploymentPage(tuple(found[:limit]), cursor, tuple(skipped))

    async def get_deployment(self, deployment: str) -> VercelDeployment:
        body = await self.get_json(
            f"/v13/deployments/{quote(deployment, safe='')}",
            params=self._q(),
            resource=f"deployment '{deployment}'",
        )
        return self.parse("the deployment", _deployment, body)

    async def deployment_events(self, deployment: str, *, limit: int = 500) -> ItemList[VercelBuildEvent]:
        """Build events, oldest first; events that are null or odd are left out (``skipped``)."""
        body = await self.get_json(
            f"/v3/deployments/{quote(deployment, safe='')}/events",
            params=self._q(limit=limit, direction="forward"),
            resource=f"build logs of deployment '{deployment}'",
        )
        items, skipped = self.parse_items("the build events", [] if body is None else body, _event, name="event")
        return ItemList(items, skipped=skipped)

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

    async def list_project_env(self, project: str, *, decrypt: bool = False) -> ItemList[VercelEnvVar]:
        """The project's env vars: keys, targets, types; a value fingerprint only when decrypted.
        Vercel answers ``{envs: [...]}``, or one variable's object alone: both are read."""
        body = await self.get_json(
            f"/v10/projects/{quote(project, safe='')}/env",
            params=self._q(decrypt="true" if decrypt else None),
            resource=f"environment variables of project '{project}'",
        )
        raw = self.parse("the environment variables", _env_list, body)
        items, skipped = self.parse_items("the environment variables", raw, _env_var, name="variable")
        return ItemList(items, skipped=skipped)

    # Vercel's 429 carries its wait in the body (error.limit.reset, a Unix time) and X-RateLimit-Reset.
    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        wait = super().rate_limit_wait(response)
        if wait is None:
            try:
                limit = response.json()["error"]["limit"]
                wait = reset_wait(limit.get("resetMs")) if limit.get("resetMs") is not None else None
                wait = wait if wait is not None else reset_wait(limit.get("reset"))
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                return None
        return wait


# -- parsing ------------------------------------------------------------------------------------


def _project(body: dict[str, Any]) -> VercelProject:
    production = _obj(_obj(body.get("targets")).get("production"))
    url = _text(production.get("url"))
    return VercelProject(
        id=str(body["id"]),
        name=str(body["name"]),
        account_id=str(body["accountId"]),
        framework=_text(body.get("framework")),
        production_deployment_id=_text(production.get("id")),
        production_url=f"https://{url}" if url else None,
        updated_at=_optional_millis(body.get("updatedAt")),
    )


def _deployment_page(body: dict[str, Any]) -> tuple[Any, int | None]:
    """The raw items and the ``until`` of the next page (None: no more; a cursor that is not a
    usable number ends the paging too)."""
    pagination = body.get("pagination") or {}
    nxt = pagination.get("next") if isinstance(pagination, dict) else None
    try:
        cursor = as_int(nxt)
    except (TypeError, ValueError):
        cursor = None
    return body["deployments"], cursor


def _created(d: dict[str, Any]) -> datetime:
    for key in ("createdAt", "created"):
        try:
            when = from_millis(d.get(key))
        except TypeError:
            continue
        if when is not None:
            return when
    raise ValueError("it has no usable creation time")


def _optional_millis(value: Any) -> datetime | None:
    try:
        return from_millis(value)
    except TypeError:
        return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _deployment(d: dict[str, Any]) -> VercelDeployment:
    if not isinstance(d, dict):
        raise TypeError("it is not an object")
    meta, creator = _obj(d.get("meta")), _obj(d.get("creator"))
    ident = d.get("uid") or d.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError("it has no id (uid is empty)")
    state = d.get("readyState") or d.get("state") or d.get("status")
    if not isinstance(state, str) or not state:
        raise ValueError("it has no state (readyState/state)")
    rollback = d.get("isRollbackCandidate")
    return VercelDeployment(
        id=ident,
        name=str(d["name"]),
        url=str(d["url"]),
        state=state,
        target=_text(d.get("target")),
        created_at=_created(d),
        building_at=_optional_millis(d.get("buildingAt")),
        ready_at=_optional_millis(d.get("ready")),
        creator=str(creator.get("username") or creator.get("email") or creator.get("uid") or ""),
        commit_sha=str(meta.get("githubCommitSha") or meta.get("gitlabCommitSha") or ""),
        branch=str(meta.get("githubCommitRef") or meta.get("gitlabCommitRef") or ""),
        commit_message=str(meta.get("githubCommitMessage") or meta.get("gitlabCommitMessage") or ""),
        commit_author=str(meta.get("githubCommitAuthorName") or meta.get("githubCommitAuthorLogin") or ""),
        inspector_url=_text(d.get("inspectorUrl")),
        error_message=_text(d.get("errorMessage")),
        ready_substate=_text(d.get("readySubstate")),
        is_rollback_candidate=rollback if isinstance(rollback, bool) else None,
    )


def _event(event: dict[str, Any]) -> VercelBuildEvent:
    if not isinstance(event, dict):
        raise TypeError("it is not an object")
    payload = _obj(event.get("payload")) or event  # the spec's two shapes
    created = _optional_millis(event.get("created", payload.get("date")))
    if created is None:
        raise ValueError("it has no usable time")
    text = payload.get("text")
    return VercelBuildEvent(created, str(event["type"]), text if isinstance(text, str) else "")


def _env_list(body: Any) -> Any:
    if isinstance(body, dict) and "envs" in body:
        return body["envs"]
    if isinstance(body, dict) and "key" in body:  # the single-variable shape of the spec's oneOf
        return [body]
    if isinstance(body, list):
        return body
    raise KeyError("envs")


def _env_var(env: dict[str, Any]) -> VercelEnvVar:
    if not isinstance(env, dict):
        raise TypeError("it is not an object")
    target = env.get("target") or ()
    targets = (target,) if isinstance(target, str) else tuple(str(t) for t in target)
    kind = str(env["type"])
    readable = env.get("decrypted") is True or kind == "plain"
    value = env.get("value")
    return VercelEnvVar(
        id=str(env.get("id", "")),
        key=str(env["key"]),
        targets=targets,
        type=kind,
        decrypted=env.get("decrypted") is True,
        fingerprint=value_fingerprint(value) if readable and isinstance(value, str) else None,
        git_branch=_text(env.get("gitBranch")),
        updated_at=_optional_millis(env.get("updatedAt")),
    )

"""Vercel's deployment-management endpoints beyond ``VercelClient``'s basics: one page of deployments
with filters, the project's production state (``targets``, ``lastAliasRequest``, rollback
description), build events since a point, a deployment's aliases and checks, the aliases a
promote/rollback failed to move, redeploy and the rollback description.

Functions over a :class:`VercelClient` (kept out of its module so that file's parsing can change
independently); each answer is a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from services.providers.answer_fields import from_millis, parse_time
from services.providers.http_client import ActionAccepted
from services.providers.vercel_client import VercelClient, VercelDeployment, VercelDeploymentPage, _deployment

# Vercel keeps the rollback description to 250 characters.
ROLLBACK_DESCRIPTION_MAX = 250


@dataclass(frozen=True)
class AliasRequest:
    """The project's ``lastAliasRequest``: the latest promote or rollback and how far it got."""

    type: str  # promote, rollback
    job_status: str  # pending, in-progress, succeeded, failed, skipped
    from_deployment_id: str
    to_deployment_id: str
    requested_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.job_status in ("succeeded", "failed", "skipped")


@dataclass(frozen=True)
class ProductionState:
    """Which deployment production's domains point at, and whether the project is rolled back."""

    project_id: str
    current_deployment_id: str | None
    current_url: str | None
    last_alias_request: AliasRequest | None
    rollback_description: str | None
    rollback_by: str | None

    @property
    def rolled_back(self) -> bool:
        """After a rollback Vercel stops assigning production domains to new deployments until a
        promote; the last alias request tells (docs: instant-rollback)."""
        r = self.last_alias_request
        return r is not None and r.type == "rollback" and r.job_status == "succeeded"


@dataclass(frozen=True)
class EventLine:
    """One build event: ``serial`` orders them; ``created_ms`` is what ``since`` pages on."""

    created_ms: int
    type: str  # command, stdout, stderr, exit, deployment-state, delimiter, ...
    text: str
    serial: str
    ready_state: str | None = None  # for deployment-state events

    def to_json(self) -> dict[str, Any]:
        return {"created_ms": self.created_ms, "type": self.type, "text": self.text}


@dataclass(frozen=True)
class DeploymentAlias:
    alias: str
    created_at: datetime | None
    redirect: str | None


@dataclass(frozen=True)
class DeploymentCheck:
    name: str
    status: str  # registered, running, completed
    conclusion: str | None  # succeeded, failed, skipped, canceled, neutral, stale
    blocking: bool
    details_url: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "conclusion": self.conclusion, "blocking": self.blocking}


@dataclass(frozen=True)
class AliasStatus:
    alias: str
    status: str


async def deployments_page(
    client: VercelClient,
    project_id: str,
    *,
    target: str | None = None,
    limit: int = 50,
    until: int | None = None,
    state: str | None = None,
    branch: str | None = None,
) -> VercelDeploymentPage:
    """Exactly one request: up to ``limit`` (≤100) deployments older than ``until``."""
    params = client._q(
        projectId=project_id,
        target=target,
        limit=max(1, min(100, limit)),
        until=until,
        state=state,
        branch=branch,
    )
    body = await client.get_json("/v7/deployments", params=params, resource=f"deployments of '{project_id}'")

    def parse(b: dict[str, Any]) -> VercelDeploymentPage:
        items = tuple(_deployment(d) for d in b["deployments"])
        nxt = b["pagination"]["next"]
        return VercelDeploymentPage(items, int(nxt) if nxt is not None else None)

    return client.parse("the deployment list", parse, body)


async def production_state(client: VercelClient, project: str) -> ProductionState:
    body = await client.get_json(
        f"/v9/projects/{quote(project, safe='')}", params=client._q(), resource=f"project '{project}'"
    )
    return client.parse("the project", _production_state, body)


async def build_events(
    client: VercelClient, deployment: str, *, since_ms: int | None = None, limit: int = 1000
) -> tuple[EventLine, ...]:
    """Build events in order, after ``since_ms`` when given (one page of at most ``limit``)."""
    body = await client.get_json(
        f"/v3/deployments/{quote(deployment, safe='')}/events",
        params=client._q(direction="forward", limit=limit, since=since_ms, follow=0),
        resource=f"build logs of deployment '{deployment}'",
    )
    return client.parse("the build events", _event_lines, body)


async def deployment_aliases(client: VercelClient, deployment_id: str) -> tuple[DeploymentAlias, ...]:
    body = await client.get_json(
        f"/v2/deployments/{quote(deployment_id, safe='')}/aliases",
        params=client._q(),
        resource=f"aliases of deployment '{deployment_id}'",
    )
    return client.parse(
        "the aliases",
        lambda b: tuple(
            DeploymentAlias(str(a["alias"]), parse_time(a.get("created")), a.get("redirect"))
            for a in b["aliases"]
        ),
        body,
    )


async def deployment_checks(client: VercelClient, deployment_id: str) -> tuple[DeploymentCheck, ...]:
    body = await client.get_json(
        f"/v1/deployments/{quote(deployment_id, safe='')}/checks",
        params=client._q(),
        resource=f"checks of deployment '{deployment_id}'",
    )
    return client.parse(
        "the checks",
        lambda b: tuple(
            DeploymentCheck(
                str(c["name"]), str(c["status"]), c.get("conclusion"), bool(c.get("blocking")), c.get("detailsUrl")
            )
            for c in b["checks"]
        ),
        body,
    )


async def alias_statuses(
    client: VercelClient, project_id: str, *, failed_only: bool = False, since_ms: int | None = None
) -> tuple[AliasStatus, ...]:
    """The aliases of the latest promote/rollback job and their status (failed ones only if asked)."""
    body = await client.get_json(
        f"/v1/projects/{quote(project_id, safe='')}/promote/aliases",
        params=client._q(limit=100, failedOnly="true" if failed_only else None, since=since_ms),
        resource=f"alias status of project '{project_id}'",
    )
    return client.parse(
        "the alias status",
        lambda b: tuple(AliasStatus(str(a["alias"]), str(a["status"])) for a in (b.get("aliases") or [])),
        body,
    )


async def rollback_to(
    client: VercelClient, project_id: str, deployment_id: str, *, description: str
) -> ActionAccepted:
    """POST /v1/projects/{id}/rollback/{deploymentId}?description=… (the reason, ≤250 chars)."""
    return await client.rollback(project_id, deployment_id, description=description[:ROLLBACK_DESCRIPTION_MAX])


async def redeploy(
    client: VercelClient, deployment: VercelDeployment, *, target: str | None, action: str = "redeploy"
) -> VercelDeployment:
    """POST /v13/deployments?forceNew=1 with ``deploymentId``: a new build of the same source.

    ``target`` "production" with ``action`` "promote" is how a *preview* is promoted (a rebuild with
    production's environment), as ``vercel promote`` does it.
    """
    payload: dict[str, Any] = {"name": deployment.name, "deploymentId": deployment.id, "meta": {"action": action}}
    if target:
        payload["target"] = target
    response = await client.request(
        "POST",
        "/v13/deployments",
        params=client._q(forceNew="1"),
        json_body=payload,
        resource=f"deployment '{deployment.id}'",
        action=f"{action} deployment '{deployment.id}'",
    )
    return client.parse("the new deployment", _deployment, client.json_of(response))


# -- parsing --------------------------------------------------------------------------------------


def _production_state(body: dict[str, Any]) -> ProductionState:
    production = (body.get("targets") or {}).get("production") or {}
    url = production.get("url")
    req = body.get("lastAliasRequest")
    alias_request = None
    if isinstance(req, dict):
        alias_request = AliasRequest(
            type=str(req["type"]),
            job_status=str(req["jobStatus"]),
            from_deployment_id=str(req["fromDeploymentId"]),
            to_deployment_id=str(req["toDeploymentId"]),
            requested_at=from_millis(req.get("requestedAt")),
        )
    description = body.get("rollbackDescription") or {}
    return ProductionState(
        project_id=str(body["id"]),
        current_deployment_id=production.get("id"),
        current_url=f"https://{url}" if url else None,
        last_alias_request=alias_request,
        rollback_description=description.get("description"),
        rollback_by=description.get("username"),
    )


def _event_lines(body: list[dict[str, Any]] | None) -> tuple[EventLine, ...]:
    out = []
    for event in body or []:
        payload = event.get("payload") or event
        created = event.get("created", payload.get("date"))
        if not isinstance(created, (int, float)) or isinstance(created, bool):
            raise TypeError("an event without a timestamp")
        info = payload.get("info") or {}
        out.append(
            EventLine(
                int(created),
                str(event["type"]),
                str(payload.get("text", "")),
                str(payload.get("serial") or payload.get("id") or created),
                info.get("readyState") if isinstance(info, dict) else None,
            )
        )
    return tuple(out)

"""Vercel REST API stand-in: project ``realtor-platform``, its deployments, build events, env vars,
promote / rollback / cancel. Answers in the shapes of the Vercel OpenAPI file (``vercel_shapes``); the
project's deployments, alias job and env vars it serves are ``vercel_project``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins import history as h
from sandbox.provider_standins.protocol import (
    StandinError,
    StandinRequest,
    StandinResponse,
    TokenPolicy,
    routes,
)
from sandbox.provider_standins.server import StandinServer
from sandbox.provider_standins.vercel_project import (
    BUILD_FAIL,
    BUILD_LOG,
    BUILD_OK,
    ENV_VARS,
    PRODUCTION_ALIASES,
    USER_ID,
    AliasJob,
    VercelData,
    VercelDeploymentRecord,
)
from sandbox.provider_standins.vercel_shapes import (
    full_deployment,
    list_item,
    project_json,
    public_deployment,
)

TOKEN = "fakeSandbox-vercel-token"
REVOKED_TOKEN = "fakeRevoked-vercel-token"
LIMITED_TOKEN = "fakeLimited-vercel-token"


class VercelStandin:
    def __init__(self, data: VercelData) -> None:
        self.data = data

    def _scope(self, request: StandinRequest) -> None:
        team = request.arg("teamId")
        if team is not None and team != h.TEAM_ID:
            raise StandinError(403, "You don't have permission to access this team", code="forbidden")

    def _project_ref(self, ref: str) -> None:
        if ref not in (h.PROJECT_ID, h.PROJECT_NAME):
            raise StandinError(404, "Project not found", code="not_found")

    def get_project(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["idOrName"])
        with self.data.lock:
            self.data.progress_alias_job()
            return project_json(self.data)

    def list_projects(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            project = project_json(self.data)
        return {"projects": [project], "pagination": {"count": 1, "next": None}}

    def list_deployments(self, request: StandinRequest) -> Any:
        self._scope(request)
        project = request.arg("projectId")
        if project is not None and project not in (h.PROJECT_ID, h.PROJECT_NAME):
            return {"pagination": {"count": 0, "next": None, "prev": None}, "deployments": []}
        limit = max(1, min(100, request.int_arg("limit", 20)))
        until = request.int_arg("until", 1 << 62)
        target = request.arg("target")
        state = request.arg("state")
        states = {x.strip().upper() for x in state.split(",")} if state else None
        branch = request.arg("branch")
        wanted_target = None if target == "preview" else target
        with self.data.lock:
            rows = [
                d
                for d in self.data.deployments
                if d.created < until
                and (target is None or d.target == wanted_target)
                and (states is None or d.state in states)
                and (branch is None or d.commit.branch == branch)
            ]
            page = rows[:limit]
            items = [list_item(d, self.data) for d in page]
        more = len(rows) > limit
        return {
            "pagination": {
                "count": len(items),
                "next": page[-1].created if more and page else None,
                "prev": page[0].created if page else None,
            },
            "deployments": items,
        }

    def get_deployment(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            return public_deployment(self.data.find(request.path_params["idOrUrl"]), self.data)

    def events(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["idOrUrl"])
            self.data.advance_build(record)
            lines = [(line, "stdout") for line in BUILD_LOG]
            if record.state == "ERROR" or (record.finish_as == "ERROR" and record.state == "BUILDING"):
                lines += [(line, "stderr") for line in BUILD_FAIL]
            else:
                lines += [(line, "stdout") for line in BUILD_OK]
            if record.state in ("BUILDING", "QUEUED", "INITIALIZING"):
                lines = lines[: record.shown_lines]
            elif record.state == "CANCELED":
                lines = [*lines[:max(record.shown_lines, 6)], ("The deployment was canceled", "stderr")]
        events: list[dict[str, Any]] = []
        for i, (text, kind) in enumerate(lines):
            text = text.format(repo=h.REPOSITORY, branch=record.commit.branch, short=record.commit.sha[:7])
            at = record.building_at + i * 9000
            payload = {
                "deploymentId": record.uid,
                "id": f"{record.uid[4:12]}{i:04d}",
                "date": at,
                "serial": f"{at}-{i}",
                "text": text,
                "created": at,
            }
            events.append({"type": kind, "created": at, "payload": payload})
        since = request.int_arg("since", -1)
        events = [e for e in events if int(e["created"]) > since]
        limit = request.int_arg("limit", 100)
        if request.arg("direction") == "backward":
            events.reverse()
        return events if limit < 0 else events[:limit]

    def promote(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["projectId"])
        with self.data.lock:
            record = self.data.find(request.path_params["deploymentId"])
            if record.state != "READY":
                raise StandinError(400, "Only a deployment that is ready can be promoted", code="not_ready")
            if record.target != "production":
                raise StandinError(
                    400, "Only a production deployment can be promoted; redeploy a preview", code="not_production"
                )
            if record.uid == self.data.production_id:
                raise StandinError(
                    409,
                    "This deployment is already the current production deployment",
                    code="already_promoted",
                )
            self._busy()
            self._start_job("promote", record)
        return StandinResponse(202, None)

    def _busy(self) -> None:
        job = self.data.alias_job
        if job is not None and job.status in ("pending", "in-progress"):
            raise StandinError(409, "Another promote or rollback is in progress", code="alias_job_in_progress")

    def _start_job(self, kind: str, record: VercelDeploymentRecord) -> None:
        aliases = {a: "pending" for a in PRODUCTION_ALIASES}
        self.data.alias_job = AliasJob(
            kind, self.data.production_id, record.uid, h.millis(datetime.now(UTC)), aliases=aliases
        )

    def rollback(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["projectId"])
        with self.data.lock:
            record = self.data.find(request.path_params["deploymentId"])
            if record.state != "READY" or not record.promoted:
                raise StandinError(
                    422,
                    "Only a deployment that has served production can be the rollback target",
                    code="invalid_rollback_target",
                )
            if record.uid == self.data.production_id:
                raise StandinError(
                    409,
                    "This deployment is already the current production deployment",
                    code="already_current",
                )
            self._busy()
            self._start_job("rollback", record)
            self.data.rollback_description = (request.arg("description") or "Instant rollback")[:250]
        return StandinResponse(201, None)

    def alias_status(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["projectId"])
        failed_only = request.arg("failedOnly") == "true"
        with self.data.lock:
            job = self.data.alias_job
            items = [] if job is None else [
                {"alias": a, "status": st, "id": h.stable_id("alias_", a, job.requested_at, length=16)}
                for a, st in job.aliases.items()
                if not failed_only or st == "failed"
            ]
        return {"aliases": items, "pagination": {"count": len(items), "next": None, "prev": None}}

    def deployment_aliases(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["id"])
            names = list(PRODUCTION_ALIASES) if record.uid == self.data.production_id else []
            if record.target == "staging" and record.state == "READY":
                names = ["staging-realtor-app.vercel.app"]
            names.append(record.url.replace(f"-{h.TEAM_SLUG}.vercel.app", f"-git-{h.TEAM_SLUG}.vercel.app"))
        created = datetime.fromtimestamp(record.created / 1000, UTC).isoformat().replace("+00:00", "Z")
        return {
            "aliases": [
                {"uid": h.stable_id("", "alias", record.uid, n, length=24), "alias": n, "created": created,
                 "redirect": None}
                for n in names
            ]
        }

    def checks(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["deploymentId"])
        done = record.state in ("READY", "ERROR", "CANCELED")
        conclusion = "succeeded" if record.state == "READY" else "failed" if record.state == "ERROR" else "canceled"
        items = []
        for i, name in enumerate(("Vercel Speed Insights", "E2E smoke (Playwright)")):
            check: dict[str, Any] = {
                "id": h.stable_id("check_", record.uid, name, length=16),
                "name": name,
                "integrationId": h.stable_id("oac_", name, length=20),
                "status": "completed" if done else "running",
                "blocking": i == 1,
                "rerequestable": True,
                "createdAt": record.created + 1000,
                "updatedAt": record.ready or record.created + 2000,
                "path": "/",
            }
            if done:
                check["conclusion"] = conclusion if i == 1 else "neutral"
                check["completedAt"] = record.ready or record.created
            items.append(check)
        return {"checks": items}

    def create_deployment(self, request: StandinRequest) -> Any:
        """POST /v13/deployments with ``deploymentId``: a redeploy (or the rebuild that promotes a preview)."""
        self._scope(request)
        body = request.json() or {}
        source_id = body.get("deploymentId")
        if not isinstance(source_id, str) or not body.get("name"):
            raise StandinError(400, "Only redeploys (name + deploymentId) are supported by the sandbox",
                               code="bad_request")
        now = datetime.now(UTC)
        with self.data.lock:
            source = self.data.find(source_id)
            n = len(self.data.deployments)
            target = body.get("target", source.target)
            record = VercelDeploymentRecord(
                commit=source.commit,
                uid=h.stable_id("dpl_", "redeploy", source.uid, n, length=28),
                url=f"{h.PROJECT_NAME}-{h.stable_id('', 'rurl', source.uid, n, length=9).lower()}-{h.TEAM_SLUG}.vercel.app",
                state="QUEUED",
                target=target if target in ("production", "staging") else None,
                created=h.millis(now),
                building_at=h.millis(now) + 1000,
                ready=None,
            )
            self.data.deployments.insert(0, record)
            return full_deployment(record, self.data)

    def cancel(self, request: StandinRequest) -> Any:
        self._scope(request)
        with self.data.lock:
            record = self.data.find(request.path_params["id"])
            if record.state not in ("BUILDING", "QUEUED", "INITIALIZING"):
                raise StandinError(
                    400,
                    "Only a deployment that is still building can be canceled",
                    code="deployment_not_cancelable",
                )
            record.state = "CANCELED"
            record.ready = h.millis(datetime.now(UTC))
            return full_deployment(record, self.data)

    def env(self, request: StandinRequest) -> Any:
        self._scope(request)
        self._project_ref(request.path_params["idOrName"])
        decrypt = request.arg("decrypt") == "true"
        created = h.millis(self.data.now - timedelta(days=120))
        envs = []
        for i, (key, kind, targets, plain) in enumerate(ENV_VARS):
            show = kind == "plain" or (decrypt and kind == "encrypted")
            item: dict[str, Any] = {
                "id": h.stable_id("", "env", key, i, length=16),
                "key": key,
                "type": kind,
                "target": list(targets),
                "value": plain
                if show
                else ("" if kind == "sensitive" else h.stable_id("", "cipher", i, length=44)),
                "decrypted": show and kind != "plain",
                "configurationId": None,
                "createdAt": created + i * 60_000,
                "updatedAt": created + i * 60_000,
                "createdBy": USER_ID,
                "updatedBy": None,
            }
            envs.append(item)
        return {"envs": envs}


def _error_body(status: int, message: str, code: str) -> Any:
    return {
        "error": {
            "code": code or {401: "forbidden", 403: "forbidden"}.get(status, "error"),
            "message": message,
        }
    }


def create(
    *,
    tokens: TokenPolicy | None = None,
    now: datetime | None = None,
    port: int = 0,
    extra_deployments: int = 0,
) -> StandinServer:
    """A Vercel stand-in (not started). Its ``data`` attribute holds the state; ``extra_deployments``
    older ones make a long history."""
    data = VercelData.build(now, extra=extra_deployments)
    api = VercelStandin(data)
    return StandinServer(
        "vercel",
        routes(
            ("GET", "/v9/projects/{idOrName}", api.get_project),
            ("GET", "/v10/projects", api.list_projects),
            ("GET", "/v7/deployments", api.list_deployments),
            ("GET", "/v6/deployments", api.list_deployments),
            ("GET", "/v13/deployments/{idOrUrl}", api.get_deployment),
            ("GET", "/v3/deployments/{idOrUrl}/events", api.events),
            ("POST", "/v10/projects/{projectId}/promote/{deploymentId}", api.promote),
            ("POST", "/v1/projects/{projectId}/rollback/{deploymentId}", api.rollback),
            ("PATCH", "/v12/deployments/{id}/cancel", api.cancel),
            ("GET", "/v1/projects/{projectId}/promote/aliases", api.alias_status),
            ("GET", "/v2/deployments/{id}/aliases", api.deployment_aliases),
            ("GET", "/v1/deployments/{deploymentId}/checks", api.checks),
            ("POST", "/v13/deployments", api.create_deployment),
            ("GET", "/v10/projects/{idOrName}/env", api.env),
        ),
        tokens=tokens or TokenPolicy("bearer", {TOKEN}, {REVOKED_TOKEN}, {LIMITED_TOKEN}),
        error_body=_error_body,
        port=port,
        data=data,
    )

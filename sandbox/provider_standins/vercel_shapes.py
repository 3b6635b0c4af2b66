"""The Vercel stand-in's answers in the shapes of the Vercel OpenAPI file: deployments (list item, public
and full variants) and the project."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.provider_standins import history as h
from sandbox.provider_standins.vercel_project import ACCOUNT_ID, USER_ID, VercelData, VercelDeploymentRecord


def _creator(record: VercelDeploymentRecord) -> dict[str, Any]:
    return {
        "uid": h.stable_id("usr_", record.commit.author_login),
        "username": record.commit.author_login,
        "email": record.commit.author_email,
        "githubLogin": record.commit.author_login,
    }


def _meta(record: VercelDeploymentRecord) -> dict[str, str]:
    owner, repo = h.REPOSITORY.split("/")
    return {
        "githubCommitSha": record.commit.sha,
        "githubCommitRef": record.commit.branch,
        "githubCommitMessage": record.commit.message,
        "githubCommitAuthorName": record.commit.author_name,
        "githubCommitAuthorLogin": record.commit.author_login,
        "githubCommitOrg": owner,
        "githubCommitRepo": repo,
        "githubDeployment": "1",
    }


def list_item(record: VercelDeploymentRecord, data: VercelData) -> dict[str, Any]:
    item: dict[str, Any] = {
        "uid": record.uid,
        "name": h.PROJECT_NAME,
        "projectId": h.PROJECT_ID,
        "url": record.url,
        "created": record.created,
        "createdAt": record.created,
        "buildingAt": record.building_at,
        "source": "git",
        "state": record.state,
        "readyState": record.state,
        "type": "LAMBDAS",
        "creator": _creator(record),
        "meta": _meta(record),
        "target": record.target,  # null for a preview
        "aliasError": None,
        "inspectorUrl": f"https://vercel.com/{h.TEAM_SLUG}/{h.PROJECT_NAME}/{record.uid[4:]}",
        "isRollbackCandidate": record.promoted and record.uid != data.production_id,
    }
    if record.ready is not None:
        item["ready"] = record.ready
    if record.state == "READY":
        item["readySubstate"] = "PROMOTED" if record.promoted else "STAGED"
    if record.state == "ERROR":
        item["errorCode"] = "BUILD_FAILED"
        item["errorMessage"] = 'Command "npm run build" exited with 1'
    return item


def public_deployment(record: VercelDeploymentRecord, data: VercelData) -> dict[str, Any]:
    """GET /v13/deployments/{id}: the public-information variant of the spec's oneOf."""
    body: dict[str, Any] = {
        "id": record.uid,
        "name": h.PROJECT_NAME,
        "url": record.url,
        "projectId": h.PROJECT_ID,
        "project": {"id": h.PROJECT_ID, "name": h.PROJECT_NAME, "framework": "nextjs"},
        "team": {"id": h.TEAM_ID, "name": "Realtor Brokerage", "slug": h.TEAM_SLUG},
        "createdAt": record.created,
        "buildingAt": record.building_at,
        "bootedAt": record.created + 2000,
        "buildSkipped": False,
        "aliasAssigned": record.state == "READY" and record.target is not None,
        "aliasError": None,
        "alias": _aliases(record),
        "creator": {"uid": _creator(record)["uid"], "username": record.commit.author_login},
        "public": False,
        "status": record.state,
        "readyState": record.state,
        "type": "LAMBDAS",
        "meta": _meta(record),
        "regions": ["iad1"],
        "version": 2,
        "target": record.target,
        "source": "git",
        "inspectorUrl": list_item(record, data)["inspectorUrl"],
    }
    if record.ready is not None:
        body["ready"] = record.ready
    if record.state == "READY":
        body["readySubstate"] = "PROMOTED" if record.promoted else "STAGED"
    if record.state == "ERROR":
        body["errorCode"] = "BUILD_FAILED"
        body["errorMessage"] = 'Command "npm run build" exited with 1'
        body["errorStep"] = "build"
    return body


def full_deployment(record: VercelDeploymentRecord, data: VercelData) -> dict[str, Any]:
    """The private variant (PATCH .../cancel answers with it)."""
    body = public_deployment(record, data)
    body.update(
        {
            "build": {"env": []},
            "env": [],
            "isInConcurrentBuildsQueue": False,
            "isInSystemBuildsQueue": False,
            "projectSettings": {"framework": "nextjs", "nodeVersion": "20.x"},
            "plan": "pro",
            "createdIn": "iad1",
            "ownerId": h.TEAM_ID,
            "routes": None,
        }
    )
    return body

def _aliases(record: VercelDeploymentRecord) -> list[str]:
    if record.target == "production" and record.state == "READY":
        return ["realtor-platform.com", "www.realtor-platform.com"]
    if record.target == "staging" and record.state == "READY":
        return ["staging-realtor-app.vercel.app"]
    return []


def project_json(data: VercelData) -> dict[str, Any]:
    prod = data.find(data.production_id)
    body: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "id": h.PROJECT_ID,
        "name": h.PROJECT_NAME,
        "framework": "nextjs",
        "nodeVersion": "20.x",
        "directoryListing": False,
        "createdAt": h.millis(data.now - timedelta(days=400)),
        "updatedAt": prod.created,
        "live": True,
        "resourceConfig": {"functionDefaultRegions": ["iad1"], "fluid": True},
        "defaultResourceConfig": {"functionDefaultRegions": ["iad1"]},
        "targets": {
            "production": {
                "id": prod.uid,
                "createdAt": prod.created,
                "createdIn": "iad1",
                "creator": {k: v for k, v in _creator(prod).items() if k in ("uid", "username", "email")},
                "deploymentHostname": prod.url.removesuffix(".vercel.app"),
                "name": h.PROJECT_NAME,
                "plan": "pro",
                "private": True,
                "readyState": prod.state,
                "readySubstate": "PROMOTED",
                "type": "LAMBDAS",
                "url": prod.url,
                "userId": USER_ID,
                "meta": _meta(prod),
            }
        },
    }
    job = data.alias_job
    if job is not None:
        body["lastAliasRequest"] = {
            "fromDeploymentId": job.from_id,
            "toDeploymentId": job.to_id,
            "jobStatus": job.status,
            "requestedAt": job.requested_at,
            "type": job.type,
        }
    if data.rollback_description is not None:
        body["rollbackDescription"] = {
            "userId": USER_ID,
            "username": "mchen",
            "description": data.rollback_description,
            "createdAt": h.millis(datetime.now(UTC)),
        }
    return body

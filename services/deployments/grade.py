"""The security grade of a deployment before it is promoted: its URL's response headers graded against
the seed's policy by the Health screen's grader (``grade_headers``), plus its ``/api/health``.

No token is sent anywhere here: a deployment URL is fetched like a browser would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from services.core.concurrency import settle
from services.core.workspace import Environment
from services.deployments import common
from services.health.security_headers import HeaderReport, grade_headers
from services.providers.vercel_client import VercelDeployment

if TYPE_CHECKING:
    from services.core.app_context import AppContext


@dataclass(frozen=True)
class HealthAnswer:
    status: int | None  # HTTP status, None when it did not answer
    state: str  # "healthy", "unhealthy", or what went wrong
    latency_ms: float | None


@dataclass(frozen=True)
class DeploymentGrade:
    deployment_id: str
    url: str
    grade: str | None  # A+ … F, None when the page could not be fetched
    score: int | None
    problems: tuple[str, ...]  # "header: verdict" for every header not as the seed's
    health: HealthAnswer
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.grade is not None and self.health.state == "healthy"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.deployment_id, "url": self.url, "grade": self.grade, "score": self.score,
                "problems": list(self.problems), "health": {"status": self.health.status, "state": self.health.state},
                "error": self.error}


@dataclass(frozen=True)
class GradeComparison:
    candidate: DeploymentGrade
    production: DeploymentGrade | None

    @property
    def worse(self) -> bool:
        """The candidate grades lower than production (or could not be graded, or is unhealthy)."""
        if self.candidate.score is None or self.candidate.health.state != "healthy":
            return True
        if self.production is None or self.production.score is None:
            return False
        return self.candidate.score < self.production.score


def deployment_url(ctx: AppContext, env: Environment, deployment: VercelDeployment) -> str:
    """Where a deployment answers. In the sandbox, deployments have no real host: every one of them
    answers at the environment's platform stand-in."""
    if ctx.workspace.sandbox and env.app_url:
        return env.app_url.rstrip("/")
    host = deployment.url.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
    return f"https://{host}"


async def grade_url(deployment_id: str, base_url: str, *, timeout: float = 10.0,
                    transport: httpx.AsyncBaseTransport | None = None) -> DeploymentGrade:
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True, transport=transport,
                                 headers={"User-Agent": "realtor-ops-console"}) as http:
        page, health = await settle(_page(http, base_url), _health(http, base_url + "/api/health"))
    report, error = page
    if report is None:
        return DeploymentGrade(deployment_id, base_url, None, None, (), health, error)
    problems = tuple(f"{f.header}: {f.verdict}" for f in report.problems)
    return DeploymentGrade(deployment_id, base_url, report.grade, report.score, problems, health)


async def _page(http: httpx.AsyncClient, url: str) -> tuple[HeaderReport | None, str]:
    try:
        response = await http.get(url + "/")
    except httpx.HTTPError as exc:
        return None, f"{url} could not be fetched ({type(exc).__name__})"
    return grade_headers(response.headers, url=str(response.url)), ""


async def _health(http: httpx.AsyncClient, url: str) -> HealthAnswer:
    started = time.perf_counter()
    try:
        response = await http.get(url)
    except httpx.HTTPError as exc:
        return HealthAnswer(None, f"no answer ({type(exc).__name__})", None)
    ms = (time.perf_counter() - started) * 1000
    try:
        body = response.json()
        said = str(body.get("status", "")) if isinstance(body, dict) else ""
    except ValueError:
        said = ""
    if response.status_code == 200 and said == "healthy":
        return HealthAnswer(200, "healthy", ms)
    if response.status_code == 503:
        return HealthAnswer(503, "unhealthy", ms)
    return HealthAnswer(response.status_code, f"unexpected answer ({response.status_code})", ms)


async def grade_deployment(ctx: AppContext, env_name: str, deployment_id: str) -> DeploymentGrade:
    env = ctx.workspace.environment(env_name)
    async with await common.vercel(ctx, env) as client:
        deployment = await client.get_deployment(deployment_id)
    return await grade_url(deployment.id, deployment_url(ctx, env, deployment))


async def compare_with_production(ctx: AppContext, env_name: str, deployment_id: str) -> GradeComparison:
    """The candidate's grade beside the one production's domains serve now."""
    from services.providers.vercel_deployments import production_state

    env = ctx.workspace.environment(env_name)
    async with await common.vercel(ctx, env) as client:
        candidate = await client.get_deployment(deployment_id)
        state = await production_state(client, common.project_id(env))
        current = await client.get_deployment(state.current_deployment_id) if state.current_deployment_id else None
    jobs = [grade_url(candidate.id, deployment_url(ctx, env, candidate))]
    if current is not None:
        jobs.append(grade_url(current.id, deployment_url(ctx, env, current)))
    grades = await settle(*jobs)
    return GradeComparison(grades[0], grades[1] if len(grades) > 1 else None)

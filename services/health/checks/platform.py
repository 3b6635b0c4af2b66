"""The platform's own ``/api/health`` (the seed's ``pages/api/health.ts``).

The seed answers 200 with ``status: "healthy"`` or 503 with ``"unhealthy"``, and a JSON body with
``timestamp``, ``services.database/redis/external_apis`` (``up``/``down``), ``version``, ``uptime``
and ``response_time_ms``. The body is validated field by field; each service is shown as its own part.
External APIs do not make the platform unhealthy (the seed says so), so their failure is "degraded".
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from services.core.units import human_duration
from services.core.workspace import Environment
from services.health.checks.base import Check, CheckContext, Stopwatch, http_failure, status_for_failure
from services.health.model import CheckResult, Part, Status, result

SERVICES = ("database", "redis", "external_apis")
SERVICE_WORDS = {"database": "database", "redis": "Redis", "external_apis": "external APIs"}


def validate_health_body(body: Any) -> list[str]:
    """Problems of a body against the seed's HealthCheck interface (empty list: valid)."""
    problems: list[str] = []
    if not isinstance(body, dict):
        return [f"the body is a JSON {type(body).__name__}, not an object"]

    def need(key: str, kinds: tuple[type, ...], what: str) -> Any:
        if key not in body:
            problems.append(f"'{key}' is missing")
            return None
        value = body[key]
        if not isinstance(value, kinds) or isinstance(value, bool):
            problems.append(f"'{key}' is not {what}")
            return None
        return value

    status = need("status", (str,), "a string")
    if status is not None and status not in ("healthy", "unhealthy"):
        problems.append(f"'status' is {status!r}, not 'healthy' or 'unhealthy'")
    stamp = need("timestamp", (str,), "a string")
    if stamp is not None:
        try:
            datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"'timestamp' {stamp!r} is not an ISO 8601 date")
    need("version", (str,), "a string")
    for key in ("uptime", "response_time_ms"):
        value = need(key, (int, float), "a number")
        if value is not None and value < 0:
            problems.append(f"'{key}' is negative")
    services = need("services", (dict,), "an object")
    if services is not None:
        for name in SERVICES:
            if name not in services:
                problems.append(f"'services.{name}' is missing")
            elif services[name] not in ("up", "down"):
                problems.append(f"'services.{name}' is {services[name]!r}, not 'up' or 'down'")
    return problems


class PlatformCheck(Check):
    name = "platform"

    def configured(self, env: Environment) -> bool:
        return bool(env.health_url)

    def not_configured_reason(self, env: Environment) -> str:
        return "no app URL is set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        url = env.health_url
        clock = Stopwatch()
        try:
            response = await ctx.http(env).get(url, timeout=ctx.timeout(env), headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            failure = http_failure(exc, url)
            return result(env.name, self.name, status_for_failure(failure), failure.sentence(), latency_ms=clock.ms)
        latency = clock.ms
        code = response.status_code
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "no content type")
            snippet = response.text[:60].replace("\n", " ")
            return result(env.name, self.name, Status.DOWN,
                          f"Answered {code} but the body is not JSON ({kind}: {snippet!r})", latency_ms=latency,
                          metrics={"http_status": code})
        problems = validate_health_body(body)
        if problems:
            shown = "; ".join(problems[:4]) + ("; …" if len(problems) > 4 else "")
            return result(env.name, self.name, Status.DOWN,
                          f"Answered {code} but not with the platform's health JSON: {shown}",
                          latency_ms=latency, metrics={"http_status": code})
        return self._judge(env.name, code, body, latency, ctx.slow_ms)

    def _judge(self, env: str, code: int, body: dict[str, Any], latency: float, slow_ms: float) -> CheckResult:
        services = body["services"]
        parts = [Part(SERVICE_WORDS[name], Status.UP if services[name] == "up" else Status.DOWN, services[name])
                 for name in SERVICES]
        parts += [
            Part("version", Status.UP, str(body["version"])),
            Part("uptime", Status.UP, human_duration(float(body["uptime"]))),
            Part("response_time_ms", Status.UP, f"{float(body['response_time_ms']):.0f} ms",
                 detail="time the platform took for its own checks"),
        ]
        metrics = {"http_status": float(code), "uptime_s": float(body["uptime"]),
                   "response_time_ms": float(body["response_time_ms"])}
        down = [SERVICE_WORDS[n] for n in SERVICES if services[n] != "up"]
        healthy = body["status"] == "healthy"
        if code not in (200, 503):
            return result(env, self.name, Status.DOWN, f"Answered {code} (expected 200 or 503)",
                          latency_ms=latency, parts=parts, metrics=metrics)
        if (code == 200) != healthy:
            return result(env, self.name, Status.DEGRADED,
                          f"Answered {code} but says '{body['status']}': the status code and the body disagree",
                          latency_ms=latency, parts=parts, metrics=metrics)
        if not healthy:
            which = ", ".join(down) or "a service"
            return result(env, self.name, Status.DOWN, f"Unhealthy (503): {which} down",
                          latency_ms=latency, parts=parts, metrics=metrics)
        if down:
            return result(env, self.name, Status.DEGRADED,
                          f"Healthy, but {', '.join(down)} down (the platform does not count that as unhealthy)",
                          latency_ms=latency, parts=parts, metrics=metrics)
        if latency > slow_ms:
            return result(env, self.name, Status.DEGRADED,
                          f"Healthy but slow: answered in {latency:.0f} ms (limit {slow_ms:.0f} ms)",
                          latency_ms=latency, parts=parts, metrics=metrics)
        return result(env, self.name, Status.UP, f"Healthy, version {body['version']}",
                      latency_ms=latency, parts=parts, metrics=metrics)

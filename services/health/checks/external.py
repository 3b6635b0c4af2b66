"""The platform's external services named by the seed (MLS, email/Resend, SMS/Twilio, phone/3CX):
each configured status URL answered, and how."""

from __future__ import annotations

import httpx

from services.core.concurrency import settle
from services.core.workspace import Environment
from services.health.checks.base import Check, CheckContext, Stopwatch, http_failure
from services.health.model import CheckResult, Part, Status, result

NAMES = {"mls": "MLS", "email": "Email (Resend)", "sms": "SMS (Twilio)", "phone": "Phone (3CX)"}


class ExternalApisCheck(Check):
    name = "external"

    def configured(self, env: Environment) -> bool:
        return bool(env.external_apis.items())

    def not_configured_reason(self, env: Environment) -> str:
        return "no external API status URLs are set"

    async def _one(self, client: httpx.AsyncClient, slow_ms: float, limit: float, key: str,
                   url: str) -> tuple[Part, float]:
        name = NAMES.get(key, key)
        clock = Stopwatch()
        try:
            response = await client.get(url, timeout=limit)
        except httpx.HTTPError as exc:
            return Part(name, Status.DOWN, "no answer", detail=http_failure(exc, url).sentence()), clock.ms
        ms = clock.ms
        code = response.status_code
        if code < 400:
            status = Status.DEGRADED if ms > slow_ms else Status.UP
            return Part(name, status, f"{code} in {ms:.0f} ms", detail=url), ms
        if code in (401, 403):
            return Part(name, Status.UP, f"{code} in {ms:.0f} ms",
                        detail=f"{url} is reachable and asks for credentials"), ms
        if code >= 500:
            return Part(name, Status.DOWN, f"{code}", detail=f"{url} answered with a server error"), ms
        return Part(name, Status.DEGRADED, f"{code}", detail=f"{url} answered {code}"), ms

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        items = env.external_apis.items()
        answers = await settle(*(self._one(ctx.http(env), ctx.slow_ms, ctx.timeout(env), key, url) for key, url in items))
        parts = tuple(p for p, _ in answers)
        latency = max(ms for _, ms in answers)
        down = [p for p in parts if p.status is Status.DOWN]
        weak = [p for p in parts if p.status is Status.DEGRADED]
        if not down and not weak:
            return result(env.name, self.name, Status.UP, f"All {len(parts)} external services answer",
                          latency_ms=latency, parts=parts)
        words = "; ".join(f"{p.name}: {p.value}" for p in (*down, *weak))
        if len(down) == len(parts):
            return result(env.name, self.name, Status.DOWN, f"No external service answers ({words})",
                          latency_ms=latency, parts=parts)
        return result(env.name, self.name, Status.DEGRADED, words, latency_ms=latency, parts=parts)

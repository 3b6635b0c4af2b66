"""Security headers of the environment's pages, graded by the Observatory's rules and compared with
the seed's policy; each missing or weak header is a part with its explanation."""

from __future__ import annotations

import httpx

from services.health.checks.base import Check, CheckContext, Stopwatch, http_failure, status_for_failure
from services.health.model import CheckResult, Part, Status, result
from services.health.security_headers import HeaderFinding, HeaderReport, grade_for, grade_headers
from services.workspace import Environment


def report_parts(report: HeaderReport) -> tuple[Part, ...]:
    return tuple(
        Part(f.header, Status.UP if f.ok else Status.DEGRADED, f.received or "(missing)", detail=f.explanation,
             expected=f.expected, code=f.code or "", score=f.modifier, verdict=f.verdict)
        for f in report.findings)


def report_from_result(res: CheckResult, url: str = "") -> HeaderReport | None:
    """Rebuild the header report the view shows from a stored result's parts."""
    if res.check != "headers" or not res.parts:
        return None
    findings = tuple(
        HeaderFinding(p.name, None if p.value == "(missing)" else p.value, p.expected,
                      p.verdict or ("ok" if p.status is Status.UP else "weaker"),
                      p.code or None, p.score, p.detail)
        for p in res.parts)
    score = int(res.metrics.get("score", 0))
    return HeaderReport(url, bool(res.metrics.get("https", 0)), findings, score,
                        grade_for(score), int(res.metrics.get("uncurved", score)))


# The header tests alone cannot go below 25 (every one failed: D-). A score under 40 (grade D or worse)
# means most protections are gone, which the board shows as down.
DOWN_BELOW_SCORE = 40


class HeadersCheck(Check):
    name = "headers"

    def configured(self, env: Environment) -> bool:
        return bool(env.app_url)

    def not_configured_reason(self, env: Environment) -> str:
        return "no app URL is set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        url = env.app_url.rstrip("/") + "/"
        clock = Stopwatch()
        try:
            response = await ctx.http(env).get(url, timeout=ctx.timeout(env))
        except httpx.HTTPError as exc:
            failure = http_failure(exc, url)
            return result(env.name, self.name, status_for_failure(failure),
                          f"The page could not be fetched to read its headers: {failure.sentence()}",
                          latency_ms=clock.ms)
        latency = clock.ms
        if response.status_code >= 400:
            return result(env.name, self.name, Status.DOWN,
                          f"The page answered {response.status_code}, so its headers say nothing about real pages",
                          latency_ms=latency)
        report = grade_headers(response.headers, url=url)
        parts = report_parts(report)
        metrics = {"score": float(report.score), "uncurved": float(report.uncurved),
                   "https": 1.0 if report.https else 0.0}
        problems = report.problems
        grade = f"Observatory grade {report.grade} ({report.score})"
        if report.score < DOWN_BELOW_SCORE:
            return result(env.name, self.name, Status.DOWN,
                          f"{grade}: {len(problems)} headers missing or weak "
                          f"({', '.join(p.header for p in problems)})",
                          latency_ms=latency, parts=parts, metrics=metrics)
        if problems:
            return result(env.name, self.name, Status.DEGRADED,
                          f"{grade}; not as the seed's policy: "
                          + ", ".join(f"{p.header} {p.verdict}" for p in problems),
                          latency_ms=latency, parts=parts, metrics=metrics)
        return result(env.name, self.name, Status.UP, f"{grade}; all six headers as the seed's policy",
                      latency_ms=latency, parts=parts, metrics=metrics)

"""Security headers of the environment's site, graded as the Mozilla HTTP Observatory v1.6.3 grades
them (algorithm 5, all ten tests, redirects followed) and compared with the seed's policy.

The result's parts carry three kinds of rows, told apart by ``verdict``: the seed comparison of each
header ("ok", "weaker", "missing", "invalid"), each Observatory test ("test": the result name, its
modifier, the link to its rule) and each request of the redirect chain ("hop").
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from services.core.workspace import Environment
from services.health.checks.base import Check, CheckContext, Stopwatch, http_failure, status_for_failure
from services.health.model import CheckResult, Part, Status, result
from services.health.observatory import ALGORITHM_VERSION, OBSERVATORY_VERSION, Hop, TestResult
from services.health.observatory.model import TESTS, rule_url
from services.health.page_fetch import FetchFailed, fetch_scan
from services.health.security_headers import HeaderFinding, HeaderReport, grade_for, report_for_scan

TEST_PREFIX = "observatory:"
HOP_PREFIX = "redirect "
# Tests about the page's content rather than its headers: a deduction there is a problem to show even
# when every header matches the seed's policy.
CONTENT_TESTS = ("cookies", "subresource-integrity", "cross-origin-resource-sharing", "cross-origin-resource-policy")


def _test_status(t: TestResult) -> Status:
    return Status.UP if t.modifier >= 0 else Status.DEGRADED


def report_parts(report: HeaderReport) -> tuple[Part, ...]:
    findings = tuple(
        Part(f.header, Status.UP if f.ok else Status.DEGRADED, f.received or "(missing)", detail=f.explanation,
             expected=f.expected, code=f.code or "", score=f.modifier, verdict=f.verdict)
        for f in report.findings)
    tests = tuple(Part(TEST_PREFIX + t.test, _test_status(t), t.seen, detail=t.note, expected=t.rule_url,
                       code=t.result, score=t.modifier, verdict="test") for t in report.tests)
    hops = tuple(Part(f"{HOP_PREFIX}{i + 1}", Status.UP, h.url, detail=h.location, code=str(h.status), verdict="hop")
                 for i, h in enumerate(report.chain))
    return findings + tests + hops


def report_from_result(res: CheckResult, url: str = "") -> HeaderReport | None:
    """Rebuild the header report the view shows from a stored result's parts."""
    if res.check != "headers" or not res.parts:
        return None
    findings = tuple(
        HeaderFinding(p.name, None if p.value == "(missing)" else p.value, p.expected,
                      p.verdict or ("ok" if p.status is Status.UP else "weaker"),
                      p.code or None, p.score, p.detail)
        for p in res.parts if p.verdict not in ("test", "hop"))
    tests = tuple(TestResult(p.name[len(TEST_PREFIX):], p.code, int(p.score or 0), p.value, p.detail)
                  for p in res.parts if p.verdict == "test" and p.name[len(TEST_PREFIX):] in TESTS)
    chain = tuple(Hop(p.value, int(p.code or 0), p.detail) for p in res.parts if p.verdict == "hop")
    score = int(res.metrics.get("score", 0))
    final = chain[-1].url if chain else url
    return HeaderReport(final, bool(res.metrics.get("https", 0)), findings, score, grade_for(score),
                        int(res.metrics.get("uncurved", score)), tests, chain,
                        int(res.metrics.get("algorithm", ALGORITHM_VERSION)))


def _chain_words(chain: tuple[Hop, ...]) -> str:
    if len(chain) <= 1:
        return ""
    return f" after {len(chain) - 1} redirect{'s' if len(chain) > 2 else ''} ({chain[0].status} → {chain[-1].url})"


class HeadersCheck(Check):
    name = "headers"

    def configured(self, env: Environment) -> bool:
        return bool(env.app_url)

    def not_configured_reason(self, env: Environment) -> str:
        return "no app URL is set"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        url = env.app_url if urlsplit(env.app_url).path.strip("/") else env.app_url.rstrip("/") + "/"
        clock = Stopwatch()
        try:
            scan = await fetch_scan(url, ctx.http(env), ctx.timeout(env))
        except FetchFailed as exc:
            failure = http_failure(exc.cause, url)
            return result(env.name, self.name, status_for_failure(failure),
                          f"The page could not be fetched to read its headers: {failure.sentence()}",
                          latency_ms=clock.ms)
        except httpx.HTTPError as exc:
            failure = http_failure(exc, url)
            return result(env.name, self.name, status_for_failure(failure),
                          f"The page could not be fetched to read its headers: {failure.sentence()}",
                          latency_ms=clock.ms)
        latency = clock.ms
        assert scan.auto is not None
        status = scan.auto.status
        if status < 200 or (status >= 400 and status not in (401, 403)):
            return result(env.name, self.name, Status.DOWN,
                          f"{scan.auto.url} answered {status}{_chain_words(scan.auto_chain)}, so its headers say "
                          "nothing about real pages (the Observatory refuses to grade it too)",
                          latency_ms=latency,
                          parts=[Part(f"{HOP_PREFIX}{i + 1}", Status.UP, h.url, detail=h.location, code=str(h.status),
                                      verdict="hop") for i, h in enumerate(scan.auto_chain)])
        # Off the loop's thread: parsing a big page, and loading the preload and public-suffix lists the
        # first time, take tens of milliseconds (the console's loop is the Qt thread).
        report = await asyncio.to_thread(report_for_scan, scan)
        parts = report_parts(report)
        metrics = {"score": float(report.score), "uncurved": float(report.uncurved),
                   "https": 1.0 if report.https else 0.0, "algorithm": float(report.algorithm),
                   "redirects": float(max(0, len(report.chain) - 1))}
        problems = report.problems
        grade = (f"Observatory grade {report.grade} ({report.score}, v{OBSERVATORY_VERSION} algorithm "
                 f"{report.algorithm}){_chain_words(report.chain)}")
        content = [t for t in report.tests if t.test in CONTENT_TESTS and t.modifier < 0]
        redirect = report.test("redirection")
        if url.startswith("https://") and redirect is not None and redirect.modifier < 0:
            content.append(redirect)
        if problems or content:
            # A weak grade is a warning, not an outage: the site answers (down is for pages that do not).
            words = [f"{p.header} {p.verdict}" for p in problems] + [f"{t.result} {t.modifier:+d}" for t in content]
            return result(env.name, self.name, Status.DEGRADED, f"{grade}; " + ", ".join(words),
                          latency_ms=latency, parts=parts, metrics=metrics)
        return result(env.name, self.name, Status.UP, f"{grade}; all six headers as the seed's policy",
                      latency_ms=latency, parts=parts, metrics=metrics)


__all__ = ["HeadersCheck", "report_from_result", "report_parts", "rule_url"]

"""One scan: the ten tests on a :class:`ScanInput`, the score and the grade.

Scoring as ``src/scanner/index.js`` and ``src/grader/grader.js`` at v1.6.3 (algorithm 5): start at
100, add every test's modifier; bonuses count only when the score without them (the "uncurved"
score) is at least 90; the grade is read from the score rounded down to a multiple of 5 (above 100:
A+, below 0: 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.health.observatory import analyzers as an
from services.health.observatory.cookies import cookie_jar, cookies_test
from services.health.observatory.csp import csp_test
from services.health.observatory.html import collect, http_equiv
from services.health.observatory.model import (
    ALGORITHM_VERSION,
    HTML_TYPES,
    MINIMUM_SCORE_FOR_EXTRA_CREDIT,
    TESTS,
    ScanInput,
    describe,
    guide_url,
    modifier,
    rule_url,
)

GRADE_FLOORS = ((100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"), (50, "C"),
                (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"))


def grade_for(score: int) -> str:
    score = max(score, 0)
    rounded = min(score - score % 5, 100)
    return next(grade for floor, grade in GRADE_FLOORS if rounded >= floor)


@dataclass(frozen=True)
class TestResult:
    test: str
    result: str
    modifier: int
    # What was seen, in a line (header value, scripts, cookies, the route).
    seen: str = ""
    # Where this console knowingly differs from what the Observatory would do, or why it may.
    note: str = ""

    @property
    def title(self) -> str:
        return TESTS[self.test][0]

    @property
    def description(self) -> str:
        return describe(self.result)

    @property
    def rule_url(self) -> str:
        return rule_url(self.test)

    @property
    def guide_url(self) -> str:
        return guide_url(self.test)


@dataclass(frozen=True)
class ScanReport:
    tests: tuple[TestResult, ...]
    score: int
    grade: str
    uncurved: int
    algorithm: int = ALGORITHM_VERSION
    csp_data: dict[str, tuple[str, ...]] | None = field(default=None, compare=False)

    def test(self, name: str) -> TestResult:
        return next(t for t in self.tests if t.test == name)

    @property
    def results(self) -> dict[str, str]:
        return {t.test: t.result for t in self.tests}

    @property
    def deductions(self) -> tuple[TestResult, ...]:
        return tuple(t for t in self.tests if t.modifier < 0)


def score_of(modifiers: list[int]) -> tuple[int, int]:
    """(score, uncurved) from the tests' modifiers."""
    with_bonus = 100 + sum(modifiers)
    uncurved = 100 + sum(m for m in modifiers if m < 0)
    return (with_bonus if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved), uncurved


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def analyze(scan: ScanInput) -> ScanReport:
    auto = scan.auto
    if auto is None:
        raise ValueError("nothing to grade: the site did not answer")
    html = auto.body if auto.body and auto.mime in HTML_TYPES else None
    equiv: dict[str, list[str]] = {"content-security-policy": []}
    if html is not None:
        try:
            equiv = http_equiv(html)
        except Exception:
            equiv = {"content-security-policy": []}
    https = scan.auto_https

    # CSP
    csp = csp_test(auto.all("content-security-policy"), equiv.get("content-security-policy", []),
                   auto.header("content-security-policy-report-only"), https)
    csp_seen = "; ".join(f"{k} {' '.join(v)}" for k, v in (csp.data or {}).items())
    if csp.meta:
        csp_seen = f"{csp.policies} policies (header and <meta>): " + csp_seen
    elif csp.policies > 1:
        csp_seen = f"{csp.policies} policies enforced together: " + csp_seen
    results: list[TestResult] = [TestResult("content-security-policy", csp.result, modifier(csp.result),
                                            _short(csp_seen or (auto.header("content-security-policy") or "")))]

    # Cookies (they need the HSTS result first)
    hsts_response = scan.https
    hsts = an.hsts_test(hsts_response.header("strict-transport-security") if hsts_response else None,
                        https=hsts_response is not None, verified=bool(hsts_response and hsts_response.verified),
                        host=scan.host)
    jar = cookie_jar(scan.cookies)
    cookies = cookies_test(auto.all("set-cookie"), jar, hsts_passed=hsts.passed)
    cookie_seen = ", ".join(f"{c.key}{' Secure' if c.secure else ''}{' HttpOnly' if c.http_only else ''}"
                            f"{' SameSite=' + c.same_site if c.same_site else ''}" for c in cookies.cookies)
    results.append(TestResult("cookies", cookies.result, modifier(cookies.result), _short(cookie_seen)))

    # CORS: the preflight's answer to the Observatory's Origin.
    cors = scan.cors
    acao = cors.header("access-control-allow-origin") if cors else None
    credentials = cors.header("access-control-allow-credentials") if cors else None
    cors_result = an.cors_test(acao, scan.cors_origin_sent, credentials)
    cors_seen = f"Access-Control-Allow-Origin: {acao}" if acao else ""
    if credentials:
        cors_seen += f", Access-Control-Allow-Credentials: {credentials}"
    results.append(TestResult("cross-origin-resource-sharing", cors_result, modifier(cors_result), cors_seen))

    # Redirection
    redirection = an.redirection_test(scan.http, scan.http_chain)
    route = " → ".join(f"{h.url} ({h.status})" for h in scan.http_chain)
    redirect_note = ""
    if len(scan.http_chain) > 10 and scan.http_chain[-1].status in (301, 302, 303, 307, 308):
        redirect_note = f"Still redirecting after {len(scan.http_chain) - 1} redirects: the scan stopped there."
    results.append(TestResult("redirection", redirection, modifier(redirection), _short(route, 600), redirect_note))

    # Referrer-Policy
    referrer_headers = auto.all("referrer-policy")
    referrer_meta = equiv.get("referrer-policy", [])
    referrer = an.referrer_test([", ".join(referrer_headers)] if referrer_headers else [], referrer_meta)
    referrer_seen = ", ".join(referrer_headers + [f"<meta name=referrer> {m}" for m in referrer_meta])
    results.append(TestResult("referrer-policy", referrer, modifier(referrer), referrer_seen))

    # HSTS
    hsts_seen = (hsts_response.header("strict-transport-security") or "") if hsts_response else ""
    hsts_note = ""
    if hsts.max_age is not None and hsts.max_age != hsts.max_age:  # NaN: max-age is not a number
        hsts_note = ("max-age is not a number, so browsers ignore this header; the Observatory still counts it as "
                     "six months or more.")
    if hsts.preloaded:
        hsts_seen = (hsts_seen + " · " if hsts_seen else "") + f"{scan.host} is on the HSTS preload list"
    results.append(TestResult("strict-transport-security", hsts.result, modifier(hsts.result), hsts_seen, hsts_note))

    # Subresource integrity
    scripts: list[dict[str, str]] | None
    try:
        scripts = [attrs for _, attrs in collect(auto.body or "", "script")]
    except Exception:
        scripts = None
    sri = an.sri_test(scripts, mime=auto.mime, site_host=scan.host, session_https=https)
    third = [s for s in sri.scripts if s.third_party]
    sri_seen = ", ".join(f"{s.src}{' (integrity)' if s.integrity else ' (no integrity)'}" for s in third)
    if not sri_seen and sri.scripts:
        sri_seen = f"{len(sri.scripts)} script(s) from the site's own domain"
    results.append(TestResult("subresource-integrity", sri.result, modifier(sri.result), _short(sri_seen, 600)))

    # X-Content-Type-Options, X-Frame-Options, CORP
    xcto = an.xcto_test(auto.header("x-content-type-options"))
    results.append(TestResult("x-content-type-options", xcto, modifier(xcto), auto.header("x-content-type-options")
                              or ""))
    xfo = an.xfo_test(auto.header("x-frame-options"), csp.data)
    xfo_seen = auto.header("x-frame-options") or ""
    if xfo == "x-frame-options-implemented-via-csp" and csp.data:
        xfo_seen = "CSP frame-ancestors " + " ".join(csp.data["frame-ancestors"]) + (
            f" (X-Frame-Options: {xfo_seen})" if xfo_seen else "")
    xfo_note = ""
    header_csp = [p for v in auto.all("content-security-policy") for p in v.split(",")]
    if xfo == "x-frame-options-implemented-via-csp" and not any("frame-ancestors" in p.lower() for p in header_csp):
        xfo_note = ("frame-ancestors comes only from a <meta> tag, where browsers ignore it: framing is not "
                    "prevented, though the Observatory gives the bonus.")
    results.append(TestResult("x-frame-options", xfo, modifier(xfo), xfo_seen, xfo_note))
    corp = an.corp_test(auto.header("cross-origin-resource-policy"))
    results.append(TestResult("cross-origin-resource-policy", corp, modifier(corp),
                              auto.header("cross-origin-resource-policy") or ""))

    score, uncurved = score_of([t.modifier for t in results])
    return ScanReport(tuple(results), max(score, 0), grade_for(score), uncurved, csp_data=csp.data)

"""Security headers graded exactly as the Mozilla HTTP Observatory grades them, and compared with the
seed's policy (``next.config.js`` ``securityHeaders`` plus ``config.ts`` ``security.headers``).

The grading is :mod:`services.health.observatory`: mdn/mdn-http-observatory v1.6.3, scoring
algorithm 5 (commit 22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8), all ten tests (CSP, cookies, CORS,
redirection, Referrer-Policy, HSTS, subresource integrity, X-Content-Type-Options, X-Frame-Options,
CORP). This module adds what the Observatory does not do: each graded header held against the seed's
policy, with what is weaker and why it matters. Permissions-Policy is not scored by the Observatory;
it is compared with the seed's policy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.core.seed_policy import CONTENT_SECURITY_POLICY, SEED_POLICY
from services.health.observatory import (
    ALGORITHM_VERSION,
    Hop,
    ScanInput,
    ScanReport,
    SeenResponse,
    TestResult,
    analyze,
    grade_for,
)
from services.health.observatory.analyzers import referrer_policy
from services.health.observatory.csp import CspInvalid
from services.health.observatory.csp import parse_csp as _parse_policies
from services.health.observatory.model import RESULTS

__all__ = ["ALGORITHM_VERSION", "MODIFIERS", "SEED_CSP", "SEED_POLICY", "HeaderFinding", "HeaderReport",
           "grade_for", "grade_headers", "report_for_scan", "single_response_scan"]

SEED_CSP = CONTENT_SECURITY_POLICY
MODIFIERS: dict[str, int] = {name: mod for name, (mod, _) in RESULTS.items()}
REFERRER_ORDER = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin",
                  "no-referrer-when-downgrade", "origin", "origin-when-cross-origin", "unsafe-url")


def parse_csp(value: str) -> dict[str, list[str]]:
    """Directives of one CSP header value as the Observatory combines them (policies split at commas)."""
    parsed = _parse_policies([p.strip() for p in value.split(",")])
    if not parsed.directives:
        raise CspInvalid("no directives")
    return {name: sorted(sources) for name, sources in parsed.directives.items()}


def parse_hsts(value: str) -> tuple[int | None, bool, bool]:
    """(max-age, includeSubDomains, preload) for the seed comparison; ValueError when unrecognisable."""
    if "," in value:
        raise ValueError("set more than once")
    max_age: int | None = None
    sub = preload = False
    for item in value.split(";"):
        item = item.strip().lower()
        if item.startswith("max-age="):
            max_age = int(item[8:].strip().strip('"'))
        elif item == "includesubdomains":
            sub = True
        elif item == "preload":
            preload = True
    if max_age is None:
        raise ValueError("max-age missing")
    return max_age, sub, preload


@dataclass(frozen=True)
class HeaderFinding:
    header: str
    received: str | None
    expected: str
    # How it compares with the seed's policy: "ok", "weaker", "missing" or "invalid".
    verdict: str
    # The Observatory's result id and score modifier (None where it does not score the header).
    code: str | None
    modifier: int | None
    explanation: str

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


@dataclass(frozen=True)
class HeaderReport:
    url: str
    https: bool
    findings: tuple[HeaderFinding, ...]
    score: int
    grade: str
    # Score before bonuses; bonuses only count when this is 90 or more.
    uncurved: int
    # The Observatory's ten tests, and the redirects followed to the graded page.
    tests: tuple[TestResult, ...] = ()
    chain: tuple[Hop, ...] = ()
    algorithm: int = ALGORITHM_VERSION

    def finding(self, header: str) -> HeaderFinding | None:
        for f in self.findings:
            if f.header.lower() == header.lower():
                return f
        return None

    def test(self, name: str) -> TestResult | None:
        return next((t for t in self.tests if t.test == name), None)

    @property
    def problems(self) -> tuple[HeaderFinding, ...]:
        return tuple(f for f in self.findings if not f.ok)

    @property
    def deductions(self) -> tuple[TestResult, ...]:
        return tuple(t for t in self.tests if t.modifier < 0)


def _get(headers: Mapping[str, str] | Iterable[tuple[str, str]], name: str) -> str | None:
    items = headers.items() if isinstance(headers, Mapping) else headers
    values = [v for k, v in items if k.lower() == name.lower()]
    return ", ".join(values) if values else None


# --- comparison with the seed ------------------------------------------------------------------------

_CSP_WHY = {
    "csp-implemented-with-unsafe-inline": "'unsafe-inline' (or data:, or a source as broad as https:) in "
    "script-src lets injected inline scripts run, so CSP no longer stops cross-site scripting",
    "csp-implemented-with-unsafe-eval": "'unsafe-eval' lets strings be run as code (eval, new Function)",
    "csp-implemented-with-insecure-scheme": "scripts or other active content may load over plain http",
    "csp-implemented-with-insecure-scheme-in-passive-content-only": "images or media may load over plain http",
    "csp-implemented-with-unsafe-inline-in-style-src-only": "inline styles are allowed (not scored)",
    "csp-header-invalid": "the header cannot be parsed, so browsers may ignore it",
    "csp-not-implemented": "without a CSP, any injected script runs with the site's rights",
}
_FETCH_DIRECTIVES = {"script-src", "style-src", "img-src", "font-src", "connect-src", "media-src", "object-src",
                     "frame-src", "worker-src", "manifest-src", "child-src"}


def _csp_widening(received: dict[str, list[str]], seed: dict[str, list[str]]) -> list[str]:
    """What the received CSP allows beyond the seed's (empty: at least as strict)."""
    wider: list[str] = []
    recv_default = received.get("default-src")
    seed_default = seed.get("default-src")
    for name in sorted(set(seed) | set(received)):
        if name in ("report-uri", "report-to"):
            continue
        mine = received.get(name)
        if mine is None and name in _FETCH_DIRECTIVES:
            mine = recv_default
        theirs = seed.get(name)
        if theirs is None and name in _FETCH_DIRECTIVES:
            theirs = seed_default
        if theirs is None:
            continue  # the seed does not restrict it: anything is at least as strict
        if mine is None:
            wider.append(f"{name} is not set (the seed sets {' '.join(theirs)})")
            continue
        extra = [s for s in mine if s not in theirs and s != "'none'"]
        if "'none'" in theirs and mine != ["'none'"] and mine:
            extra = [s for s in mine if s != "'none'"]
        if extra:
            wider.append(f"{name} also allows {' '.join(extra)}")
    return wider


def _permissions(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value.split(","):
        name, sep, allow = item.strip().partition("=")
        if sep:
            out[name.strip().lower()] = allow.strip()
    return out


def _finding_csp(value: str | None, test: TestResult,
                 data: dict[str, tuple[str, ...]] | None) -> HeaderFinding:
    code = test.result
    csp = None if data is None else {k: list(v) for k, v in data.items()}
    expected = SEED_POLICY["Content-Security-Policy"]
    why = _CSP_WHY.get(code, "")
    if csp is None:
        verdict = "missing" if code == "csp-not-implemented" else "invalid"
        text = f"Content-Security-Policy is {'missing' if verdict == 'missing' else 'not valid'}: {why}. " \
               "The seed sets one for every page."
        return HeaderFinding("Content-Security-Policy", value, expected, verdict, code, MODIFIERS[code], text)
    wider = _csp_widening(csp, parse_csp(expected))
    observatory = f"The Observatory scores it {MODIFIERS[code]:+d} ({code})" + (f": {why}." if why else ".")
    if wider:
        text = "Weaker than the seed's policy: " + "; ".join(wider) + ". " + observatory
        verdict = "weaker"
    else:
        text = "At least as strict as the seed's policy. " + observatory
        verdict = "ok"
    return HeaderFinding("Content-Security-Policy", value, expected, verdict, code, MODIFIERS[code], text)


def _finding_hsts(value: str | None, https: bool, test: TestResult) -> HeaderFinding:
    expected = SEED_POLICY["Strict-Transport-Security"]
    code = test.result
    mod = MODIFIERS[code]
    name = "Strict-Transport-Security"
    if value is None:
        why = "without it a first visit over http can be intercepted and downgraded"
        if not https:
            why = "the page is served over plain http, and HSTS only works over https"
        return HeaderFinding(name, None, expected, "missing", code, mod,
                             f"Missing: {why}. The seed sends '{expected}'. Observatory {mod:+d} ({code}).")
    try:
        max_age, sub, preload = parse_hsts(value)
    except ValueError as exc:
        if code != "hsts-header-invalid":  # the Observatory reads what it can (max-age=abc passes)
            return HeaderFinding(name, value, expected, "invalid", code, mod,
                                 f"Browsers cannot read it ({exc}), though the Observatory scores it {mod:+d} "
                                 f"({code}).")
        return HeaderFinding(name, value, expected, "invalid", code, mod,
                             f"Cannot be recognised ({exc}); browsers ignore it. Observatory {mod:+d} ({code}).")
    seed_age, _, _ = parse_hsts(expected)
    assert seed_age is not None and max_age is not None
    gaps = []
    if max_age < seed_age:
        gaps.append(f"max-age {max_age} s is shorter than the seed's {seed_age} s (2 years)")
    if not sub:
        gaps.append("includeSubDomains is missing, so subdomains can still be reached over http")
    if not preload:
        gaps.append("preload is missing, so the domain cannot be on browsers' preload list")
    tail = f"Observatory {mod:+d} ({code})."
    if not https:
        tail = f"The page is served over plain http, where browsers ignore HSTS: Observatory {mod:+d} ({code})."
    elif preload and code != "hsts-preloaded":
        tail += " The +5 preload bonus needs the domain on Chromium's preload list, and it is not on it (yet)."
    if gaps:
        return HeaderFinding(name, value, expected, "weaker", code, mod, "Weaker than the seed: " + "; ".join(gaps)
                             + ". " + tail)
    return HeaderFinding(name, value, expected, "ok", code, mod, "Matches the seed (2 years, subdomains, preload). "
                         + tail)


def _finding_xfo(value: str | None, data: dict[str, tuple[str, ...]] | None, test: TestResult) -> HeaderFinding:
    expected = SEED_POLICY["X-Frame-Options"]
    code = test.result
    csp = None if data is None else {k: list(v) for k, v in data.items()}
    mod = MODIFIERS[code]
    name = "X-Frame-Options"
    via_csp = csp is not None and csp.get("frame-ancestors") == ["'none'"]
    note = f"Observatory {mod:+d} ({code})."
    if value is None:
        if via_csp:
            return HeaderFinding(name, None, expected, "weaker", code, mod,
                                 "Missing, though CSP frame-ancestors 'none' protects browsers that support CSP "
                                 f"level 2; the seed sends DENY for older ones. {note}")
        return HeaderFinding(name, None, expected, "missing", code, mod,
                             f"Missing: other sites can show these pages in a frame (clickjacking). {note}")
    xfo = value.strip().upper()
    if xfo == "DENY":
        return HeaderFinding(name, value, expected, "ok", code, mod, f"Matches the seed (DENY). {note}")
    if xfo == "SAMEORIGIN" or xfo.startswith("ALLOW-FROM"):
        return HeaderFinding(name, value, expected, "weaker", code, mod,
                             f"{value} lets some pages frame the site; the seed forbids all framing (DENY). {note}")
    return HeaderFinding(name, value, expected, "invalid", code, mod,
                         f"'{value}' is not a value browsers understand, so framing is not prevented. {note}")


def _finding_xcto(value: str | None, test: TestResult) -> HeaderFinding:
    expected = SEED_POLICY["X-Content-Type-Options"]
    code = test.result
    mod = MODIFIERS[code]
    name = "X-Content-Type-Options"
    if value is None:
        return HeaderFinding(name, None, expected, "missing", code, mod,
                             "Missing: browsers may guess (sniff) content types and run an upload as script. "
                             f"Observatory {mod:+d} ({code}).")
    if code == "x-content-type-options-nosniff":
        return HeaderFinding(name, value, expected, "ok", code, mod, f"Matches the seed (nosniff). Observatory {mod:+d}.")
    return HeaderFinding(name, value, expected, "invalid", code, mod,
                         f"'{value}' is not 'nosniff', so browsers ignore it. Observatory {mod:+d} ({code}).")


def _finding_referrer(value: str | None, test: TestResult) -> HeaderFinding:
    expected = SEED_POLICY["Referrer-Policy"]
    code = test.result
    mod = MODIFIERS[code]
    name = "Referrer-Policy"
    if value is None:
        return HeaderFinding(name, None, expected, "missing", code, mod,
                             "Missing: browsers fall back to their default, which may send full URLs (with listing "
                             f"ids and search terms) to other sites. Observatory {mod:+d} ({code}).")
    policy = referrer_policy([value], [])
    if not policy:
        return HeaderFinding(name, value, expected, "invalid", code, mod,
                             f"'{value}' is not a referrer policy browsers know. Observatory {mod:+d} ({code}).")
    if REFERRER_ORDER.index(policy) <= REFERRER_ORDER.index(expected):
        return HeaderFinding(name, value, expected, "ok", code, mod,
                             f"'{policy}' is at least as private as the seed's. Observatory {mod:+d} ({code}).")
    return HeaderFinding(name, value, expected, "weaker", code, mod,
                         f"'{policy}' sends more of the URL to other sites than the seed's '{expected}'. "
                         f"Observatory {mod:+d} ({code}).")


def _finding_permissions(value: str | None) -> HeaderFinding:
    expected = SEED_POLICY["Permissions-Policy"]
    name = "Permissions-Policy"
    if value is None:
        return HeaderFinding(name, None, expected, "missing", None, None,
                             "Missing: pages (and anything injected into them) may ask for the camera, microphone "
                             "and location; the seed turns those off. Not scored by the Observatory.")
    mine, seed = _permissions(value), _permissions(expected)
    gaps = []
    for feature, allow in seed.items():
        got = mine.get(feature)
        if got is None:
            gaps.append(f"{feature} is not restricted (the seed sets {feature}={allow})")
        elif allow == "()" and got != "()":
            gaps.append(f"{feature}={got} allows what the seed turns off")
    if gaps:
        return HeaderFinding(name, value, expected, "weaker", None, None,
                             "Weaker than the seed: " + "; ".join(gaps) + ". Not scored by the Observatory.")
    return HeaderFinding(name, value, expected, "ok", None, None,
                         "Camera, microphone and location are off, as in the seed. Not scored by the Observatory.")



def single_response_scan(headers: Mapping[str, str] | Iterable[tuple[str, str]], *, url: str, cert_ok: bool = True,
                         html: str | None = None, status: int = 200) -> ScanInput:
    """A scan of one response: over https, http is taken to redirect to the same URL on https first
    (redirection-to-https); over http, to answer itself (redirection-missing)."""
    items = tuple(headers.items() if isinstance(headers, Mapping) else headers)
    if html is not None and not any(k.lower() == "content-type" for k, _ in items):
        items = (*items, ("Content-Type", "text/html; charset=utf-8"))
    parts = urlsplit(url)
    host = parts.hostname or ""
    response = SeenResponse(url, status, items, html, cert_ok)
    if parts.scheme == "https":
        http_url = parts._replace(scheme="http", netloc=host).geturl()
        chain = (Hop(http_url, 301, url), Hop(url, status))
        http = SeenResponse(url, status, items, html, True)  # the http side has no certificate to fail
        return ScanInput(host, response, url, https=response, http=http, http_chain=chain, auto_chain=(Hop(url, status),),
                         cookies=tuple((url, v) for k, v in items if k.lower() == "set-cookie"))
    return ScanInput(host, response, url, https=None, http=response, http_chain=(Hop(url, status),),
                     auto_chain=(Hop(url, status),),
                     cookies=tuple((url, v) for k, v in items if k.lower() == "set-cookie"))


def report_for_scan(scan: ScanInput) -> HeaderReport:
    """Grade a scan and hold its final page's headers against the seed's policy."""
    assert scan.auto is not None
    report: ScanReport = analyze(scan)
    auto = scan.auto
    https = scan.auto_https
    tests = {t.test: t for t in report.tests}
    csp_value = _get(auto.headers, "Content-Security-Policy")
    csp_finding = _finding_csp(csp_value, tests["content-security-policy"], report.csp_data)
    hsts_response = scan.https
    findings = (
        csp_finding,
        _finding_hsts(_get((hsts_response or auto).headers, "Strict-Transport-Security"), https,
                      tests["strict-transport-security"]),
        _finding_xfo(_get(auto.headers, "X-Frame-Options"), report.csp_data, tests["x-frame-options"]),
        _finding_xcto(_get(auto.headers, "X-Content-Type-Options"), tests["x-content-type-options"]),
        _finding_referrer(_get(auto.headers, "Referrer-Policy"), tests["referrer-policy"]),
        _finding_permissions(_get(auto.headers, "Permissions-Policy")),
    )
    return HeaderReport(auto.url, https, findings, report.score, report.grade, report.uncurved, report.tests,
                        scan.auto_chain, report.algorithm)


def grade_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]], *, url: str, cert_ok: bool = True,
                  html: str | None = None) -> HeaderReport:
    """Grade one response's headers (names in any case, repeats as pairs) and optional page HTML."""
    return report_for_scan(single_response_scan(headers, url=url, cert_ok=cert_ok, html=html))

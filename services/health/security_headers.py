"""Security headers graded the way the Mozilla HTTP Observatory grades them, and compared with the
seed's policy (``next.config.js`` ``securityHeaders`` plus ``config.ts`` ``security.headers``).

The Observatory's published rules (mdn/mdn-http-observatory: ``src/analyzer/tests/*.js`` and
``src/grader/charts.js``): every site starts at 100; each test adds its modifier; bonuses count only
when the score without them is at least 90; the grade is read from the score rounded down to a
multiple of 5. Only the header tests are run here (CSP, HSTS, X-Frame-Options,
X-Content-Type-Options, Referrer-Policy); cookies, redirection, SRI, CORS and CORP need more than one
response and are left out. Permissions-Policy is not scored by the Observatory; it is compared with
the seed's policy only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.seed_policy import CONTENT_SECURITY_POLICY, SEED_POLICY

# --- the seed's policy --------------------------------------------------------------------------------

SEED_CSP = CONTENT_SECURITY_POLICY

# --- the Observatory's tables -----------------------------------------------------------------------

MODIFIERS: dict[str, int] = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "hsts-preloaded": 5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-invalid-cert": -20,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
}
GRADES = ((100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"), (50, "C"),
          (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F"))
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
SIX_MONTHS = 15_552_000  # the Observatory's "white lie" for 15768000

DANGEROUSLY_BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
NONCE_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
PASSIVE = ("img-src", "media-src")
REFERRER_GOOD = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
REFERRER_BAD = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")
# Strictest first: a policy is at least as strict as another when it comes earlier.
REFERRER_ORDER = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin",
                  "no-referrer-when-downgrade", "origin", "origin-when-cross-origin", "unsafe-url")


def grade_for(score: int) -> str:
    score = max(score, 0)
    rounded = min(score - score % 5, 100)
    for floor, grade in GRADES:
        if rounded >= floor:
            return grade
    return "F"


class CspInvalid(ValueError):
    pass


def parse_csp(value: str) -> dict[str, list[str]]:
    """Directives of a CSP (several policies separated by commas are merged, first one wins)."""
    csp: dict[str, list[str]] = {}
    for policy in value.split(","):
        for raw in policy.split(";"):
            tokens = raw.strip().split()
            if not tokens:
                continue
            name = tokens[0].lower()
            sources = [t if t.lower().startswith(NONCE_HASH) else t.lower() for t in tokens[1:]]
            if name in csp:
                continue
            csp[name] = sources
    if not csp:
        raise CspInvalid("no directives")
    return csp


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

    def finding(self, header: str) -> HeaderFinding | None:
        for f in self.findings:
            if f.header.lower() == header.lower():
                return f
        return None

    @property
    def problems(self) -> tuple[HeaderFinding, ...]:
        return tuple(f for f in self.findings if not f.ok)


def _get(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


# --- Observatory tests ------------------------------------------------------------------------------

def observatory_csp(value: str | None, https: bool) -> tuple[str, dict[str, list[str]] | None]:
    if value is None or not value.strip():
        return "csp-not-implemented", None
    try:
        csp = parse_csp(value)
    except CspInvalid:
        return "csp-header-invalid", None
    default = csp.get("default-src")
    object_src = set(csp.get("object-src") or default or ["*"])
    script_src = set(csp.get("script-src") or default or ["*"])
    style_src = set(csp.get("style-src") or default or ["*"])
    for sources in (script_src, style_src):
        if any(s.startswith(NONCE_HASH) for s in sources):
            sources.discard("'unsafe-inline'")
    outcome: str | None = None
    if any(s.startswith(NONCE_HASH) for s in script_src) and "'strict-dynamic'" in script_src:
        for s in list(script_src):
            if any(s.startswith(b) for b in DANGEROUSLY_BROAD) or s in ("'self'", "'unsafe-inline'"):
                script_src.discard(s)
    elif "'strict-dynamic'" in script_src:
        outcome = "csp-header-invalid"
    active = [s for name, sources in csp.items() if name not in PASSIVE and name != "script-src" for s in sources]
    active += list(script_src)
    passive = [s for name in PASSIVE for s in (csp.get(name) or default or [])]
    if script_src & (DANGEROUSLY_BROAD | UNSAFE_INLINE) or object_src & DANGEROUSLY_BROAD:
        outcome = outcome or "csp-implemented-with-unsafe-inline"
    if https and any(s.startswith(("http:", "ftp:")) for s in active):
        outcome = outcome or "csp-implemented-with-insecure-scheme"
    if "'unsafe-eval'" in script_src | style_src:
        outcome = outcome or "csp-implemented-with-unsafe-eval"
    if https and any(s.startswith(("http:", "ftp:")) for s in passive):
        outcome = outcome or "csp-implemented-with-insecure-scheme-in-passive-content-only"
    if style_src & (DANGEROUSLY_BROAD | UNSAFE_INLINE):
        outcome = outcome or "csp-implemented-with-unsafe-inline-in-style-src-only"
    if default == ["'none'"]:
        outcome = outcome or "csp-implemented-with-no-unsafe-default-src-none"
    return outcome or "csp-implemented-with-no-unsafe", csp


def parse_hsts(value: str) -> tuple[int | None, bool, bool]:
    """(max-age, includeSubDomains, preload); raises ValueError when it cannot be recognised."""
    if "," in value:
        raise ValueError("set more than once")
    max_age: int | None = None
    sub = preload = False
    for item in value.split(";"):
        item = item.strip().lower()
        if item.startswith("max-age="):
            digits = item[8:].strip().strip('"')
            max_age = int(digits)
        elif item == "includesubdomains":
            sub = True
        elif item == "preload":
            preload = True
    if max_age is None:
        raise ValueError("max-age missing")
    return max_age, sub, preload


def observatory_hsts(value: str | None, https: bool, cert_ok: bool = True) -> str:
    if not https:
        return "hsts-not-implemented-no-https"
    if not cert_ok:
        return "hsts-invalid-cert"
    if value is None:
        return "hsts-not-implemented"
    try:
        max_age, _, _ = parse_hsts(value)
    except ValueError:
        return "hsts-header-invalid"
    assert max_age is not None
    return ("hsts-implemented-max-age-less-than-six-months" if max_age < SIX_MONTHS
            else "hsts-implemented-max-age-at-least-six-months")


def observatory_xfo(value: str | None, csp: dict[str, list[str]] | None) -> str:
    if value is None:
        outcome = "x-frame-options-not-implemented"
    else:
        xfo = value.strip().lower()
        if xfo in ("deny", "sameorigin"):
            outcome = "x-frame-options-sameorigin-or-deny"
        elif xfo.startswith("allow-from"):
            outcome = "x-frame-options-allow-from-origin"
        else:
            outcome = "x-frame-options-header-invalid"
    if csp is not None and "frame-ancestors" in csp:
        outcome = "x-frame-options-implemented-via-csp"
    return outcome


def observatory_xcto(value: str | None) -> str:
    if value is None:
        return "x-content-type-options-not-implemented"
    return ("x-content-type-options-nosniff" if value.strip().lower() == "nosniff"
            else "x-content-type-options-header-invalid")


def _referrer_policy(value: str) -> str:
    valid = [v.strip().lower() for v in value.split(",") if v.strip().lower() in REFERRER_ORDER]
    return valid[-1] if valid else ""


def observatory_referrer(value: str | None) -> str:
    if value is None:
        return "referrer-policy-not-implemented"
    policy = _referrer_policy(value)
    if policy in REFERRER_GOOD:
        return "referrer-policy-private"
    if policy in REFERRER_BAD:
        return "referrer-policy-unsafe"
    return "referrer-policy-header-invalid"


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


def _finding_csp(value: str | None, https: bool) -> tuple[HeaderFinding, dict[str, list[str]] | None]:
    code, csp = observatory_csp(value, https)
    expected = SEED_POLICY["Content-Security-Policy"]
    why = _CSP_WHY.get(code, "")
    if csp is None:
        verdict = "missing" if code == "csp-not-implemented" else "invalid"
        text = f"Content-Security-Policy is {'missing' if verdict == 'missing' else 'not valid'}: {why}. " \
               "The seed sets one for every page."
        return HeaderFinding("Content-Security-Policy", value, expected, verdict, code, MODIFIERS[code], text), None
    wider = _csp_widening(csp, parse_csp(expected))
    observatory = f"The Observatory scores it {MODIFIERS[code]:+d} ({code})" + (f": {why}." if why else ".")
    if wider:
        text = "Weaker than the seed's policy: " + "; ".join(wider) + ". " + observatory
        verdict = "weaker"
    else:
        text = "At least as strict as the seed's policy. " + observatory
        verdict = "ok"
    return HeaderFinding("Content-Security-Policy", value, expected, verdict, code, MODIFIERS[code], text), csp


def _finding_hsts(value: str | None, https: bool, cert_ok: bool) -> HeaderFinding:
    expected = SEED_POLICY["Strict-Transport-Security"]
    code = observatory_hsts(value, https, cert_ok)
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
    elif preload:
        tail += " The +5 preload bonus needs the domain on the preload list, which the console does not look up."
    if gaps:
        return HeaderFinding(name, value, expected, "weaker", code, mod, "Weaker than the seed: " + "; ".join(gaps)
                             + ". " + tail)
    return HeaderFinding(name, value, expected, "ok", code, mod, "Matches the seed (2 years, subdomains, preload). "
                         + tail)


def _finding_xfo(value: str | None, csp: dict[str, list[str]] | None) -> HeaderFinding:
    expected = SEED_POLICY["X-Frame-Options"]
    code = observatory_xfo(value, csp)
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


def _finding_xcto(value: str | None) -> HeaderFinding:
    expected = SEED_POLICY["X-Content-Type-Options"]
    code = observatory_xcto(value)
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


def _finding_referrer(value: str | None) -> HeaderFinding:
    expected = SEED_POLICY["Referrer-Policy"]
    code = observatory_referrer(value)
    mod = MODIFIERS[code]
    name = "Referrer-Policy"
    if value is None:
        return HeaderFinding(name, None, expected, "missing", code, mod,
                             "Missing: browsers fall back to their default, which may send full URLs (with listing "
                             f"ids and search terms) to other sites. Observatory {mod:+d} ({code}).")
    policy = _referrer_policy(value)
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


def grade_headers(headers: Mapping[str, str], *, url: str, cert_ok: bool = True) -> HeaderReport:
    """Grade one response's headers (names in any case)."""
    https = url.lower().startswith("https://")
    csp_finding, csp = _finding_csp(_get(headers, "Content-Security-Policy"), https)
    findings = (
        csp_finding,
        _finding_hsts(_get(headers, "Strict-Transport-Security"), https, cert_ok),
        _finding_xfo(_get(headers, "X-Frame-Options"), csp),
        _finding_xcto(_get(headers, "X-Content-Type-Options")),
        _finding_referrer(_get(headers, "Referrer-Policy")),
        _finding_permissions(_get(headers, "Permissions-Policy")),
    )
    modifiers = [f.modifier for f in findings if f.modifier is not None]
    uncurved = 100 + sum(m for m in modifiers if m < 0)
    with_bonus = 100 + sum(modifiers)
    score = max(0, with_bonus if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved)
    return HeaderReport(url, https, findings, score, grade_for(score), max(0, uncurved))

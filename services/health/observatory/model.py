"""What a scan saw, and the Observatory's tables: result names, score modifiers, rule links.

The names and modifiers are those of mdn/mdn-http-observatory v1.6.3 (``src/types.js`` and
``src/grader/charts.js`` at 22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8); the sentences are ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

OBSERVATORY_VERSION = "1.6.3"
OBSERVATORY_COMMIT = "22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8"
ALGORITHM_VERSION = 5
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
# The Origin the Observatory sends with its CORS preflight (its config default).
CORS_ORIGIN = "https://http-observatory.security.mozilla.org"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_SOURCE = f"https://github.com/mdn/mdn-http-observatory/blob/{OBSERVATORY_COMMIT}/src/analyzer/tests/"
_MDN = "https://developer.mozilla.org/en-US/docs/Web/Security/"

# The ten tests in the Observatory's order: name → (title, source file of its rule, MDN guide).
TESTS: dict[str, tuple[str, str, str]] = {
    "content-security-policy": ("Content Security Policy (CSP)", "csp.js",
                                _MDN + "Practical_implementation_guides/CSP"),
    "cookies": ("Cookies", "cookies.js", _MDN + "Practical_implementation_guides/Cookies"),
    "cross-origin-resource-sharing": ("Cross Origin Resource Sharing (CORS)", "cors.js",
                                      _MDN + "Practical_implementation_guides/CORS"),
    "redirection": ("Redirection", "redirection.js", _MDN + "Practical_implementation_guides/TLS#http_redirection"),
    "referrer-policy": ("Referrer Policy", "referrer-policy.js",
                        _MDN + "Practical_implementation_guides/Referrer_policy"),
    "strict-transport-security": ("Strict Transport Security (HSTS)", "strict-transport-security.js",
                                  _MDN + "Practical_implementation_guides/"
                                  "TLS#http_strict_transport_security_implementation"),
    "subresource-integrity": ("Subresource Integrity", "subresource-integrity.js", _MDN + "Subresource_Integrity"),
    "x-content-type-options": ("X-Content-Type-Options", "x-content-type-options.js",
                               _MDN + "Practical_implementation_guides/MIME_types"),
    "x-frame-options": ("X-Frame-Options", "x-frame-options.js", _MDN + "Attacks/Clickjacking"),
    "cross-origin-resource-policy": ("Cross Origin Resource Policy", "cross-origin-resource-policy.js",
                                     _MDN + "Practical_implementation_guides/CORP"),
}


def rule_url(test: str) -> str:
    """The test's source at the pinned commit: where its rule is written."""
    return _SOURCE + TESTS[test][1]


def guide_url(test: str) -> str:
    return TESTS[test][2]


# result → (modifier, what it means). Modifiers as in v1.6.3's score table.
RESULTS: dict[str, tuple[int, str]] = {
    # CSP
    "csp-implemented-with-no-unsafe-default-src-none": (10, "CSP with default-src 'none' and nothing unsafe"),
    "csp-implemented-with-no-unsafe": (5, "CSP without 'unsafe-inline' or 'unsafe-eval'"),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (0, "CSP allows unsafe sources in style-src only"),
    "csp-implemented-with-insecure-scheme-in-passive-content-only": (
        -10, "CSP lets images or media load over plain http on an https site"),
    "csp-implemented-with-unsafe-eval": (-10, "CSP allows 'unsafe-eval'"),
    "csp-implemented-with-unsafe-inline": (
        -20, "CSP allows 'unsafe-inline' or data: in script-src, a source as broad as https: in script-src or "
        "object-src, or leaves either unrestricted"),
    "csp-implemented-with-insecure-scheme": (-20, "CSP lets scripts or other active content load over plain http"),
    "csp-header-invalid": (-25, "the CSP cannot be parsed"),
    "csp-not-implemented": (-25, "no CSP"),
    "csp-not-implemented-but-reporting-enabled": (-25, "only a report-only CSP, nothing enforced"),
    "csp-implemented-but-duplicate-directives": (0, "CSP repeats report-uri or report-to"),
    # Cookies
    "cookies-secure-with-httponly-sessions-and-samesite": (
        5, "every cookie is Secure, session cookies are HttpOnly, and all have SameSite"),
    "cookies-secure-with-httponly-sessions": (0, "every cookie is Secure and session cookies are HttpOnly"),
    "cookies-not-found": (0, "no cookies"),
    "cookies-without-secure-flag-but-protected-by-hsts": (-5, "a cookie without Secure, though HSTS protects it"),
    "cookies-session-without-secure-flag-but-protected-by-hsts": (
        -10, "a session cookie without Secure, though HSTS protects it"),
    "cookies-without-secure-flag": (-20, "a cookie without Secure, or set over http"),
    "cookies-samesite-flag-invalid": (-20, "a cookie's SameSite is not Strict, Lax or a Secure None"),
    "cookies-anticsrf-without-samesite-flag": (-20, "an anti-CSRF cookie without SameSite"),
    "cookies-session-without-httponly-flag": (-30, "a session cookie without HttpOnly"),
    "cookies-session-without-secure-flag": (-40, "a session cookie without Secure, or set over http"),
    # CORS
    "cross-origin-resource-sharing-not-implemented": (0, "not readable cross-origin"),
    "cross-origin-resource-sharing-implemented-with-public-access": (0, "readable by any origin (no credentials)"),
    "cross-origin-resource-sharing-implemented-with-restricted-access": (0, "readable by named origins only"),
    "cross-origin-resource-sharing-implemented-with-universal-access": (
        -50, "any origin may read it with credentials (the Origin is reflected)"),
    # Redirection
    "redirection-all-redirects-preloaded": (0, "every host redirected through is HSTS-preloaded"),
    "redirection-to-https": (0, "http redirects to https on the same host first, and ends on https"),
    "redirection-not-needed-no-http": (0, "not reachable over http, so nothing to redirect"),
    "redirection-off-host-from-http": (-5, "http redirects straight to another host, so HSTS is never set"),
    "redirection-not-to-https-on-initial-redirection": (-10, "the first redirect goes to another http URL"),
    "redirection-not-to-https": (-20, "redirects, but does not end on https"),
    "redirection-missing": (-20, "http does not redirect to https"),
    "redirection-invalid-cert": (-20, "an invalid certificate on the way"),
    # Referrer-Policy
    "referrer-policy-private": (5, "no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin"),
    "referrer-policy-not-implemented": (0, "no Referrer-Policy"),
    "referrer-policy-unsafe": (-5, "origin, origin-when-cross-origin, unsafe-url or no-referrer-when-downgrade"),
    "referrer-policy-header-invalid": (-5, "no recognisable referrer policy"),
    # HSTS
    "hsts-preloaded": (5, "on the HSTS preload list"),
    "hsts-implemented-max-age-at-least-six-months": (0, "HSTS for at least six months"),
    "hsts-implemented-max-age-less-than-six-months": (-10, "HSTS for less than six months"),
    "hsts-not-implemented": (-20, "no HSTS"),
    "hsts-header-invalid": (-20, "HSTS cannot be recognised"),
    "hsts-not-implemented-no-https": (-20, "not served over https, so no HSTS"),
    "hsts-invalid-cert": (-20, "the certificate is not valid, so HSTS cannot work"),
    # SRI
    "sri-implemented-and-all-scripts-loaded-securely": (5, "SRI used, all scripts from the site's own domain"),
    "sri-implemented-and-external-scripts-loaded-securely": (5, "third-party scripts use SRI over https"),
    "sri-not-implemented-response-not-html": (0, "not HTML, so no scripts"),
    "sri-not-implemented-but-no-scripts-loaded": (0, "no script tags"),
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": (
        0, "no SRI, but every script comes from the site's own domain"),
    "sri-not-implemented-but-external-scripts-loaded-securely": (
        -5, "a third-party script without an integrity attribute (over https)"),
    "sri-implemented-but-external-scripts-not-loaded-securely": (
        -20, "a third-party script with SRI but over http or a protocol-relative URL"),
    "sri-not-implemented-and-external-scripts-not-loaded-securely": (
        -50, "a third-party script without SRI over http or a protocol-relative URL"),
    # X-Content-Type-Options
    "x-content-type-options-nosniff": (0, "nosniff"),
    "x-content-type-options-not-implemented": (-5, "no X-Content-Type-Options"),
    "x-content-type-options-header-invalid": (-5, "X-Content-Type-Options is not nosniff"),
    # X-Frame-Options (+5 for DENY/SAMEORIGIN since the October 2025 change; 0 before)
    "x-frame-options-implemented-via-csp": (5, "framing restricted by CSP frame-ancestors"),
    "x-frame-options-sameorigin-or-deny": (5, "X-Frame-Options DENY or SAMEORIGIN"),
    "x-frame-options-allow-from-origin": (0, "X-Frame-Options ALLOW-FROM (obsolete)"),
    "x-frame-options-not-implemented": (-20, "no X-Frame-Options and no frame-ancestors"),
    "x-frame-options-header-invalid": (-20, "X-Frame-Options cannot be recognised"),
    # CORP
    "corp-header-invalid": (-5, "Cross-Origin-Resource-Policy cannot be recognised"),
    "corp-implemented-with-cross-origin": (0, "CORP cross-origin (the default)"),
    "corp-implemented-with-same-origin": (10, "CORP same-origin"),
    "corp-implemented-with-same-site": (10, "CORP same-site"),
    "corp-not-implemented": (0, "no Cross-Origin-Resource-Policy"),
    # generic
    "html-not-parseable": (-20, "claims to be HTML but cannot be parsed"),
}


def modifier(result: str) -> int:
    return RESULTS.get(result, (0, ""))[0]


def describe(result: str) -> str:
    return RESULTS.get(result, (0, result))[1]


# --- what a scan saw ---------------------------------------------------------------------------------

# Node's http client keeps the first of these when a response repeats them and joins every other
# repeated header (except Set-Cookie) with ", ": the Observatory reads headers after that.
_FIRST_ONLY = frozenset({
    "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host",
    "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards",
    "proxy-authorization", "referer", "retry-after", "server", "user-agent",
})


@dataclass(frozen=True)
class Hop:
    """One request of a redirect chain: the URL asked for and the status it answered."""

    url: str
    status: int
    location: str = ""


@dataclass(frozen=True)
class SeenResponse:
    """The last response of a chain (or of one request), as the Observatory reads it."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    # False when the certificate was not valid and the scan went on without verification.
    verified: bool = True

    def header(self, name: str) -> str | None:
        """The header as Node hands it over: repeats joined with ", " (or the first, for a few)."""
        values = self.all(name)
        if not values:
            return None
        if name.lower() in _FIRST_ONLY:
            return values[0]
        return ", ".join(values)

    def all(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.headers if k.lower() == lower]

    @property
    def mime(self) -> str:
        """Content-Type up to the first ';', exactly as sent (the Observatory neither trims nor lower-cases)."""
        return (self.header("content-type") or "").split(";")[0]


@dataclass(frozen=True)
class ScanInput:
    """Everything one Observatory scan looks at (its ``Requests`` object)."""

    host: str
    # The final response of the session the scan grades ("auto": https when it answered, else http)
    # and the URL that session started from.
    auto: SeenResponse | None
    auto_start_url: str = ""
    # Final responses of the https and the http sessions (None: could not connect).
    https: SeenResponse | None = None
    http: SeenResponse | None = None
    # Every request of the http session, from http://host/ to where it ended.
    http_chain: tuple[Hop, ...] = ()
    # The graded session's chain (for showing it).
    auto_chain: tuple[Hop, ...] = ()
    # Set-Cookie headers in the order the graded session received them, with the URL that sent them.
    cookies: tuple[tuple[str, str], ...] = ()
    # The CORS preflight's answer (OPTIONS with Origin: CORS_ORIGIN), if any.
    cors: SeenResponse | None = None
    cors_origin_sent: str = CORS_ORIGIN
    notes: tuple[str, ...] = field(default=())

    @property
    def auto_https(self) -> bool:
        return urlsplit(self.auto_start_url).scheme == "https"

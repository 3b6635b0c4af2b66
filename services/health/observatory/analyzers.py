"""The Observatory's tests other than CSP and cookies (``csp``, ``cookies``), each as v1.6.3 defines it
(``src/analyzer/tests/*.js`` at 22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8). Each takes plain values, so
that tests and the differential test can drive one rule at a time.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from services.health.observatory.model import Hop, SeenResponse
from services.health.observatory.preload import is_preloaded

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# --- Strict-Transport-Security (strict-transport-security.js) ---------------------------------------

# 15768000 s is six months; the Observatory accepts 15552000 (180 days), which many sites send.
SIX_MONTHS = 15_552_000


@dataclass(frozen=True)
class HstsOutcome:
    result: str
    max_age: float | None = None
    include_subdomains: bool = False
    preload: bool = False
    preloaded: bool = False

    @property
    def passed(self) -> bool:
        return self.result in ("hsts-implemented-max-age-at-least-six-months", "hsts-preloaded")


def _parse_int(text: str) -> float:
    """JavaScript's Number.parseInt(text, 10): leading digits after whitespace and a sign, else NaN."""
    match = re.match(r"[\s\ufeff\u00a0]*([+-]?\d+)", text)
    return float(int(match.group(1))) if match else math.nan


def hsts_test(header: str | None, *, https: bool, verified: bool, host: str) -> HstsOutcome:
    """``header``: the https response's Strict-Transport-Security as Node joins repeats (", ")."""
    result = "hsts-not-implemented"
    max_age: float | None = None
    sub = preload = False
    if not https:
        result = "hsts-not-implemented-no-https"
    elif not verified:
        result = "hsts-invalid-cert"
    elif header is not None:
        data = header[:1024]
        if "," in data:
            result = "hsts-header-invalid"  # set more than once
        else:
            for parameter in (p.strip().lower() for p in data.split(";")):
                if parameter.startswith("max-age="):
                    max_age = _parse_int(parameter[8:128])
                elif parameter == "includesubdomains":
                    sub = True
                elif parameter == "preload":
                    preload = True
            if max_age is None:
                result = "hsts-header-invalid"
            elif max_age < SIX_MONTHS:  # NaN (max-age=abc) compares false: "at least six months"
                result = "hsts-implemented-max-age-less-than-six-months"
            else:
                result = "hsts-implemented-max-age-at-least-six-months"
    preloaded = False
    if https and is_preloaded(host):
        result, preloaded = "hsts-preloaded", True
    return HstsOutcome(result, max_age, sub, preload, preloaded)


# --- X-Frame-Options (x-frame-options.js) --------------------------------------------------------------

def xfo_test(header: str | None, csp_data: dict[str, tuple[str, ...]] | None) -> str:
    if header:
        xfo = header[:1024].strip().lower()
        if xfo in ("deny", "sameorigin"):
            result = "x-frame-options-sameorigin-or-deny"
        elif xfo.startswith("allow-from"):
            result = "x-frame-options-allow-from-origin"
        else:
            result = "x-frame-options-header-invalid"
    else:
        result = "x-frame-options-not-implemented"
    if csp_data and "frame-ancestors" in csp_data:
        result = "x-frame-options-implemented-via-csp"
    return result


# --- X-Content-Type-Options (x-content-type-options.js) ------------------------------------------------

def xcto_test(header: str | None) -> str:
    if not header:
        return "x-content-type-options-not-implemented"
    if header[:256].strip().lower() == "nosniff":
        return "x-content-type-options-nosniff"
    return "x-content-type-options-header-invalid"


# --- Referrer-Policy (referrer-policy.js) ----------------------------------------------------------------

REFERRER_PRIVATE = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
REFERRER_UNSAFE = ("origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade")


def referrer_policy(header_values: list[str], meta_values: list[str]) -> str:
    """The policy in force: the last valid one among the headers and then the meta tag."""
    data = ", ".join([*header_values, *meta_values])
    valid = [p.lower().strip() for p in data.split(",") if p.lower().strip() in REFERRER_PRIVATE + REFERRER_UNSAFE]
    return valid[-1] if valid else ""


def referrer_test(header_values: list[str], meta_values: list[str]) -> str:
    if not header_values and not meta_values:
        return "referrer-policy-not-implemented"
    policy = referrer_policy(header_values, meta_values)
    if policy in REFERRER_PRIVATE:
        return "referrer-policy-private"
    if policy in REFERRER_UNSAFE:
        return "referrer-policy-unsafe"
    return "referrer-policy-header-invalid"


# --- Cross-Origin-Resource-Policy (cross-origin-resource-policy.js) ---------------------------------------

def corp_test(header: str | None) -> str:
    if not header:
        return "corp-not-implemented"
    value = header[:256].strip().lower()
    return {"same-site": "corp-implemented-with-same-site", "same-origin": "corp-implemented-with-same-origin",
            "cross-origin": "corp-implemented-with-cross-origin"}.get(value, "corp-header-invalid")


# --- CORS (cors.js) -------------------------------------------------------------------------------------

def cors_test(acao: str | None, origin_sent: str | None, credentials: str | None) -> str:
    """``origin_sent``: the Origin the Observatory reads back from its own request (see grader)."""
    if not acao:
        return "cross-origin-resource-sharing-not-implemented"
    if acao[:256].strip().lower() == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access"
    if origin_sent and origin_sent == acao and credentials and credentials.lower().strip() == "true":
        return "cross-origin-resource-sharing-implemented-with-universal-access"
    return "cross-origin-resource-sharing-implemented-with-restricted-access"


# --- Redirection (redirection.js) -----------------------------------------------------------------------

def redirection_test(http: SeenResponse | None, chain: tuple[Hop, ...] | list[Hop]) -> str:
    """``http``: the final response of the scan's http session; ``chain``: every request it made."""
    if http is None:
        return "redirection-not-needed-no-http"
    if not http.verified:
        return "redirection-invalid-cert"
    route = [urlsplit(h.url) for h in chain]
    if all(is_preloaded(r.hostname or "") for r in route):
        return "redirection-all-redirects-preloaded"
    if len(route) == 1:
        return "redirection-missing"
    if route[-1].scheme != "https":
        return "redirection-not-to-https"
    if route[1].scheme == "http":
        return "redirection-not-to-https-on-initial-redirection"
    if route[0].scheme == "http" and route[1].scheme == "https" and route[0].hostname != route[1].hostname:
        return "redirection-off-host-from-http"
    return "redirection-to-https"


# --- Subresource integrity (subresource-integrity.js) ---------------------------------------------------

SRI_ORDER = (  # best first; a scan keeps the worst it met ("onlyIfWorse")
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
)


def only_if_worse(new: str, old: str | None, order: tuple[str, ...]) -> str:
    if old is None:
        return new
    return new if order.index(new) > (order.index(old) if old in order else -1) else old


@functools.lru_cache(maxsize=1)
def _psl(icann_only: bool) -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=icann_only)


def registrable_domain(host: str | None, *, icann_only: bool = True) -> str | None:
    """As tldts' ``parse(x).domain`` (ICANN suffixes only by default): None for IPs and bare suffixes."""
    if not host:
        return None
    host = host.strip().lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    domain = _psl(icann_only).privatesuffix(host)
    return str(domain) if domain else None


@dataclass(frozen=True)
class ScriptSeen:
    src: str
    integrity: str | None
    third_party: bool
    secure_scheme: bool


@dataclass(frozen=True)
class SriOutcome:
    result: str
    scripts: tuple[ScriptSeen, ...] = ()


_RELATIVE_PROTOCOL = re.compile(r"^//[^/]")
_FULL_URL = re.compile(r"^https?://")


def sri_test(scripts: list[dict[str, str]] | None, *, mime: str, site_host: str, session_https: bool) -> SriOutcome:
    """``scripts``: attributes of every ``<script>`` tag; None when the page could not be parsed."""
    if mime and mime not in ("text/html", "application/xhtml+xml"):
        return SriOutcome("sri-not-implemented-response-not-html")
    if scripts is None:
        return SriOutcome("html-not-parseable")
    result: str | None = None
    foreign = False
    seen: list[ScriptSeen] = []
    site_domain = registrable_domain(site_host)
    for script in scripts:
        src = script.get("src")
        if not src:
            continue
        integrity = script.get("integrity") or None
        relative_origin = relative_protocol = False
        if _RELATIVE_PROTOCOL.match(src):
            relative_protocol, same_domain = True, True
        elif _FULL_URL.match(src):
            same_domain = registrable_domain(urlsplit(src).hostname) == site_domain
        else:
            relative_origin, same_domain = True, True
        secure_origin = relative_origin or (same_domain and not relative_protocol)
        if not secure_origin:
            foreign = True
        scheme = None if relative_protocol or relative_origin else src.split(":", 1)[0] + ":"
        secure_scheme = scheme == "https:" or (relative_origin and session_https)
        seen.append(ScriptSeen(src, integrity, not secure_origin, secure_scheme))
        if not secure_origin:
            if integrity and not secure_scheme:
                result = only_if_worse("sri-implemented-but-external-scripts-not-loaded-securely", result, SRI_ORDER)
            elif not integrity and secure_scheme:
                result = only_if_worse("sri-not-implemented-but-external-scripts-loaded-securely", result, SRI_ORDER)
            elif not integrity:
                result = only_if_worse("sri-not-implemented-and-external-scripts-not-loaded-securely", result,
                                        SRI_ORDER)
        elif integrity and secure_scheme and result is None:
            result = "sri-implemented-and-all-scripts-loaded-securely"
    if not scripts:
        result = "sri-not-implemented-but-no-scripts-loaded"
    elif result is None:
        result = ("sri-implemented-and-external-scripts-loaded-securely" if foreign
                  else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin")
    return SriOutcome(result, tuple(seen))

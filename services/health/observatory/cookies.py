"""The Observatory's cookies test (``src/analyzer/tests/cookies.js`` at v1.6.3), with tough-cookie 5's
Set-Cookie parsing and cookie-jar rules. Takes plain values, as the other tests in ``analyzers`` do.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.health.observatory.analyzers import only_if_worse, registrable_domain

COOKIE_ORDER = (  # best first
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass(frozen=True)
class Cookie:
    key: str
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None  # "strict", "lax", "none" or None (absent or not one of those)
    domain: str | None = None
    path: str | None = None


def parse_set_cookie(raw: str) -> Cookie | None:
    """One Set-Cookie header as tough-cookie parses it (strict mode); None when it rejects it."""
    text = raw.strip()
    pair, _, rest = text.partition(";")
    pair = re.split(r"[\n\r\x00]", pair, maxsplit=1)[0]
    eq = pair.find("=")
    if eq <= 0:
        return None
    key, value = pair[:eq].strip(), pair[eq + 1:].strip()
    if not key or _CONTROL.search(key) or _CONTROL.search(value):
        return None
    secure = http_only = False
    same_site: str | None = None
    domain: str | None = None
    path: str | None = None
    for av in rest.split(";") if rest else []:
        av = av.strip()
        if not av:
            continue
        name, sep, val = av.partition("=")
        name, val = name.strip().lower(), val.strip() if sep else ""
        if name == "secure":
            secure = True
        elif name == "httponly":
            http_only = True
        elif name == "samesite":
            same_site = val.lower() if val.lower() in ("strict", "lax", "none") else None
        elif name == "domain" and val:
            domain = (val[1:] if val.startswith(".") else val).lower() or None
        elif name == "path":
            path = val if val.startswith("/") else None
    return Cookie(key, secure, http_only, same_site, domain, path)


def _domain_match(host: str, domain: str) -> bool:
    if host == domain:
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return False
    except ValueError:
        return host.endswith("." + domain)


def cookie_jar(set_cookies: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> list[Cookie]:
    """The cookies a tough-cookie jar holds after these (request URL, Set-Cookie) pairs."""
    jar: dict[tuple[str, str, str], Cookie] = {}
    for url, raw in set_cookies:
        cookie = parse_set_cookie(raw)
        if cookie is None:
            continue
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if cookie.domain:
            if registrable_domain(cookie.domain, icann_only=False) is None and not _is_ip(cookie.domain):
                continue  # Domain is a public suffix
            if not _domain_match(host, cookie.domain):
                continue  # not this host's domain
        domain = cookie.domain or host
        path = cookie.path or _default_path(parts.path)
        if cookie.key.startswith("__Secure-") and not cookie.secure:
            continue
        if cookie.key.startswith("__Host-") and (not cookie.secure or cookie.domain or path != "/"):
            continue
        jar[(domain, path, cookie.key)] = cookie
    return list(jar.values())


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


def _default_path(path: str) -> str:
    if not path.startswith("/") or path.count("/") <= 1:
        return "/"
    return path[: path.rindex("/")]


def invalid_same_site(raw: str) -> bool:
    """A SameSite attribute without a value, or with one other than Lax, Strict or None."""
    for part in raw.strip().split(";"):
        pieces = part.strip().split("=")
        if pieces[0] and pieces[0].strip().lower() == "samesite":
            value = pieces[1] if len(pieces) > 1 else ""
            if not value or value.strip().lower() not in ("lax", "strict", "none"):
                return True
    return False


@dataclass(frozen=True)
class CookiesOutcome:
    result: str
    cookies: tuple[Cookie, ...] = ()


def cookies_test(raw_on_final: list[str], jar: list[Cookie], *, hsts_passed: bool) -> CookiesOutcome:
    """``raw_on_final``: Set-Cookie headers of the graded response; ``jar``: what the session kept."""
    result: str | None = None
    for raw in raw_on_final:
        if invalid_same_site(raw):
            result = only_if_worse("cookies-samesite-flag-invalid", result, COOKIE_ORDER)
    cookies = [c for c in jar if c.key and c.key != "heroku-session-affinity"]
    if not cookies:
        return CookiesOutcome("cookies-not-found")
    missing_same_site = False
    for c in cookies:
        key = c.key.lower()
        session = "login" in key or "sess" in key
        anticsrf = "csrf" in key
        if not c.secure and c.same_site == "none":
            result = only_if_worse("cookies-samesite-flag-invalid", result, COOKIE_ORDER)
        if not c.secure:
            result = only_if_worse("cookies-without-secure-flag-but-protected-by-hsts" if hsts_passed
                                    else "cookies-without-secure-flag", result, COOKIE_ORDER)
        if anticsrf and not c.same_site:
            result = only_if_worse("cookies-anticsrf-without-samesite-flag", result, COOKIE_ORDER)
        if session and not c.secure:
            result = only_if_worse("cookies-session-without-secure-flag-but-protected-by-hsts" if hsts_passed
                                    else "cookies-session-without-secure-flag", result, COOKIE_ORDER)
        if session and not c.http_only:
            result = only_if_worse("cookies-session-without-httponly-flag", result, COOKIE_ORDER)
        if not c.same_site:
            missing_same_site = True
    if result is None:
        result = ("cookies-secure-with-httponly-sessions" if missing_same_site
                  else "cookies-secure-with-httponly-sessions-and-samesite")
    return CookiesOutcome(result, tuple(cookies))

"""Inputs of our own for the differential test against the Observatory's analyzers: header sets, pages,
cookies, redirect chains and CORS answers, made up here (nothing is taken from the Observatory's
tests). ``cases()`` is deterministic: the same list on every run.

A case is a plain dict:
  id, host, start_url (the graded session's first URL), headers [[name, value]] of the graded response,
  body (HTML or None), auto_verified, https_response {headers, verified} or None, http_chain
  [[url, status]] or None (no http), http_verified, cookies [[request url, Set-Cookie]], cors
  {origin, headers} or None.
"""

from __future__ import annotations

import random
from typing import Any

ORIGIN = "https://http-observatory.security.mozilla.org"
HOST = "shop.example.com"
GOOD = [["Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"],
        ["X-Content-Type-Options", "nosniff"], ["X-Frame-Options", "DENY"],
        ["Referrer-Policy", "strict-origin-when-cross-origin"]]

SOURCES = ["'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'", "'nonce-r4nd0m'",
           "'NONCE-R4ND0M'", "'sha256-AbCdEf0123='", "'SHA384-xyz'", "'sha512-q'", "https:", "http:", "*", "data:",
           "blob:", "https://cdn.example.com", "http://cdn.example.com", "https://cdn.example.com/js/",
           "https://cdn.example.com/js/app.js", "ftp://files.example.com", "https://*.example.com", "http://*",
           "'report-sample'", "'wasm-unsafe-eval'", "wss://live.example.com", "HTTPS://UPPER.example.com"]
DIRECTIVES = ["default-src", "script-src", "style-src", "object-src", "img-src", "media-src", "connect-src",
              "frame-ancestors", "form-action", "base-uri", "font-src", "frame-src", "worker-src"]


def _case(cid: str, headers: list[list[str]], *, https: bool = True, host: str = HOST, **extra: Any) -> dict[str, Any]:
    scheme = "https" if https else "http"
    start = f"{scheme}://{host}/"
    case: dict[str, Any] = {
        "id": cid, "host": host, "start_url": start, "headers": headers, "body": None, "auto_verified": True,
        "https_response": {"headers": headers, "verified": True} if https else None,
        "http_chain": [[f"http://{host}/", 301], [start, 200]] if https else [[start, 200]],
        "http_verified": True, "cookies": [], "cors": None,
    }
    case.update(extra)
    return case


def _random_policy(rng: random.Random) -> str:
    parts = []
    for directive in rng.sample(DIRECTIVES, rng.randint(1, 5)):
        sources = rng.sample(SOURCES, rng.randint(0, 4))
        parts.append(" ".join([directive, *sources]).strip())
    sep = rng.choice(["; ", ";", " ; ", ";  "])
    return sep.join(parts) + rng.choice(["", ";", "; "])


def csp_cases() -> list[dict[str, Any]]:
    rng = random.Random(20261129)
    out = []
    for i in range(150):
        out.append(_case(f"csp/random/{i}", [["Content-Security-Policy", _random_policy(rng)], *GOOD],
                         https=rng.random() > 0.15))
    for i in range(40):  # two policies enforced together: two headers, or one comma-joined header
        a, b = _random_policy(rng).rstrip("; "), _random_policy(rng).rstrip("; ")
        headers = ([["Content-Security-Policy", a], ["Content-Security-Policy", b]] if i % 2
                   else [["Content-Security-Policy", f"{a}, {b}"]])
        out.append(_case(f"csp/two-policies/{i}", [*headers, *GOOD]))
    for i in range(10):
        policies = [_random_policy(rng).rstrip("; ") for _ in range(3)]
        out.append(_case(f"csp/three-policies/{i}", [["Content-Security-Policy", ", ".join(policies)], *GOOD]))
    edge = {
        "empty": "", "blank": "   ", "short": "a b", "five": "img-s", "six": "img-sr",
        "trailing-comma": "default-src 'none', ", "leading-comma": ", default-src 'none'",
        "double-comma": "default-src 'none',, script-src 'self'",
        "repeated-directive": "default-src 'none'; script-src 'self'; script-src https:",
        "repeated-case": "default-src 'none'; Script-Src 'self'; SCRIPT-SRC 'self'",
        "repeated-report-uri": "default-src 'none'; report-uri /a; report-uri /b",
        "repeated-report-to": "default-src 'self'; report-to a; report-to b; object-src 'none'",
        "empty-default": "default-src; frame-ancestors 'none'",
        "empty-default-semicolons": "default-src ;;; form-action 'self'",
        "only-upgrade": "upgrade-insecure-requests",
        "upper-nonce": "default-src 'none'; script-src 'NONCE-ABC' 'unsafe-inline'",
        "upper-hash": "default-src 'none'; script-src 'SHA256-abc=' 'unsafe-inline' 'strict-dynamic' https:",
        "strict-dynamic-alone": "default-src 'none'; script-src 'strict-dynamic' 'self'",
        "strict-dynamic-default": "default-src 'nonce-x' 'strict-dynamic' https: 'self'",
        "tabs": "default-src\t'none';\tscript-src\t'self'",
        "newlines": "default-src 'none';\r\n script-src 'self'",
        "nbsp": "default-src\u00a0'none'; script-src 'self'",
        "frame-only": "frame-ancestors 'none'",
        "report-only-looking": "report-uri /csp",
        "percent": "default-src 'none'; script-src https://cdn.example.com/a%2Fb/",
        "bad-percent-two": "script-src https://cdn.example.com/%zz/, script-src https://cdn.example.com/%zz/",
        "same-two": "default-src 'self', default-src 'self'",
        "path-two": "script-src https://cdn.example.com/js/, script-src https://cdn.example.com/js/app.js",
        "later-only": "default-src 'self', object-src 'none'",
        "https-passive": "default-src 'self'; img-src http://img.example.com; object-src 'none'",
        "ftp-active": "default-src 'self'; connect-src ftp://x.example.com",
        "style-data": "default-src 'none'; style-src data: 'self'",
        "eval-style": "default-src 'none'; style-src 'unsafe-eval'",
    }
    for name, value in edge.items():
        out.append(_case(f"csp/edge/{name}", [["Content-Security-Policy", value], *GOOD]))
        out.append(_case(f"csp/edge/{name}/http", [["Content-Security-Policy", value]], https=False))
    out.append(_case("csp/report-only", [["Content-Security-Policy-Report-Only", "default-src 'none'"], *GOOD]))
    out.append(_case("csp/none", GOOD))
    return out


def _page(head: str, body: str = "") -> str:
    return f"<!doctype html><html><head><meta charset=utf-8>{head}<title>t</title></head><body>{body}</body></html>"


def meta_cases() -> list[dict[str, Any]]:
    html = [["Content-Type", "text/html; charset=utf-8"]]
    metas = {
        "csp-only": ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">', []),
        "csp-and-header": ('<meta http-equiv="content-security-policy" content="script-src \'self\'">',
                           [["Content-Security-Policy", "default-src 'none'"]]),
        "csp-frame-ancestors": ('<meta http-equiv="Content-Security-Policy" content="frame-ancestors \'none\'">', []),
        "csp-unsafe": ('<META HTTP-EQUIV="Content-Security-Policy" CONTENT="script-src \'unsafe-inline\'">', []),
        "csp-entity": ('<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;">', []),
        "csp-empty-content": ('<meta http-equiv="Content-Security-Policy" content="">', []),
        "csp-in-body": ("", []),
        "referrer": ('<meta name="referrer" content="no-referrer">', [["Referrer-Policy", "unsafe-url"]]),
        "referrer-unsafe": ('<meta name="referrer" content="unsafe-url">', [["Referrer-Policy", "no-referrer"]]),
        "referrer-two": ('<meta name="referrer" content="origin"><meta name="Referrer" content="same-origin">', []),
        "referrer-bogus": ('<meta name="referrer" content="never">', []),
        "xfo-meta": ('<meta http-equiv="X-Frame-Options" content="DENY">', []),
    }
    out = []
    for name, (head, extra) in metas.items():
        body = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">' if name == "csp-in-body" else ""
        headers = [*html, *extra, ["Strict-Transport-Security", "max-age=63072000"]]
        out.append(_case(f"meta/{name}", headers, body=_page(head, body)))
    out.append(_case("meta/not-html", [["Content-Type", "application/json"]],
                     body='<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'))
    return out


def header_cases() -> list[dict[str, Any]]:
    out = []
    hsts = ["max-age=63072000", "max-age=15552000", "max-age=15551999", "max-age=0", "max-age=-5",
            "max-age=abc", 'max-age="31536000"', "max-age= 31536000", "max-age = 31536000", "MAX-AGE=31536000",
            "includeSubDomains; preload", "max-age=31536000, max-age=31536000", "max-age=31536000;includesubdomains",
            "max-age=100abc", "", "max-age=99999999999999999999", "max-age=31536000; max-age=10"]
    for i, value in enumerate(hsts):
        out.append(_case(f"hsts/{i}", [["Strict-Transport-Security", value]]))
    out.append(_case("hsts/invalid-cert", [["Strict-Transport-Security", "max-age=63072000"]],
                     https_response={"headers": [["Strict-Transport-Security", "max-age=63072000"]],
                                     "verified": False}, auto_verified=False))
    out.append(_case("hsts/no-https", [["Strict-Transport-Security", "max-age=63072000"]], https=False))
    for host in ("app.dev", "www.shop.app", "example.com", "login.gov.example"):
        out.append(_case(f"hsts/preload/{host}", [["Strict-Transport-Security", "max-age=100"]], host=host))
    xfo = ["DENY", "deny", "SAMEORIGIN", " sameorigin ", "ALLOW-FROM https://a.example", "allow-from", "ALLOWALL",
           "DENY, DENY", "DENY, SAMEORIGIN", ""]
    for i, value in enumerate(xfo):
        out.append(_case(f"xfo/{i}", [["X-Frame-Options", value]]))
        out.append(_case(f"xfo/{i}/csp", [["X-Frame-Options", value],
                                         ["Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"]]))
    for i, value in enumerate(["nosniff", "NOSNIFF", " nosniff ", "nosniff, nosniff", "sniff", ""]):
        out.append(_case(f"xcto/{i}", [["X-Content-Type-Options", value]]))
    referrer = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin", "origin",
                "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade", "NO-REFERRER",
                "unsafe-url, no-referrer", "no-referrer, unsafe-url", "no-referrer, bogus", "bogus", "",
                " strict-origin ,", "same-origin,,origin"]
    for i, value in enumerate(referrer):
        out.append(_case(f"referrer/{i}", [["Referrer-Policy", value]]))
    out.append(_case("referrer/two-headers", [["Referrer-Policy", "no-referrer"], ["Referrer-Policy", "unsafe-url"]]))
    for i, value in enumerate(["same-origin", "same-site", "cross-origin", "SAME-SITE", "same-site, same-site",
                               "bogus", ""]):
        out.append(_case(f"corp/{i}", [["Cross-Origin-Resource-Policy", value]]))
    cors = [[["Access-Control-Allow-Origin", "*"]], [["Access-Control-Allow-Origin", ORIGIN]],
            [["Access-Control-Allow-Origin", ORIGIN], ["Access-Control-Allow-Credentials", "true"]],
            [["Access-Control-Allow-Origin", ORIGIN], ["Access-Control-Allow-Credentials", "TRUE "]],
            [["Access-Control-Allow-Origin", "https://other.example"], ["Access-Control-Allow-Credentials", "true"]],
            [["Access-Control-Allow-Origin", " * "]], [["Access-Control-Allow-Credentials", "true"]], []]
    for i, headers in enumerate(cors):
        out.append(_case(f"cors/{i}", GOOD, cors={"origin": ORIGIN, "headers": headers}))
    return out


def redirection_cases() -> list[dict[str, Any]]:
    h = HOST
    chains: dict[str, list[list[Any]] | None] = {
        "same-host": [[f"http://{h}/", 301], [f"https://{h}/", 200]],
        "then-www": [[f"http://{h}/", 301], [f"https://{h}/", 308], [f"https://www.{h}/", 200]],
        "off-host": [[f"http://{h}/", 308], [f"https://www.{h}/", 200]],
        "http-first": [[f"http://{h}/", 301], [f"http://www.{h}/", 301], [f"https://www.{h}/", 200]],
        "stays-http": [[f"http://{h}/", 200]],
        "to-http": [[f"http://{h}/", 302], [f"http://{h}/home", 200]],
        "preloaded": [["http://app.dev/", 301], ["https://app.dev/", 200]],
        "preloaded-single": [["http://shop.app/", 200]],
        "partly-preloaded": [["http://app.dev/", 301], [f"https://{h}/", 200]],
        "loop": [[f"http://{h}/{i}", 302] for i in range(11)],
        "none": None,
    }
    out = []
    for name, chain in chains.items():
        out.append(_case(f"redirection/{name}", GOOD, http_chain=chain))
    out.append(_case("redirection/invalid-cert", GOOD, http_chain=chains["same-host"], http_verified=False))
    return out


def sri_cases() -> list[dict[str, Any]]:
    html = [["Content-Type", "text/html; charset=utf-8"], *GOOD]
    scripts = {
        "none": "",
        "inline": "<script>var a = 1;</script>",
        "same-origin": '<script src="/_next/static/main.js"></script>',
        "same-origin-sri": '<script src="/app.js" integrity="sha384-abc"></script>',
        "subdomain": f'<script src="https://static.{HOST.split(".", 1)[1]}/a.js"></script>',
        "third-https": '<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"></script>',
        "third-https-sri": '<script src="https://cdn.jsdelivr.net/a.js" integrity="sha384-x" crossorigin="anonymous">'
                           "</script>",
        "third-http": '<script src="http://cdn.jsdelivr.net/a.js"></script>',
        "third-http-sri": '<script src="http://cdn.jsdelivr.net/a.js" integrity="sha384-x"></script>',
        "protocol-relative": '<script src="//cdn.jsdelivr.net/a.js"></script>',
        "protocol-relative-sri": '<script src="//cdn.jsdelivr.net/a.js" integrity="sha384-x"></script>',
        "mixed": '<script src="/a.js"></script><script src="https://unpkg.com/x.js" integrity="sha256-y"></script>'
                 '<script src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>',
        "empty-integrity": '<script src="https://unpkg.com/x.js" integrity=""></script>',
        "in-comment": '<!-- <script src="https://evil.example/x.js"></script> -->',
        "private-suffix": '<script src="https://other.vercel.app/x.js"></script>',
        "uk": '<script src="https://cdn.example.co.uk/x.js"></script>',
    }
    out = []
    for name, tag in scripts.items():
        out.append(_case(f"sri/{name}", html, body=_page("", tag)))
    out.append(_case("sri/vercel-site", html, host="shop.vercel.app",
                     body=_page("", '<script src="https://other.vercel.app/x.js"></script>')))
    out.append(_case("sri/http-site", html[:1], https=False, body=_page("", '<script src="/a.js"></script>')))
    return out


def cookie_cases() -> list[dict[str, Any]]:
    url = f"https://{HOST}/"
    sets = {
        "none": [],
        "good": ["theme=dark; Path=/; Secure; SameSite=Lax"],
        "good-no-samesite": ["theme=dark; Path=/; Secure"],
        "session-no-httponly": ["sessionid=abc; Path=/; Secure; SameSite=Lax"],
        "session-good": ["next-auth.session-token=abc; Path=/; Secure; HttpOnly; SameSite=Lax"],
        "session-no-secure": ["PHPSESSID=abc; Path=/; HttpOnly"],
        "login-no-secure": ["login_state=1; Path=/"],
        "no-secure": ["theme=dark; Path=/"],
        "samesite-bogus": ["pref=1; Secure; SameSite=whimsy"],
        "samesite-empty": ["pref=1; Secure; SameSite="],
        "samesite-bare": ["pref=1; Secure; SameSite"],
        "samesite-none-insecure": ["pref=1; SameSite=None"],
        "samesite-none-secure": ["pref=1; Secure; SameSite=None"],
        "csrf-no-samesite": ["csrftoken=x; Secure"],
        "csrf-samesite": ["csrftoken=x; Secure; SameSite=Strict"],
        "other-domain": ["sessionid=abc; Domain=other.example; Path=/"],
        "parent-domain": ["sessionid=abc; Domain=.example.com; Path=/; Secure"],
        "public-suffix": ["sessionid=abc; Domain=com; Path=/"],
        "host-prefix-bad": ["__Host-sess=1; Path=/"],
        "host-prefix-good": ["__Host-sess=1; Path=/; Secure; HttpOnly; SameSite=Lax"],
        "secure-prefix-bad": ["__Secure-sess=1; Path=/"],
        "no-equals": ["sessionid"],
        "empty-name": ["=abc; Secure"],
        "heroku": ["heroku-session-affinity=x; Path=/"],
        "several": ["a=1; Secure; SameSite=Lax", "sess=2; Secure", "csrf=3; Secure; SameSite=Lax"],
        "overwrite": ["sessionid=1; Path=/", "sessionid=2; Path=/; Secure; HttpOnly; SameSite=Lax"],
        "case-attrs": ["SessionID=1; SECURE; HTTPONLY; samesite=STRICT"],
        "expired": ["sessionid=; Max-Age=0; Path=/"],
    }
    out = []
    for name, values in sets.items():
        headers = [*GOOD, *[["Set-Cookie", v] for v in values]]
        out.append(_case(f"cookies/{name}", headers, cookies=[[url, v] for v in values]))
        weak = [["Set-Cookie", v] for v in values]
        out.append(_case(f"cookies/{name}/no-hsts", weak, cookies=[[url, v] for v in values],
                         https_response={"headers": weak, "verified": True}))
    out.append(_case("cookies/from-redirect", GOOD,
                     cookies=[[f"https://{HOST}/old", "sessionid=1; Path=/; Secure; HttpOnly"]]))
    return out


def cases() -> list[dict[str, Any]]:
    return [*csp_cases(), *meta_cases(), *header_cases(), *redirection_cases(), *sri_cases(), *cookie_cases()]

"""The headers check against real local servers: redirects followed (bounded) and shown, the final page
graded as the Observatory grades it, certificates, cookies along the chain, and what counts as down."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sandbox.platform_standin import PlatformStandin
from services.health.checks.headers import HeadersCheck, report_from_result
from services.health.model import Status
from services.health.runner import run_check
from tests.health.conftest import bare_env, closed_port, context

Route = tuple[int, list[tuple[str, str]], str]


class _Routes(BaseHTTPRequestHandler):
    routes: dict[str, Route | Callable[[str], Route]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        route = self.routes.get(path) or self.routes.get("*")
        status, headers, body = route(path) if callable(route) else (route or (404, [], "not found"))
        data = body.encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[Callable[[dict[str, Any]], str]]:
    servers: list[ThreadingHTTPServer] = []

    def make(routes: dict[str, Any]) -> str:
        handler = type("Handler", (_Routes,), {"routes": routes})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


async def _check(url: str, cafile: str | None = None) -> Any:
    env = bare_env(app_url=url)
    ctx = context(cafile=cafile)
    try:
        return await run_check(HeadersCheck(), env, ctx)
    finally:
        await ctx.aclose()


async def test_a_308_is_followed_and_the_final_page_graded_not_down() -> None:
    with PlatformStandin() as server:
        server.force("healthy")
        res = await _check(server.url + "/moved")
        port, root = server.port, server.url
    assert res.status is not Status.DOWN, res.detail
    assert "after 1 redirect (308 → " in res.detail and "v1.6.3 algorithm 5" in res.detail
    report = report_from_result(res)
    assert report is not None
    assert [(h.status, h.url.rsplit(":", 1)[1]) for h in report.chain] == [(308, f"{port}/moved"), (200, f"{port}/")]
    assert report.url == f"{root}/"
    # The final page has the seed's headers: graded as such (CSP -20; no https here, so HSTS -20 and
    # the redirect does not end on https: -20).
    assert report.test("content-security-policy").result == "csp-implemented-with-unsafe-inline"
    assert report.test("redirection").result == "redirection-not-to-https"
    assert report.test("x-frame-options").modifier == 5


async def test_a_third_party_script_without_integrity_costs_five(tmp_path: Path) -> None:
    server = PlatformStandin(tls=True).start()
    try:
        cafile = tmp_path / "ca.pem"
        assert server.certificate_pem is not None
        cafile.write_bytes(server.certificate_pem)
        res = await _check(server.url + "/listings", str(cafile))
    finally:
        server.stop()
    report = report_from_result(res)
    assert report is not None
    sri = report.test("subresource-integrity")
    assert sri is not None and (sri.result, sri.modifier) == ("sri-not-implemented-but-external-scripts-loaded-securely",
                                                              -5)
    assert "https://unpkg.com/leaflet@1.9.4/dist/leaflet.js (no integrity)" in sri.seen
    assert res.status is Status.DEGRADED and "sri-not-implemented-but-external-scripts-loaded-securely -5" in res.detail
    # Over https with a trusted certificate: HSTS counts; 100 - 20 (CSP) - 5 (SRI) = 75, B.
    assert report.test("strict-transport-security").result == "hsts-implemented-max-age-at-least-six-months"
    assert (report.score, report.grade) == (75, "B")


async def test_an_untrusted_certificate_is_graded_unverified(tmp_path: Path) -> None:
    with PlatformStandin(tls=True) as server:
        res = await _check(server.url + "/")
    report = report_from_result(res)
    assert report is not None, res.detail
    assert report.test("strict-transport-security").result == "hsts-invalid-cert"


async def test_http_to_https_on_the_same_host_first(site: Callable[[dict[str, Any]], str], tmp_path: Path) -> None:
    server = PlatformStandin(tls=True).start()
    try:
        assert server.certificate_pem is not None
        (tmp_path / "ca.pem").write_bytes(server.certificate_pem)
        http = site({"/": (301, [("Location", server.url + "/")], "")})
        res = await _check(http + "/", str(tmp_path / "ca.pem"))
        report = report_from_result(res)
        assert report is not None
        assert report.test("redirection").result == "redirection-to-https"
        assert report.url == server.url + "/"

        off_host = site({"/": (301, [("Location", server.url.replace("127.0.0.1", "localhost") + "/")], "")})
        res = await _check(off_host + "/", str(tmp_path / "ca.pem"))
    finally:
        server.stop()
    report = report_from_result(res)
    assert report is not None and report.test("redirection").result == "redirection-off-host-from-http"


async def test_a_redirect_loop_stops_after_ten_redirects(site: Callable[[dict[str, Any]], str]) -> None:
    def hop(path: str) -> tuple[int, list[tuple[str, str]], str]:
        n = int(path.strip("/") or 0)
        return 302, [("Location", f"/{n + 1}"), ("Content-Type", "text/plain")], ""

    url = site({"*": hop})
    res = await _check(url + "/")
    report = report_from_result(res)
    assert report is not None, res.detail
    assert len(report.chain) == 11 and all(h.status == 302 for h in report.chain)
    assert report.chain[-1].url.endswith("/10")
    redirection = report.test("redirection")
    assert redirection is not None and "Still redirecting after 10 redirects" in redirection.note


async def test_cookies_set_along_the_chain_are_graded(site: Callable[[dict[str, Any]], str]) -> None:
    url = site({"/": (302, [("Location", "/home"), ("Set-Cookie", "sessionid=abc; Path=/")], ""),
                "/home": (200, [("Content-Type", "text/html"), ("Set-Cookie", "pref=1; SameSite=sometimes")],
                          "<html><body>home</body></html>")})
    res = await _check(url + "/")
    report = report_from_result(res)
    assert report is not None
    cookies = report.test("cookies")
    # The session cookie from the redirect lacks Secure over plain http without HSTS (-40, worse than its
    # missing HttpOnly, -30, and the final page's invalid SameSite, -20): the worst one counts.
    assert cookies is not None and (cookies.result, cookies.modifier) == ("cookies-session-without-secure-flag", -40)
    assert "sessionid" in cookies.seen and res.status is Status.DEGRADED


async def test_error_pages_and_unreachable_sites_are_down(site: Callable[[dict[str, Any]], str]) -> None:
    url = site({"/": (308, [("Location", "/gone")], ""), "/gone": (500, [], "boom")})
    res = await _check(url + "/")
    assert res.status is Status.DOWN and "answered 500 after 1 redirect" in res.detail
    assert [p.code for p in res.parts] == ["308", "500"]  # the chain is kept
    res = await _check(f"http://127.0.0.1:{closed_port()}/")
    assert res.status is Status.DOWN and "refused the connection" in res.detail
    forbidden = site({"/": (403, [("Content-Type", "text/html")], "no")})
    res = await _check(forbidden + "/")
    assert res.status is not Status.DOWN  # the Observatory grades 401 and 403 pages

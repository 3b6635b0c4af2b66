"""TLS expiry against the platform stand-in's real HTTPS (self-signed certificates with chosen expiry
dates), and the security headers graded by the Observatory's rules against the seed's policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.platform_standin import PlatformStandin
from services.core.seed_policy import SECURITY_HEADERS
from services.health.checks.headers import HeadersCheck, report_from_result
from services.health.checks.tls import TlsCheck, expiry_status
from services.health.model import Status
from services.health.runner import run_check
from services.health.security_headers import SEED_POLICY, grade_for, grade_headers
from tests.health.conftest import bare_env, closed_port, context


@pytest.fixture
def https_standin(tmp_path: Path) -> Iterator[Callable[[float], tuple[PlatformStandin, str]]]:
    started: list[PlatformStandin] = []

    def make(days: float) -> tuple[PlatformStandin, str]:
        server = PlatformStandin(tls=True, tls_not_after_days=days).start()
        started.append(server)
        assert server.certificate_pem is not None
        cafile = tmp_path / f"ca{len(started)}.pem"
        cafile.write_bytes(server.certificate_pem)
        server.force("healthy")
        return server, str(cafile)

    yield make
    for server in started:
        server.stop()


async def _tls(server: PlatformStandin, cafile: str | None) -> object:
    env = bare_env(app_url=server.url)
    ctx = context(cafile=cafile)
    try:
        return await run_check(TlsCheck(), env, ctx)
    finally:
        await ctx.aclose()


async def test_certificate_far_from_expiry_is_up(https_standin) -> None:  # type: ignore[no-untyped-def]
    server, cafile = https_standin(90)
    res = await _tls(server, cafile)
    assert res.status is Status.UP, res.detail
    assert "valid for 89 more days" in res.detail or "valid for 90 more days" in res.detail
    assert 89 < res.metrics["days_left"] <= 90


async def test_certificate_expiring_in_five_days_is_degraded(https_standin) -> None:  # type: ignore[no-untyped-def]
    server, cafile = https_standin(5)
    res = await _tls(server, cafile)
    assert res.status is Status.DEGRADED
    assert "expires in 4 days (under 7 days: renew now)" in res.detail or "expires in 5 days" in res.detail
    assert 4 < res.metrics["days_left"] <= 5


async def test_expired_and_untrusted_certificates_are_down(https_standin) -> None:  # type: ignore[no-untyped-def]
    server, cafile = https_standin(-2)
    res = await _tls(server, cafile)
    assert res.status is Status.DOWN and "expired" in res.detail

    server, _ = https_standin(60)
    res = await _tls(server, None)  # self-signed and not in the trust store: browsers refuse it
    assert res.status is Status.DOWN
    assert "not trusted (self-signed certificate)" in res.detail and "valid for" in res.detail


async def test_tls_endpoint_stopped_is_down() -> None:
    env = bare_env(app_url="http://example.invalid")
    env.health.tls_domains = [f"127.0.0.1:{closed_port()}"]
    res = await run_check(TlsCheck(), env, context())
    assert res.status is Status.DOWN and "refused the connection" in res.detail


def test_warning_thresholds_at_21_14_and_7_days() -> None:
    assert expiry_status(30)[0] is Status.UP
    assert expiry_status(21.5)[0] is Status.UP
    assert expiry_status(21)[1] == "expires in 21 days (under 21 days: renew now)"
    assert expiry_status(14)[1] == "expires in 14 days (under 14 days: renew now)"
    assert expiry_status(10)[1] == "expires in 10 days (under 14 days: renew now)"
    assert expiry_status(5)[1] == "expires in 5 days (under 7 days: renew now)"
    assert expiry_status(0.5)[1] == "expires in 0 days (under 7 days: renew now)"
    assert expiry_status(-0.5) == (Status.DOWN, "expired 1 day ago")


# --- header grading ---------------------------------------------------------------------------------

SEED_HEADERS = dict(SECURITY_HEADERS)


def test_the_stand_in_sends_exactly_the_seed_policy() -> None:
    for name, value in SEED_POLICY.items():
        assert SEED_HEADERS[name] == value


def test_seed_policy_over_https_grades_b_plus() -> None:
    report = grade_headers(SEED_HEADERS, url="https://realtor-platform.com/")
    # 100 - 20 (unsafe-inline in script-src) = 80; bonuses (+5 XFO via frame-ancestors, +5 referrer)
    # count only from 90 up, so 80: B+.
    assert (report.uncurved, report.score, report.grade) == (80, 80, "B+")
    codes = {f.header: (f.code, f.modifier, f.verdict) for f in report.findings}
    assert codes["Content-Security-Policy"] == ("csp-implemented-with-unsafe-inline", -20, "ok")
    assert codes["Strict-Transport-Security"] == ("hsts-implemented-max-age-at-least-six-months", 0, "ok")
    assert codes["X-Frame-Options"] == ("x-frame-options-implemented-via-csp", 5, "ok")
    assert codes["X-Content-Type-Options"] == ("x-content-type-options-nosniff", 0, "ok")
    assert codes["Referrer-Policy"] == ("referrer-policy-private", 5, "ok")
    assert codes["Permissions-Policy"] == (None, None, "ok")
    assert "lets injected inline scripts run" in report.finding("Content-Security-Policy").explanation


def test_a_strict_policy_earns_the_bonuses_and_a_plain_http_site_loses_hsts() -> None:
    strict = {**SEED_HEADERS, "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self';"
              " img-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"}
    report = grade_headers(strict, url="https://realtor-platform.com/")
    # 100 + 10 (default-src 'none') + 5 (frame-ancestors) + 5 (referrer) = 120.
    assert (report.score, report.grade) == (120, "A+")
    assert report.finding("Content-Security-Policy").verdict == "ok"  # stricter than the seed

    plain = grade_headers(SEED_HEADERS, url="http://127.0.0.1:8000/")
    assert plain.finding("Strict-Transport-Security").code == "hsts-not-implemented-no-https"
    # 100 - 20 (CSP) - 20 (no https: no HSTS) - 20 (http does not redirect to https) = 40, D+.
    assert plain.test("redirection").result == "redirection-missing"
    assert (plain.score, plain.grade) == (40, "D+")


def test_missing_and_weak_headers_are_each_explained() -> None:
    headers = {**SEED_HEADERS, "Referrer-Policy": "unsafe-url", "X-Frame-Options": "SAMEORIGIN",
               "Strict-Transport-Security": "max-age=86400",
               "Content-Security-Policy": SEED_POLICY["Content-Security-Policy"].replace(
                   "https://vercel.live", "https://vercel.live https://evil.example")}
    del headers["X-Content-Type-Options"]
    del headers["Permissions-Policy"]
    report = grade_headers(headers, url="https://realtor-platform.com/")
    by = {f.header: f for f in report.findings}
    assert by["Referrer-Policy"].verdict == "weaker" and by["Referrer-Policy"].modifier == -5
    assert "sends more of the URL" in by["Referrer-Policy"].explanation
    assert by["X-Frame-Options"].verdict == "weaker" and "DENY" in by["X-Frame-Options"].explanation
    hsts = by["Strict-Transport-Security"]
    assert hsts.code == "hsts-implemented-max-age-less-than-six-months" and hsts.modifier == -10
    assert "max-age 86400 s is shorter" in hsts.explanation and "includeSubDomains is missing" in hsts.explanation
    assert by["X-Content-Type-Options"].verdict == "missing" and "sniff" in by["X-Content-Type-Options"].explanation
    assert by["Permissions-Policy"].verdict == "missing" and "camera" in by["Permissions-Policy"].explanation
    csp = by["Content-Security-Policy"]
    assert csp.verdict == "weaker" and "script-src also allows https://evil.example" in csp.explanation
    # 100 - 20 (CSP) - 10 (HSTS) - 5 (XCTO) - 5 (referrer) = 60: no bonus below 90.
    assert (report.score, report.grade) == (60, "C+")


def test_grade_chart_matches_the_observatory() -> None:
    assert [grade_for(s) for s in (135, 100, 99, 90, 89, 85, 84, 80, 79, 70, 69, 65, 64, 60, 59, 50, 49, 45,
                                   44, 40, 39, 30, 29, 25, 24, 0, -10)] == [
        "A+", "A+", "A", "A", "A-", "A-", "B+", "B+", "B", "B", "B-", "B-", "C+", "C+", "C", "C", "C-", "C-",
        "D+", "D+", "D", "D", "D-", "D-", "F", "F", "F"]


async def test_headers_check_up_then_degraded_by_a_dropped_header_then_down(pg_dsn: str) -> None:
    server = PlatformStandin(database_dsn=pg_dsn).start()
    env = bare_env(app_url=server.url)
    ctx = context()
    try:
        res = await run_check(HeadersCheck(), env, ctx)
        assert res.status is Status.UP, res.detail
        # Plain http: no HSTS and no redirect to https (each -20), as the Observatory grades it.
        assert res.detail.startswith("Observatory grade D+ (40, v1.6.3 algorithm 5)")
        assert len([p for p in res.parts if p.verdict not in ("test", "hop")]) == 6
        assert len([p for p in res.parts if p.verdict == "test"]) == 10

        server.drop_header("X-Frame-Options")
        res = await run_check(HeadersCheck(), env, ctx)
        assert res.status is Status.DEGRADED
        assert "X-Frame-Options weaker" in res.detail
        xfo = res.part("X-Frame-Options")
        assert xfo.value == "(missing)" and "frame-ancestors 'none'" in xfo.detail
        # The report is rebuilt from the stored parts for the view.
        report = report_from_result(res)
        assert report is not None and report.finding("X-Frame-Options").verdict == "weaker"

        for name in ("Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options"):
            server.drop_header(name)
        server.override_header("Referrer-Policy", "unsafe-url")
        res = await run_check(HeadersCheck(), env, ctx)
        # 100 - 25 (no CSP) - 20 (no XFO) - 20 (no https) - 20 (no redirect to https) - 5 (XCTO) - 5 (referrer)
        # = 5: F. A weak grade is degraded, not down: the site answers.
        assert res.status is Status.DEGRADED and res.detail.startswith("Observatory grade F (5, ")
        assert "Content-Security-Policy missing" in res.detail

        server.stop()
        res = await run_check(HeadersCheck(), env, ctx)
        assert res.status is Status.DOWN and "could not be fetched" in res.detail
    finally:
        server.stop()
        await ctx.aclose()

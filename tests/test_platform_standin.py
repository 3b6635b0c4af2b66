"""The platform stand-in against the real PostgreSQL and Redis of the test machine (no mocks)."""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509

from sandbox.platform_standin import PlatformStandin
from sandbox.ports import free_port, port_accepts
from services.core.errors import SandboxPartUnavailable
from services.core.seed_policy import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

EXPECTED_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "X-DNS-Prefetch-Control": "on",
    "X-XSS-Protection": "1; mode=block",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' https://vercel.live; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; "
        "connect-src 'self' https://api.vercel.com https://*.supabase.co; frame-ancestors 'none'"
    ),
}


@pytest.fixture
def make_standin() -> Iterator[Callable[..., PlatformStandin]]:
    started: list[PlatformStandin] = []

    def make(**kwargs: Any) -> PlatformStandin:
        standin = PlatformStandin(**kwargs).start()
        started.append(standin)
        return standin

    yield make
    for standin in started:
        standin.stop()


def _closed_port_dsn() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"


def test_healthy_answer_has_every_field(
    make_standin: Callable[..., PlatformStandin], pg_dsn: str, redis_url: str
) -> None:
    standin = make_standin(database_dsn=pg_dsn, redis_url=redis_url, version="2.3.4")
    time.sleep(0.05)
    response = httpx.get(standin.health_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["status", "timestamp", "services", "version", "uptime", "response_time_ms"]
    assert body["status"] == "healthy"
    # No external API configured: reported down, which never makes the app unhealthy (as in the seed).
    assert body["services"] == {"database": "up", "redis": "up", "external_apis": "down"}
    assert body["version"] == "2.3.4"
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == len("2025-01-14T09:30:12.345Z")
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - stamp) < timedelta(seconds=10)
    assert isinstance(body["uptime"], float) and body["uptime"] >= 0.05
    assert isinstance(body["response_time_ms"], int) and body["response_time_ms"] >= 0
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers[name] == value
    assert standin.health_requests == 1


def test_external_api_is_really_checked(
    make_standin: Callable[..., PlatformStandin], pg_dsn: str, redis_url: str
) -> None:
    upstream = make_standin()
    standin = make_standin(database_dsn=pg_dsn, redis_url=redis_url, external_apis_url=upstream.url + "/")
    assert httpx.get(standin.health_url).json()["services"]["external_apis"] == "up"
    upstream.override_status(502)
    body = httpx.get(standin.health_url).json()
    assert body["services"]["external_apis"] == "down" and body["status"] == "healthy"


def test_database_down_is_503(make_standin: Callable[..., PlatformStandin], redis_url: str) -> None:
    standin = make_standin(database_dsn=_closed_port_dsn(), redis_url=redis_url)
    response = httpx.get(standin.health_url)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["services"] == {"database": "down", "redis": "up", "external_apis": "down"}
    assert response.headers["X-Frame-Options"] == "DENY"


def test_redis_down_is_503(make_standin: Callable[..., PlatformStandin], pg_dsn: str) -> None:
    standin = make_standin(database_dsn=pg_dsn, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = httpx.get(standin.health_url)
    assert response.status_code == 503
    assert response.json()["services"]["redis"] == "down"


def test_home_page_and_404_carry_the_headers(make_standin: Callable[..., PlatformStandin]) -> None:
    standin = make_standin()
    home = httpx.get(standin.url + "/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert "<h1>" in home.text
    missing = httpx.get(standin.url + "/no/such/page")
    assert missing.status_code == 404
    for response in (home, missing):
        assert {k: response.headers.get(k) for k in EXPECTED_HEADERS} == EXPECTED_HEADERS
    assert dict(SECURITY_HEADERS)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_forced_modes(make_standin: Callable[..., PlatformStandin]) -> None:
    standin = make_standin()  # nothing configured: the real answer would be unhealthy
    standin.force("healthy")
    assert httpx.get(standin.health_url).status_code == 200
    standin.force("unhealthy")
    forced = httpx.get(standin.health_url)
    assert forced.status_code == 503 and forced.json()["status"] == "unhealthy"

    standin.force("malformed")
    malformed = httpx.get(standin.health_url)
    assert malformed.status_code == 200 and malformed.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.text)

    standin.reset_faults()
    standin.force("healthy")
    standin.force("slow", delay=0.4)
    started = time.perf_counter()
    slow = httpx.get(standin.health_url, timeout=5)
    assert time.perf_counter() - started >= 0.4 and slow.json()["status"] == "healthy"
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(standin.health_url, timeout=0.1)

    standin.reset_faults()
    standin.force("healthy")
    standin.override_status(500)
    overridden = httpx.get(standin.health_url)
    assert overridden.status_code == 500 and overridden.json()["status"] == "healthy"


def test_dropped_and_overridden_headers(make_standin: Callable[..., PlatformStandin]) -> None:
    standin = make_standin()
    standin.drop_header("Strict-Transport-Security")
    standin.override_header("X-Frame-Options", "SAMEORIGIN")
    response = httpx.get(standin.url + "/")
    assert "strict-transport-security" not in response.headers
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Security-Policy"] == EXPECTED_HEADERS["Content-Security-Policy"]
    standin.reset_faults()
    assert "strict-transport-security" in httpx.get(standin.url + "/").headers


def _peer_certificate(standin: PlatformStandin, context: ssl.SSLContext) -> tuple[dict[str, Any], bytes]:
    with (
        socket.create_connection((standin.host, standin.port), timeout=5) as sock,
        context.wrap_socket(sock, server_hostname=standin.host) as tls,
    ):
        return tls.getpeercert(), tls.getpeercert(binary_form=True)  # type: ignore[return-value]


def test_tls_certificate_expires_as_configured(make_standin: Callable[..., PlatformStandin]) -> None:
    standin = make_standin(tls=True, tls_not_after_days=5)
    assert standin.url.startswith("https://")
    assert standin.certificate_pem is not None
    trusting = ssl.create_default_context(cadata=standin.certificate_pem.decode())
    peer, _ = _peer_certificate(standin, trusting)
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(peer["notAfter"]), UTC)
    expected = datetime.now(UTC) + timedelta(days=5)
    assert abs(not_after - expected) < timedelta(minutes=2)
    assert standin.certificate_not_after == not_after

    response = httpx.get(standin.url + "/", verify=trusting)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == EXPECTED_HEADERS["Strict-Transport-Security"]


def test_expired_certificate_is_served_and_rejected(make_standin: Callable[..., PlatformStandin]) -> None:
    standin = make_standin(tls=True, tls_not_after_days=-2)
    assert standin.certificate_pem is not None
    trusting = ssl.create_default_context(cadata=standin.certificate_pem.decode())
    with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        _peer_certificate(standin, trusting)
    # An expiry probe reads the certificate without trusting it.
    probe = ssl.create_default_context()
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE
    _, der = _peer_certificate(standin, probe)
    cert = x509.load_der_x509_certificate(der)
    assert cert.not_valid_after_utc < datetime.now(UTC) - timedelta(days=1)
    # The server is still answering after handshakes that were refused.
    assert httpx.get(standin.health_url, verify=False).status_code == 503


def test_fixed_port_taken_and_stop_closes(make_standin: Callable[..., PlatformStandin]) -> None:
    standin = make_standin()
    with pytest.raises(SandboxPartUnavailable) as err:
        PlatformStandin(port=standin.port).start()
    assert f"port {standin.port}" in err.value.message
    port = standin.port
    standin.stop()
    assert not port_accepts("127.0.0.1", port)


def test_clients_that_hang_up_leave_no_traceback(make_standin: Callable[..., PlatformStandin],
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    """The console quits while the stand-in is still answering: the stand-in writes into closed sockets and
    says nothing on stderr (it used to print a BrokenPipeError traceback per request)."""
    import socket
    import struct
    import time as _time

    standin = make_standin()
    standin.force("healthy", delay=0.3)
    before = standin.health_requests
    for _ in range(5):
        client = socket.create_connection(("127.0.0.1", standin.port))
        client.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        # Close with a reset, as a process that exits does with unread data.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
    deadline = _time.monotonic() + 10
    while standin.health_requests < before + 5 and _time.monotonic() < deadline:
        _time.sleep(0.05)
    _time.sleep(0.8)  # the delayed answers are written (into reset sockets) after this
    standin.stop()
    err = capfd.readouterr().err
    assert standin.health_requests >= before + 5
    assert "Traceback" not in err and "BrokenPipeError" not in err and "ConnectionResetError" not in err, err

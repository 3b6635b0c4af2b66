"""A local stand-in of the platform's Next.js app: ``/api/health`` as the seed's handler, seed headers.

``GET /api/health`` really checks what it is given (``SELECT 1`` on a PostgreSQL DSN, ``PING`` on a Redis
URL, an optional external API URL) and answers exactly like ``pages/api/health.ts``: 200 when healthy,
503 when the database or Redis is down (external APIs never make it unhealthy). Every response carries
the security headers of the seed's ``next.config.js`` plus the deployment config's Permissions-Policy.

Tests and demos inject faults through methods (``force``, ``override_status``, ``drop_header``,
``override_header``), never over HTTP. With ``tls=True`` it serves HTTPS with a self-signed certificate
made on the fly that expires after ``tls_not_after_days`` (negative: already expired).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

from sandbox.ports import port_is_free
from services.core.errors import SandboxPartUnavailable
from services.core.seed_policy import SECURITY_HEADERS

log = logging.getLogger(__name__)

HOME_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Harbor Point Realty</title></head>'
    "<body><h1>Harbor Point Realty</h1><p>Homes for sale across the Sunbelt and Mountain West.</p>"
    '<p><a href="/api/health">Service health</a></p><footer>Sandbox stand-in of the brokerage web platform.'
    "</footer></body></html>"
)
# For the security-header report: an old address that moved (308, as an apex → www redirect does)
# and a listings page that loads a third-party map script without an integrity attribute.
MOVED = {"/moved": "/"}
LISTINGS_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Listings · Harbor Point Realty</title>'
    '<script src="/_next/static/chunks/main.js" defer></script>'
    '<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js" defer></script></head>'
    "<body><h1>Homes for sale</h1><div id=\"map\"></div></body></html>"
)
Mode = Literal["healthy", "unhealthy", "malformed", "slow"]


@dataclass
class Faults:
    """What the stand-in is told to get wrong. ``mode`` None means: answer from real checks."""

    mode: Literal["healthy", "unhealthy", "malformed"] | None = None
    delay_s: float = 0.0
    status: int | None = None
    dropped: set[str] = field(default_factory=set)  # lower-case header names
    overrides: dict[str, str] = field(default_factory=dict)  # lower-case name -> value


def check_services(
    database_dsn: str | None,
    redis_url: str | None,
    external_apis_url: str | None,
    timeout: float = 3.0,
) -> dict[str, str]:
    """``up``/``down`` per service, as the seed's handler decides them (nothing configured is down)."""
    return {
        "database": _up(_check_database, database_dsn, timeout),
        "redis": _up(_check_redis, redis_url, timeout),
        "external_apis": _up(_check_external, external_apis_url, 5.0),
    }


def _up(check: Any, target: str | None, timeout: float) -> str:
    if not target:
        return "down"
    try:
        return "up" if check(target, timeout) else "down"
    except Exception as exc:  # any failure of a dependency is "down", as in the seed
        log.debug("health dependency check failed: %s", exc)
        return "down"


def _check_database(dsn: str, timeout: float) -> bool:
    import psycopg

    # libpq rounds a connect_timeout below 2 s up to 2 s anyway.
    with psycopg.connect(dsn, connect_timeout=max(2, int(timeout)), autocommit=True) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def _check_redis(url: str, timeout: float) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    finally:
        client.close()


def _check_external(url: str, timeout: float) -> bool:
    import httpx

    return httpx.get(url, timeout=timeout).is_success


class PlatformStandin:
    """The stand-in server; ``start()`` runs it on a background thread, ``stop()`` ends it."""

    def __init__(
        self,
        *,
        database_dsn: str | None = None,
        redis_url: str | None = None,
        external_apis_url: str | None = None,
        version: str = "1.0.0",
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        tls_not_after_days: float = 90.0,
        check_timeout: float = 3.0,
    ) -> None:
        self.database_dsn = database_dsn
        self.redis_url = redis_url
        self.external_apis_url = external_apis_url
        self.version = version
        self.host = host
        self.requested_port = port
        self.tls = tls
        self.tls_not_after_days = tls_not_after_days
        self.check_timeout = check_timeout
        self.faults = Faults()
        self.health_requests = 0
        self.certificate_pem: bytes | None = None
        self.certificate_not_after: datetime | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._started_at = time.monotonic()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # ----- lifecycle --------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server is not None else self.requested_port

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return f"{self.url}/api/health"

    def start(self) -> PlatformStandin:
        if self._server is not None:
            return self
        if self.requested_port and not port_is_free(self.requested_port, self.host):
            raise SandboxPartUnavailable(
                f"The platform stand-in cannot start: port {self.requested_port} on {self.host} "
                "is already in use",
                hint="Stop the program using that port, or let the sandbox pick a free port",
            )
        context = self._tls_context() if self.tls else None
        try:
            server = _Server((self.host, self.requested_port), _Handler, self, context)
        except OSError as exc:
            raise SandboxPartUnavailable(
                f"The platform stand-in cannot listen on {self.host}:{self.requested_port} ({exc.strerror})"
            ) from exc
        self._stopping.clear()
        self._started_at = time.monotonic()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="platform-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes requests sleeping in "slow" mode
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> PlatformStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- fault injection --------------------------------------------------------------------------
    def force(self, mode: Mode | None, *, delay: float = 2.0) -> None:
        """``healthy``/``unhealthy``/``malformed`` replace the real checks; ``slow`` delays every answer."""
        with self._lock:
            if mode == "slow":
                self.faults.delay_s = delay
            else:
                self.faults.mode = mode

    def override_status(self, status: int | None) -> None:
        """Answer every request with this HTTP status (the body is unchanged); None restores."""
        self.faults.status = status

    def drop_header(self, name: str) -> None:
        with self._lock:
            self.faults.dropped.add(name.lower())

    def override_header(self, name: str, value: str) -> None:
        with self._lock:
            self.faults.overrides[name.lower()] = value

    def reset_faults(self) -> None:
        with self._lock:
            self.faults = Faults()

    # ----- answers ----------------------------------------------------------------------------------
    def health(self) -> tuple[int, bytes]:
        """Status and body of ``/api/health`` now, as ``pages/api/health.ts`` builds them."""
        started = time.monotonic()
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        uptime = time.monotonic() - self._started_at
        with self._lock:
            self.health_requests += 1
        faults = self.faults
        if faults.delay_s:
            self._stopping.wait(faults.delay_s)
        if faults.mode == "malformed":
            return 200, b'{"status":"healthy","timestamp":"' + timestamp.encode() + b'","services":{"datab'
        if faults.mode == "healthy":
            services = {"database": "up", "redis": "up", "external_apis": "up"}
        elif faults.mode == "unhealthy":
            services = {"database": "down", "redis": "down", "external_apis": "down"}
        else:
            services = check_services(
                self.database_dsn, self.redis_url, self.external_apis_url, self.check_timeout
            )
        healthy = services["database"] == "up" and services["redis"] == "up"
        body = {
            "status": "healthy" if healthy else "unhealthy",
            "timestamp": timestamp,
            "services": services,
            "version": self.version,
            "uptime": uptime,
            "response_time_ms": int((time.monotonic() - started) * 1000),
        }
        return (200 if healthy else 503), json.dumps(body, separators=(",", ":")).encode()

    def _tls_context(self) -> ssl.SSLContext:
        cert_pem, key_pem, not_after = self_signed_certificate(self.host, self.tls_not_after_days)
        self.certificate_pem, self.certificate_not_after = cert_pem, not_after
        self._tmp = tempfile.TemporaryDirectory(prefix="platform-standin-")
        cert_file, key_file = Path(self._tmp.name) / "cert.pem", Path(self._tmp.name) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        key_file.chmod(0o600)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


def self_signed_certificate(host: str, not_after_days: float) -> tuple[bytes, bytes, datetime]:
    """(certificate PEM, key PEM, not-after) for ``host`` and ``localhost``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())  # far faster to make than RSA
    now = datetime.now(UTC).replace(microsecond=0)
    not_after = now + timedelta(days=not_after_days)
    not_before = min(now - timedelta(days=1), not_after - timedelta(days=1))
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Realtor Ops sandbox"),
        ]
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    with contextlib.suppress(ValueError):
        alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, not_after


_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, ssl.SSLEOFError,
                ssl.SSLZeroReturnError)


def is_disconnect(exc: BaseException) -> bool:
    """The peer went away: a broken pipe, a reset, an abort, a timeout, a TLS stream cut short."""
    if isinstance(exc, _DISCONNECTS):
        return True
    return isinstance(exc, ssl.SSLError) and "eof" in str(exc).lower()


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a request sleeping in "slow" mode must not hold up stop()

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        standin: PlatformStandin,
        tls: ssl.SSLContext | None,
    ) -> None:
        self.standin = standin
        self.tls = tls
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """socketserver prints every handler error's traceback on stderr. A client that hung up (the console
        quitting mid-request, a health check that timed out) is normal here: a debug line. Anything else is
        a bug of the stand-in: the log file gets the traceback, the terminal nothing."""
        import sys

        exc = sys.exc_info()[1]
        if exc is not None and is_disconnect(exc):
            log.debug("platform stand-in: client %s hung up (%s)", client_address, type(exc).__name__)
        else:
            log.warning("platform stand-in: request from %s failed", client_address, exc_info=True)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        # The TLS handshake runs on the request's own thread, so a stalled client blocks no one else.
        request.settimeout(10)
        try:
            tls_sock = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. a certificate probe that hung up after reading the certificate
        try:
            super().finish_request(tls_sock, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls_sock.shutdown(socket.SHUT_RDWR)
            tls_sock.close()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "platform-standin"
    sys_version = ""
    timeout = 30

    def do_GET(self) -> None:
        standin = self.server.standin
        path = self.path.split("?", 1)[0]
        if path == "/api/health":
            status, body = standin.health()
            self._respond(status, "application/json; charset=utf-8", body)
        elif path == "/":
            self._respond(200, "text/html; charset=utf-8", HOME_PAGE.encode())
        elif path in MOVED:
            self._respond(308, "text/plain; charset=utf-8", b"Permanent Redirect", location=MOVED[path])
        elif path == "/listings":
            self._respond(200, "text/html; charset=utf-8", LISTINGS_PAGE.encode())
        else:
            page = "<!DOCTYPE html><html><head><title>404: This page could not be found</title></head></html>"
            self._respond(404, "text/html; charset=utf-8", page.encode())

    # The seed's handler answers whatever the method.
    do_POST = do_GET

    def do_HEAD(self) -> None:
        self._head_only = True
        self.do_GET()

    def _respond(self, status: int, content_type: str, body: bytes, location: str = "") -> None:
        faults = self.server.standin.faults
        self.send_response(faults.status or status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        self.end_headers()
        if not getattr(self, "_head_only", False):
            self.wfile.write(body)

    def send_header(self, keyword: str, value: str) -> None:
        faults = self.server.standin.faults
        if keyword.lower() in faults.dropped:
            return
        super().send_header(keyword, faults.overrides.get(keyword.lower(), value))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("platform stand-in: " + format, *args)

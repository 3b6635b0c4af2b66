"""Fixtures for the Environments tests: a workspace whose secrets live in the real keyring."""

from __future__ import annotations

import datetime as _dt
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.core import workspace as ws
from services.core.app_context import AppContext, AppPaths, build_context
from services.core.credentials import CredentialStore, describe_backend
from services.core.errors import KeyringUnavailableError
from services.environments.drift import FINGERPRINT_SCOPE


def make_workspace(profile: ws.Profile = ws.Profile.ADMIN) -> ws.Workspace:
    # A random workspace id: keyring entries live under realtor-ops/test-<uuid>, never a user's own.
    work = ws.Workspace(name="Env tests", id=f"test-{uuid.uuid4().hex}", profile=profile)
    for kind in (ws.EnvironmentKind.STAGING, ws.EnvironmentKind.PRODUCTION):
        work.environments[kind.value] = ws.seed_environment(kind.value, kind)
    return work


def cleanup_keyring(store: CredentialStore, envs: list[str]) -> None:
    for env in [*envs, FINGERPRINT_SCOPE]:
        try:
            store.delete_environment(env)
        except KeyringUnavailableError:
            pass


@pytest.fixture
def ctx(app_dirs: dict[str, Path]) -> Iterator[AppContext]:
    info = describe_backend()
    if info.weak:
        pytest.fail(f"no real keyring in this test run ({info.name}); run through scripts/test or /tmp/kr-run.sh")
    work = make_workspace()
    path = app_dirs["config"] / "realtor-ops" / "workspace.toml"
    context = build_context(work, path, paths=AppPaths.from_os())
    context.save_workspace()
    seen: set[str] = set(work.environments)
    yield context
    seen |= set(context.workspace.environments)
    cleanup_keyring(context.credentials, sorted(seen))


def app_files(app_dirs: dict[str, Path]) -> list[Path]:
    """Every file the app wrote under its OS folders (config, data, logs, cache)."""
    out = []
    for key in ("config", "data", "state", "cache"):
        out += [p for p in app_dirs[key].rglob("*") if p.is_file()]
    return out


# --- real servers that fail in known ways -----------------------------------------------------------



@dataclass
class PasswordPostgres:
    """An embedded PostgreSQL that asks for passwords (scram-sha-256), unlike the trust-auth test server."""

    host: str
    port: int
    password: str
    database: str = "realtor"
    user: str = "app"
    locked_user: str = "noconnect"  # a valid login without CONNECT on the database


@pytest.fixture(scope="session")
def password_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PasswordPostgres]:
    import psycopg

    from sandbox.embedded_postgres import EmbeddedPostgres

    # Outside pytest's numbered temp folders, which a concurrent pytest run may prune.
    root = Path(tempfile.mkdtemp(prefix="realtor-pwpg-"))
    pg = EmbeddedPostgres(root / "data")
    pg.start()
    password = f"right-{uuid.uuid4().hex}"
    try:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE realtor")
            conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{password}'")
            conn.execute(f"CREATE ROLE noconnect LOGIN PASSWORD '{password}'")
            conn.execute("REVOKE CONNECT ON DATABASE realtor FROM PUBLIC")
            conn.execute("GRANT CONNECT ON DATABASE realtor TO app")
        hba = pg.data_dir / "pg_hba.conf"
        hba.write_text("host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        yield PasswordPostgres(pg.host, int(pg.port or 0), password)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class PasswordRedis:
    port: int
    password: str


@pytest.fixture(scope="session")
def password_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PasswordRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed for the Redis authentication test (apt install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    password = f"redis-{uuid.uuid4().hex}"
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--requirepass", password, "--dir", str(tmp_path_factory.mktemp("redis"))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield PasswordRedis(port, password)
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture(scope="session")
def self_signed_https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server whose certificate nobody trusts. Yields its base URL."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = _dt.datetime.now(_dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - _dt.timedelta(days=1))
            .not_valid_after(now + _dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def standins() -> Iterator[object]:
    from sandbox.provider_standins.catalog import StandinGroup

    group = StandinGroup().start()
    try:
        yield group
    finally:
        group.stop()

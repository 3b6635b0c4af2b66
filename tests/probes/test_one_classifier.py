"""One classifier: the same real PostgreSQL failures read the same through ``env check``, ``health check`` and
``backup create`` (issue 13 §2), and each names its real cause (issue 10 §6).

Real servers only: the shared trust-auth PostgreSQL (a role that does not exist, a database that does not
exist), an embedded PostgreSQL of our own with scram-sha-256 and TLS whose certificate is for 'localhost'
(a wrong password, an unknown user, a name mismatch), a closed port, a port that accepts and never answers,
and a host name that cannot resolve.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from cli.main import run
from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from services.core import workspace as ws
from services.core.object_storage import make_client


@dataclass
class TlsPostgres:
    host: str
    port: int
    password: str
    ca_file: Path
    tls: bool  # False when only the wheel's PostgreSQL (built without SSL) is on this machine


def _system_postgres() -> tuple[int, Path] | None:
    """A PostgreSQL server build of this machine's packages (these have SSL; the wheel's do not)."""
    import glob

    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), reverse=True):
        folder = Path(found).parent
        if (folder / "initdb").is_file():
            return int(folder.parent.name), folder
    return None


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 'localhost' only (no IP address in it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "realtor-ops test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.crt", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


@pytest.fixture(scope="module")
def tls_pg() -> Iterator[TlsPostgres]:
    from sandbox.embedded_postgres import EmbeddedPostgres
    from sandbox.postgres_host import run_as_user

    root = Path(tempfile.mkdtemp(prefix="realtor-tlspg-"))
    system = _system_postgres()
    pg = (EmbeddedPostgres(root / "data", version=system[0], bin_dir=system[1]) if system
          else EmbeddedPostgres(root / "data"))
    pg.start()
    password = f"right-{uuid.uuid4().hex}"
    try:
        ca_file, cert_file, key_file = _certificates(root)
        for name in (cert_file, key_file):
            target = pg.data_dir / name.name
            shutil.copy(name, target)
            os.chmod(target, 0o600)
            user = run_as_user()
            if user is not None:
                import pwd

                entry = pwd.getpwnam(user)
                os.chown(target, entry.pw_uid, entry.pw_gid)
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE realtor")
            conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{password}'")
            if system:
                conn.execute("ALTER SYSTEM SET ssl = on")
                conn.execute("ALTER SYSTEM SET ssl_cert_file = 'server.crt'")
                conn.execute("ALTER SYSTEM SET ssl_key_file = 'server.key'")
        (pg.data_dir / "pg_hba.conf").write_text("host all postgres 127.0.0.1/32 trust\n"
                                                 "host all all 127.0.0.1/32 scram-sha-256\n")
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
        yield TlsPostgres(pg.host, int(pg.port or 0), password, ca_file, tls=system is not None)
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def _surfaces(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The database failure's sentence as each of the three commands reports it."""
    out: dict[str, str] = {}
    assert run(["--workspace", str(path), "--secrets-from-env", "--json", "env", "check", "staging",
                "--only", "database", "--timeout", "2"]) == 1
    checked = json.loads(capsys.readouterr().out)
    out["env check"] = next(r["sentence"] for r in checked if r["service"] == "database")
    assert run(["--workspace", str(path), "--secrets-from-env", "--json", "health", "check", "--env", "staging",
                "--check", "database"]) == 1
    out["health check"] = json.loads(capsys.readouterr().out)[0]["detail"]
    code = run(["--workspace", str(path), "--secrets-from-env", "--json", "backup", "create", "--env", "staging"])
    assert code == 1
    out["backup create"] = json.loads(capsys.readouterr().out)["error"]["message"]
    return out


CASES = ("missing role (trust server)", "unknown database", "missing role (password server)", "wrong password",
         "refused port", "TLS name mismatch", "timeout", "host not found")


def _settings(case: str, pg_dsn: str, tls: TlsPostgres, closed: int, blackhole: int) -> tuple[dict[str, Any], str, str]:
    """(database settings, the password, words naming the cause)."""
    shared = urlsplit(pg_dsn)
    ghost = f"ghost_{uuid.uuid4().hex[:8]}"
    trust = {"host": shared.hostname or "127.0.0.1", "port": shared.port or 5432, "name": "postgres",
             "user": shared.username or "postgres", "sslmode": "disable"}
    own = {"host": tls.host, "port": tls.port, "name": "realtor", "user": "app", "sslmode": "prefer"}
    if case == "missing role (trust server)":
        return {**trust, "user": ghost}, "", f"has no user (role) named '{ghost}'"
    if case == "unknown database":
        return {**trust, "name": f"nodb_{ghost}"}, "", f"has no database named 'nodb_{ghost}'"
    if case == "missing role (password server)":
        return {**own, "user": ghost}, tls.password, f"rejected the password for user '{ghost}' (or has no user"
    if case == "wrong password":
        return own, "not-the-password", "rejected the password for user 'app'"
    if case == "refused port":
        return {**trust, "port": closed}, "", f"Nothing accepts connections at 127.0.0.1:{closed} (connection refused)"
    if case == "TLS name mismatch":
        return {**own, "sslmode": "verify-full"}, tls.password, "presented a TLS certificate for 'localhost'"
    if case == "timeout":
        return {**trust, "port": blackhole}, "", "did not answer in time (timeout)"
    if case == "host not found":
        return {**trust, "host": "db.realtor-nowhere.invalid"}, "x", "could not be resolved (DNS failure)"
    raise AssertionError(case)


@pytest.mark.parametrize("case", CASES)
def test_the_same_failure_reads_the_same_everywhere(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pg_dsn: str, tls_pg: TlsPostgres, closed_port: int, blackhole_port: int, s3_location: Any) -> None:
    if case == "TLS name mismatch" and not tls_pg.tls:
        pytest.skip("no PostgreSQL server build with SSL on this machine (apt install postgresql)")
    database, password, cause = _settings(case, pg_dsn, tls_pg, closed_port, blackhole_port)
    bucket = f"realtor-probe-{uuid.uuid4().hex[:8]}"
    make_client(s3_location).create_bucket(Bucket=bucket)
    space = ws.Workspace(name="Probes", profile=ws.Profile.ADMIN)
    env = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    env.app_url = ""
    env.health.tls_domains = []
    env.database = ws.DatabaseSettings(**database)
    env.health.timeout_s = 2
    env.backup.endpoint_url = s3_location.endpoint_url
    env.backup.region = "us-east-1"
    env.backup.bucket = bucket
    env.backup.credentials = "aws"
    space.environments["staging"] = env
    path = tmp_path / "workspace.toml"
    ws.save(space, path)
    for name in [k for k in os.environ if k.startswith(("PG", "STAGING_", "DATABASE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PGSSLROOTCERT", str(tls_pg.ca_file))  # libpq's own setting, for every surface
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "2")
    if password:
        monkeypatch.setenv("STAGING_DATABASE_PASSWORD", password)
    monkeypatch.setenv("STAGING_AWS_ACCESS_KEY_ID", SANDBOX_ACCESS_KEY)
    monkeypatch.setenv("STAGING_AWS_SECRET_ACCESS_KEY", SANDBOX_SECRET_KEY)

    said = _surfaces(path, capsys)
    assert all(cause in sentence for sentence in said.values()), json.dumps(said, indent=1)
    assert len(set(said.values())) == 1, said
    assert not password or all(password not in s for s in said.values())


@pytest.fixture(scope="module")
def password_redis_port() -> Iterator[tuple[int, str]]:
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed (apt install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    password = f"redis-{uuid.uuid4().hex}"
    folder = Path(tempfile.mkdtemp(prefix="realtor-probe-redis-"))
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--requirepass", password, "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port, password
    finally:
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


REDIS_CASES = ("wrong password", "no password stored", "refused port", "timeout", "host not found")


@pytest.mark.parametrize("case", REDIS_CASES)
def test_the_same_redis_failure_reads_the_same_in_env_check_and_health(
        case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        password_redis_port: tuple[int, str], closed_port: int, blackhole_port: int) -> None:
    port, right = password_redis_port
    settings, password, cause = {
        "wrong password": ({"port": port}, "not-it", "rejected the user name or password"),
        "no password stored": ({"port": port}, "", "asks for a password and none is stored"),
        "refused port": ({"port": closed_port}, "", "(connection refused)"),
        "timeout": ({"port": blackhole_port}, "", "did not answer in time (timeout)"),
        "host not found": ({"host": "cache.realtor-nowhere.invalid"}, "", "could not be resolved (DNS failure)"),
    }[case]
    space = ws.Workspace(name="Probes", profile=ws.Profile.ADMIN)
    env = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    env.app_url = ""
    env.health.tls_domains = []
    env.health.timeout_s = 2
    env.redis = ws.RedisSettings(**{"host": "127.0.0.1", **settings})
    space.environments["staging"] = env
    path = tmp_path / "workspace.toml"
    ws.save(space, path)
    for name in [k for k in os.environ if k.startswith(("STAGING_", "REDIS_"))]:
        monkeypatch.delenv(name)
    if password:
        monkeypatch.setenv("STAGING_REDIS_PASSWORD", password)

    assert run(["--workspace", str(path), "--secrets-from-env", "--json", "env", "check", "staging",
                "--only", "redis", "--timeout", "2"]) == 1
    checked = next(r["sentence"] for r in json.loads(capsys.readouterr().out) if r["service"] == "redis")
    assert run(["--workspace", str(path), "--secrets-from-env", "--json", "health", "check", "--env", "staging",
                "--check", "redis"]) == 1
    health = json.loads(capsys.readouterr().out)[0]["detail"]
    assert cause in checked and checked == health, (checked, health)
    assert right not in checked and "not-it" not in checked

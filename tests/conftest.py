"""Shared fixtures: real PostgreSQL, Redis and S3 endpoint; app folders isolated per test.

``scripts/test`` starts what is missing and exports REALTOR_TEST_PG_DSN / REALTOR_TEST_REDIS_URL;
the defaults are this machine's own servers.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
PG_DSN = os.environ.get("REALTOR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REALTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_configure(config: pytest.Config) -> None:
    from tests.spec_location import locate

    config.addinivalue_line("markers", "needs_specs(*providers): checks the contract validator itself; skipped without those specs")
    problem = locate().problem
    if problem:
        raise pytest.UsageError(problem)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from tests.spec_location import header_lines

    return header_lines()


def pytest_sessionstart(session: pytest.Session) -> None:
    # -q hides the report header; say it anyway, once, at the top.
    reporter = session.config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None and session.config.get_verbosity() < 0:
        from tests.spec_location import header_lines

        for line in header_lines():
            reporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.spec_location import HOW_TO_TURN_ON, locate

    loc = locate()
    for item in items:
        marker = item.get_closest_marker("needs_specs")
        if marker is None:
            continue
        missing = [name for name in marker.args if not loc.has(name)] if marker.args else []
        if not loc.on or missing:
            why = f"no spec for {', '.join(missing)}" if loc.on else "provider contract validation is off"
            item.add_marker(pytest.mark.skip(reason=f"{why}; {HOW_TO_TURN_ON}"))


@pytest.fixture(autouse=True)
def app_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every OS folder the app uses (config, data, logs, cache) at a fresh temporary tree."""
    root = tmp_path_factory.mktemp("appdirs")
    dirs = {k: root / k for k in ("config", "data", "state", "cache")}
    for path in dirs.values():
        path.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.setenv("XDG_STATE_HOME", str(dirs["state"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["cache"]))
    monkeypatch.delenv("REALTOR_OPS_WORKSPACE", raising=False)
    dirs["root"] = root
    return dirs


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL for tests is not reachable at {PG_DSN}: {exc} (run scripts/test)")
    return PG_DSN


def _dsn_with_db(dsn: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, dbname=dbname)


@pytest.fixture
def scratch_db(pg_dsn: str) -> Iterator[str]:
    """A fresh, empty database dropped after the test. Yields its DSN."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _dsn_with_db(pg_dsn, name)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis for tests is not reachable at {REDIS_URL}: {exc} (run scripts/test)")
    return REDIS_URL


@pytest.fixture(scope="session")
def s3_server() -> Iterator[object]:
    from sandbox.local_s3 import LocalS3

    server = LocalS3().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_location(s3_server: object):  # type: ignore[no-untyped-def]
    from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
    from services.core.object_storage import S3Location

    return S3Location(s3_server.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)  # type: ignore[attr-defined]


@pytest.fixture
def s3_bucket(s3_location):  # type: ignore[no-untyped-def]
    """A fresh bucket on the local S3 endpoint. Yields its name."""
    from services.core.object_storage import make_client

    name = f"t-{uuid.uuid4().hex[:12]}"
    make_client(s3_location).create_bucket(Bucket=name)
    return name


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # The service suite runs without Qt (-p no:pytestqt, tests/qt ignored): prove nothing pulled it in.
    if os.environ.get("REALTOR_TEST_NO_QT") == "1" and "PySide6" in sys.modules:
        print("\nLAYERING VIOLATION: PySide6 was imported during the Qt-free service test run", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections are refused (a stopped service). Per test: a port free
    at the start of a session may be another test's server by its end."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


@pytest.fixture(scope="session")
def blackhole_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) and never says a word: a timeout."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()

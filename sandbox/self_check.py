"""Start each of the sandbox's parts once, briefly, and say which work: part of ``--self-test``.

A frozen build can import everything and still lack what a part needs at run time (PostgreSQL's
``$libdir`` and ``share`` folders, moto's S3 backend, a client program), so each part is really started
and used: PostgreSQL runs initdb and a full-text query (the snowball dictionaries), the S3 endpoint
stores and returns an object, the platform stand-in answers ``/api/health`` from the database, the
provider stand-ins start. Redis is the system's (``redis-server``), never bundled: reported, not failed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PartCheck:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _timed(name: str, fn: Callable[[], str], *, required: bool = True) -> PartCheck:
    started = time.monotonic()
    try:
        detail = fn()
        return PartCheck(name, True, f"{detail} ({time.monotonic() - started:.1f} s)", required)
    except Exception as exc:  # every failure becomes a line of the report, never a traceback
        sentence = getattr(exc, "sentence", None)
        text = sentence() if callable(sentence) else f"{type(exc).__name__}: {exc}"
        return PartCheck(name, False, text, required)


def check_sandbox_parts(root: Path | None = None) -> list[PartCheck]:
    """Start, use and stop every sandbox part in a scratch folder; one ``PartCheck`` per part."""
    scratch = Path(tempfile.mkdtemp(prefix="realtor-self-test-")) if root is None else root
    stoppers: list[Callable[[], Any]] = []
    state: dict[str, Any] = {}
    try:
        checks = [
            _timed("sandbox PostgreSQL", lambda: _postgres(scratch, state, stoppers)),
            _timed("PostgreSQL client programs", _client_programs),
            _timed("sandbox S3 endpoint", lambda: _s3(state, stoppers)),
            _timed("sandbox platform stand-in", lambda: _platform(state, stoppers)),
            _timed("sandbox provider stand-ins", lambda: _providers(stoppers)),
            _timed("sandbox Redis", _redis, required=False),
        ]
    finally:
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:  # noqa: S110 - stopping is best effort; the checks above already reported
                pass
        if root is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return checks


def _postgres(scratch: Path, state: dict[str, Any], stoppers: list[Callable[[], Any]]) -> str:
    import psycopg

    from sandbox.embedded_postgres import EmbeddedPostgres

    pg = EmbeddedPostgres(scratch / "pgdata", start_timeout=60.0)
    stoppers.append(pg.stop)
    pg.start()
    with psycopg.connect(pg.dsn(), connect_timeout=10) as conn:
        row = conn.execute("SELECT to_tsvector('english', 'houses'), version()").fetchone()
    if row is None or "'hous'" not in str(row[0]):
        raise RuntimeError(f"the English text-search dictionary answered {row!r}")
    state["dsn"] = pg.dsn()
    return f"PostgreSQL {pg.version} at {pg.host}:{pg.port}, initdb and text search work"


def _client_programs() -> str:
    from services.core.pg_tools import available_tools

    bundled = sorted((t for t in available_tools() if t.source == "bundled"), key=lambda t: t.major)
    if not bundled:
        raise RuntimeError("no bundled pg_dump/pg_restore/psql answered --version")
    return ", ".join(f"{t.version} ({t.bin_dir})" for t in bundled)


def _s3(state: dict[str, Any], stoppers: list[Callable[[], Any]]) -> str:
    from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, LocalS3
    from services.core.object_storage import S3Location, make_client

    s3 = LocalS3()
    stoppers.append(s3.stop)
    s3.start()
    client = make_client(S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY),
                         max_attempts=1)
    client.create_bucket(Bucket="self-test")
    client.put_object(Bucket="self-test", Key="probe.txt", Body=b"realtor self-test")
    body = client.get_object(Bucket="self-test", Key="probe.txt")["Body"].read()
    if body != b"realtor self-test":
        raise RuntimeError("the S3 endpoint returned another object than the one stored")
    state["s3"] = s3.endpoint_url
    return f"{s3.endpoint_url}, an object stored and read back"


def _platform(state: dict[str, Any], stoppers: list[Callable[[], Any]]) -> str:
    from sandbox.platform_standin import PlatformStandin

    standin = PlatformStandin(database_dsn=state.get("dsn"), external_apis_url=state.get("s3"))
    stoppers.append(standin.stop)
    standin.start()
    try:
        with urllib.request.urlopen(standin.health_url, timeout=15) as resp:  # noqa: S310 - loopback
            body = resp.read()
    except urllib.error.HTTPError as exc:  # 503 without Redis: still an answer from real checks
        body = exc.read()
    services = json.loads(body)["services"]
    if "dsn" in state and services.get("database") != "up":
        raise RuntimeError(f"/api/health says the database is {services.get('database')}")
    return f"{standin.url}/api/health answered: database {services.get('database')}"


def _providers(stoppers: list[Callable[[], Any]]) -> str:
    from sandbox.provider_standins import start_all

    group = start_all()
    stoppers.append(group.stop)
    return f"{len(group.base_urls())} providers"


def _redis() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server on the PATH (the sandbox runs without Redis)")
    return found

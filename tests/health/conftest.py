"""Helpers for the health tests: environments pointing at real local servers, private Redis servers
(never the shared one on 6379 is reconfigured or stopped), and a credential store over a dict."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.ports import free_port
from services.core import workspace as ws
from services.core.credentials import CredentialStore
from services.health.checks import CheckContext


def secrets(**values: str) -> CredentialStore:
    """The real credential store, reading only the given values (as --secrets-from-env does)."""
    return CredentialStore("health-tests", from_env=values)


def context(*, timeout_s: float = 5.0, slow_ms: float = 2000.0, cafile: str | None = None,
            **values: str) -> CheckContext:
    return CheckContext(secrets(**values), timeout_s=timeout_s, slow_ms=slow_ms, cafile=cafile)


def bare_env(name: str = "staging", kind: ws.EnvironmentKind = ws.EnvironmentKind.STAGING, **fields: Any) -> ws.Environment:
    """An environment with nothing configured but what the test sets."""
    env = ws.Environment(name=name, kind=kind)
    for key, value in fields.items():
        setattr(env, key, value)
    env.health.timeout_s = 5.0
    env.health.retries = 0
    return env


def closed_port() -> int:
    """A port nothing listens on (a stopped service)."""
    return free_port()


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_redis(tmp: Path, *args: str) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return RedisServer(port, proc)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[RedisServer] = []

    def make(*args: str) -> RedisServer:
        server = start_redis(tmp_path / f"redis{len(started)}", *args)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()

"""A real S3 endpoint on loopback (moto in server mode), for the sandbox and the tests.

It runs as a child process so that its request handling never competes with the console's own
thread for the GIL; a frozen build (no separate interpreter) runs moto's threaded server instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from services.core.child_processes import popen_tied, terminate
from services.core.errors import SandboxPartUnavailable

SANDBOX_ACCESS_KEY = "sandbox-access-key"
SANDBOX_SECRET_KEY = "sandbox-secret-key"  # a well-known dummy: moto accepts any pair


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


@dataclass
class LocalS3:
    host: str = "127.0.0.1"
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # moto logs every request to stderr: a pipe nobody drains fills up (64 KB, ~900 requests) and the
    # server then blocks forever. Its stderr goes to a temporary file instead, read only on failure.
    _stderr: Any = field(default=None, repr=False)
    _threaded: Any = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> LocalS3:
        if self.port and _port_open(self.host, self.port):
            raise SandboxPartUnavailable(
                f"The local S3 endpoint cannot start: port {self.port} on {self.host} is already taken",
                hint="Stop whatever uses that port, or let the sandbox pick a free one",
            )
        self.port = self.port or _free_port(self.host)
        if getattr(sys, "frozen", False):
            self._start_threaded()
        else:
            self._start_process()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _port_open(self.host, self.port):
                return self
            if self._proc is not None and self._proc.poll() is not None:
                self._stderr.seek(0)
                err = self._stderr.read().decode(errors="replace")
                raise SandboxPartUnavailable(
                    "The local S3 endpoint (moto) exited at start",
                    hint="Check that moto[server] is installed",
                    detail=err[-2000:],
                )
            time.sleep(0.05)
        self.stop()
        raise SandboxPartUnavailable(f"The local S3 endpoint did not answer within {timeout:.0f} s")

    def _start_process(self) -> None:
        env = dict(os.environ)
        env.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = popen_tied(
                [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxPartUnavailable(
                f"The local S3 endpoint cannot start: {exc.strerror}", hint="Check that moto[server] is installed"
            ) from None

    def _start_threaded(self) -> None:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            raise SandboxPartUnavailable(
                "The local S3 endpoint is not part of this build", hint="Install moto[server]"
            ) from None
        self._threaded = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._threaded.start()

    def stop(self) -> None:
        if self._proc is not None:
            terminate(self._proc)
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._threaded is not None:
            with contextlib.suppress(Exception):
                self._threaded.stop()
            self._threaded = None

    @property
    def running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        return self._threaded is not None

    def __enter__(self) -> LocalS3:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

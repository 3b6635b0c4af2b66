"""Short-lived signed downloads, as GitHub hands out for logs: a separate server on its own port (so a
different origin from the API), serving a registered blob for one minute at an unguessable path.

It records the headers of every request it gets, so tests can prove no token was sent to it.
"""

from __future__ import annotations

import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class BlobServer:
    def __init__(self, *, lifetime_s: float = 60.0) -> None:
        self.lifetime_s = lifetime_s
        self.requests: list[dict[str, str]] = []  # lower-case headers of every request received
        self._blobs: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> BlobServer:
        if self._httpd is not None:
            return self
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append({k.lower(): v for k, v in self.headers.items()})
                    key = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                    found = server._blobs.get(key)
                if found is None or found[1] < time.monotonic():
                    body, status = b"<Error><Code>AuthenticationFailed</Code></Error>", 403
                else:
                    body, status = found[0], 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="standin-blobs", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def publish(self, data: bytes, *, name: str = "blob") -> str:
        """A URL serving ``data`` for ``lifetime_s`` seconds."""
        if self._httpd is None:
            self.start()
        assert self._httpd is not None
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._blobs[key] = (data, time.monotonic() + self.lifetime_s)
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}/{name}/{key}?urlExpires={int(time.time() + self.lifetime_s)}&sig=sandbox"

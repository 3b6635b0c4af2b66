"""A generic stand-in HTTP API server on 127.0.0.1, run in a background thread.

Each provider module gives it a route table and realistic data (in the shapes of ``protocol``); this
module does the rest:
bearer/basic token checking (valid, revoked → 401, lacking scope → 403), provider-shaped error
bodies, fault injection (an answer's status, a delay, a dropped connection; for the next N
requests, optionally only on one path), a ``request_validator`` hook that sees every exchange
(tests plug an OpenAPI validator in there) and an ``answer_transform`` hook that may rewrite each
normal answer on its way out (tests: odd but spec-valid answers built from the real ones).
"""

from __future__ import annotations

import base64
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.provider_standins.protocol import (
    ErrorBody,
    Exchange,
    Fault,
    Route,
    StandinError,
    StandinRequest,
    StandinResponse,
    TokenPolicy,
    default_error_body,
)

log = logging.getLogger(__name__)


class StandinServer:
    """A provider API stand-in. ``start()`` it, point a client at ``base_url``, ``stop()`` it."""

    def __init__(
        self,
        provider: str,
        routes: Iterable[Route],
        *,
        tokens: TokenPolicy,
        base_path: str = "",
        error_body: ErrorBody = default_error_body,
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        extra_headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> None:
        self.provider = provider
        self.data = data  # the provider's mutable state, for tests and the sandbox
        self.routes: list[Route] = list(routes)
        self.tokens = tokens
        self.base_path = base_path.rstrip("/")
        self.error_body = error_body
        self.extra_headers = dict(extra_headers or {})
        self.request_validator: Callable[[Exchange], None] | None = None
        # Rewrites each normal answer before it is sent (tests: odd but spec-valid answers).
        self.answer_transform: Callable[[StandinRequest, StandinResponse], StandinResponse] | None = None
        self.validator_errors: list[str] = []
        self.handler_errors: list[str] = []
        self.log: list[tuple[str, str, int | None]] = []  # (method, path, status or None if dropped)
        self._port = port
        self._ssl = ssl_context
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> StandinServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", self._port), _Handler)
        httpd.standin = self
        if self._ssl is not None:
            httpd.socket = self._ssl.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"standin-{self.provider}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"The {self.provider} stand-in is not running")
        return int(self._httpd.server_address[1])

    @property
    def origin(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + self.base_path

    # -- faults ---------------------------------------------------------------------------------

    def inject(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Queue a fault (a Fault, or its fields as keywords). Faults apply in the order queued."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- dispatch -------------------------------------------------------------------------------

    def error(
        self, status: int, message: str, code: str = "", headers: Mapping[str, str] | None = None
    ) -> StandinResponse:
        return StandinResponse(status, self.error_body(status, message, code), dict(headers or {}))

    def dispatch(self, request: StandinRequest) -> StandinResponse | None:
        """The answer to ``request``, or None to drop the connection."""
        fault = self._take_fault(request.method, request.path)
        response: StandinResponse | None
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.drop:
            response = None
        elif fault is not None and fault.status is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            headers.update(fault.headers)
            message = _STATUS_TEXT.get(fault.status, "Injected failure")
            response = self.error(fault.status, message, headers=headers)
            if fault.body is not None:
                response.body = fault.body
        else:
            response = self._answer(request)
            if self.answer_transform is not None:
                try:
                    response = self.answer_transform(request, response)
                except Exception as exc:
                    log.exception("answer transform failed")
                    self.handler_errors.append(f"answer transform: {type(exc).__name__}: {exc}")
        self.log.append((request.method, request.path, response.status if response else None))
        if self.request_validator is not None:
            try:
                self.request_validator(Exchange(self.provider, request, response, fault))
            except Exception as exc:
                log.exception("request validator failed")
                self.validator_errors.append(f"{type(exc).__name__}: {exc}")
        return response

    def _answer(self, request: StandinRequest) -> StandinResponse:
        route, params = self._route(request)
        if route is None:
            return self.error(404, "Not Found", "not_found")
        request.path_params = params
        credential = request.credential
        policy = self.tokens
        known = policy.valid | policy.limited
        if credential is None or credential in policy.revoked or credential not in known:
            return self.error(401, "The token is invalid or has been revoked", "unauthorized")
        if credential in policy.limited and route.needs_scope:
            return self.error(403, "The token does not have the required permission", "forbidden")
        try:
            result = route.handler(request)
        except StandinError as exc:
            return self.error(exc.status, exc.message, exc.code, exc.headers)
        except Exception as exc:
            log.exception("stand-in handler failed")
            self.handler_errors.append(f"{request.method} {request.path}: {type(exc).__name__}: {exc}")
            return self.error(500, "Internal Server Error", "internal")
        return result if isinstance(result, StandinResponse) else StandinResponse(200, result)

    def _route(self, request: StandinRequest) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            params = route.match(request.method, request.path)
            if params is not None:
                return route, params
        return None, {}

    def parse_credential(self, header: str | None) -> str | None:
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != self.tokens.scheme:
            return None
        value = value.strip()
        if self.tokens.scheme == "basic":
            try:
                return base64.b64decode(value, validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None
        return value


_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: StandinServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("stand-in connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid the 40 ms stall
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.standin._lock:
            self.server.standin._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.standin._lock:
                self.server.standin._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s stand-in: " + format, self.server.standin.provider, *args)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        standin = self.server.standin
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        full_path = split.path
        base = standin.base_path
        if not base:
            path = full_path
        elif full_path.startswith(base + "/"):
            path = full_path[len(base) :]
        else:
            path = ""  # outside the base path: no route matches, 404
        headers = {k.lower(): v for k, v in self.headers.items()}
        scheme = "https" if standin._ssl is not None else "http"
        origin = f"{scheme}://{headers['host']}" if headers.get("host") else standin.origin
        request = StandinRequest(
            method=self.command,
            path=path,
            full_path=full_path,
            query=parse_qsl(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
            origin=origin,
            base_url=origin + base,
            credential=standin.parse_credential(self.headers.get("Authorization")),
        )
        response = standin.dispatch(request)
        if response is None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        payload = response.encoded()
        self.send_response(response.status)
        if payload or response.status not in (204, 304):
            self.send_header("Content-Type", response.content_type)
        for name, value in {**standin.extra_headers, **response.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

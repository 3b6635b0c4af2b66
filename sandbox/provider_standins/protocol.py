"""What the stand-in server and the provider modules share: the request a route handler gets, the
answer it gives, the error it raises, the route table, the token policy, and the faults and exchange
records tests use. Plain data; the server that serves them is ``server``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class StandinError(Exception):
    """Raised by a route handler to answer with an error status in the provider's error shape."""

    def __init__(
        self, status: int, message: str, *, code: str = "", headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


@dataclass
class StandinRequest:
    method: str
    path: str  # below the server's base path, e.g. "/v7/deployments"
    full_path: str  # as received, without the query
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    origin: str  # "http://127.0.0.1:PORT"
    base_url: str  # origin + base path
    credential: str | None = None  # the bearer token, or "user:password" for basic auth
    path_params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return default

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(float(value)) if value is not None else default
        except ValueError:
            raise StandinError(400, f"Invalid value for '{name}'") from None

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class StandinResponse:
    status: int = 200
    body: Any = None  # JSON-able, or bytes as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class Fault:
    """Misbehaviour for the next ``times`` matching requests.

    ``status`` answers that status (with ``retry_after`` as the Retry-After header, the provider's
    error body or ``body``, and ``headers``); ``delay`` waits that many seconds first; ``drop``
    closes the connection without answering. ``path`` matches request paths that start with it (below
    the base path); ``method`` restricts it to one method.
    """

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1
    path: str | None = None
    method: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        return self.path is None or path.startswith(self.path)


@dataclass(frozen=True)
class Exchange:
    """One request as the stand-in saw it and what it answered (None: the connection was dropped)."""

    provider: str
    request: StandinRequest
    response: StandinResponse | None
    fault: Fault | None = None


Handler = Callable[[StandinRequest], StandinResponse | Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # "/v13/deployments/{idOrUrl}"
    handler: Handler
    needs_scope: bool = True  # False: any valid token works, even one lacking scopes

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.pattern)) + "$"
        found = re.match(regex, path)
        return found.groupdict() if found else None


@dataclass
class TokenPolicy:
    """Which credentials the stand-in accepts. For basic auth, credentials are "user:password"."""

    scheme: str = "bearer"
    valid: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    limited: set[str] = field(default_factory=set)  # valid, but lacking the scopes: 403


ErrorBody = Callable[[int, str, str], Any]


def default_error_body(status: int, message: str, code: str) -> Any:
    return {"message": message}


def routes(*items: tuple[str, str, Handler] | tuple[str, str, Handler, bool]) -> Sequence[Route]:
    """Build a route table from (method, pattern, handler[, needs_scope]) tuples."""
    return [Route(*item) for item in items]

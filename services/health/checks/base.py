"""What every check shares: the context it runs in, and how a failure becomes a result."""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import sys
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import httpx

from services.core.errors import ConnectionFailure, FailureKind, OpsError
from services.core.workspace import Environment
from services.health.model import CheckResult, Status, result

# httpcore runs ``import sniffio`` on every request. When sniffio is not installed that is a failed
# import each time: a scan of sys.path and, under PySide6, its import hook reading source files, on
# the loop's (Qt) thread. Marking the absent module as absent makes the failure immediate.
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]


class SecretSource(Protocol):
    def aget(self, environment: str, name: str) -> Awaitable[str | None]: ...


@dataclass
class CheckContext:
    """Shared by all checks of a poller or a CLI run. Holds one HTTP client (creating one per check
    would load the CA bundle each time, a few milliseconds of the loop's thread) and each check's
    memory between runs (Redis' eviction counter, for one)."""

    credentials: SecretSource
    timeout_s: float = 10.0
    # Answers slower than this are "degraded" (Uptime Kuma and Gatus call this a response-time
    # condition).
    slow_ms: float = 2000.0
    # Extra certificates to trust for TLS (the sandbox's self-signed stand-ins); None = system only.
    cafile: str | None = None
    # Write a tiny object into each bucket and delete it again, where the key is allowed to.
    storage_write_probe: bool = True
    state: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _http: dict[str, httpx.AsyncClient] = field(default_factory=dict, repr=False)
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    def timeout(self, env: Environment) -> float:
        """Seconds one check of ``env`` may take (its health settings, else the context's)."""
        return float(env.health.timeout_s or self.timeout_s)

    def memory(self, env: str, check: str) -> dict[str, Any]:
        return self.state.setdefault((env, check), {})

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = self._build_ssl()
        return self._ssl

    async def aprepare(self, envs: Iterable[Environment] = ()) -> None:
        """Load the CA bundle and build the HTTP clients in a worker thread (tens of milliseconds of
        CPU), so the loop's thread never does."""
        if self._ssl is None:
            self._ssl = await asyncio.to_thread(self._build_ssl)
        missing = [e for e in [None, *envs] if (e.name if e is not None else "") not in self._http]
        if missing:
            await asyncio.to_thread(lambda: [self.http(e) for e in missing])

    def _build_ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.cafile:
            context.load_verify_locations(self.cafile)
        return context

    def http(self, env: Environment | None = None) -> httpx.AsyncClient:
        """The HTTP client of an environment's checks. One per environment: httpx looks over every
        pooled connection on each request, so one big pool for all would cost more per request."""
        key = env.name if env is not None else ""
        client = self._http.get(key)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                verify=self.ssl_context(),
                follow_redirects=False,
                headers={"User-Agent": "realtor-ops-console health check"},
                limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            )
            self._http[key] = client
        return client

    async def aclose(self) -> None:
        clients, self._http = list(self._http.values()), {}
        for client in clients:
            await client.aclose()


class Check:
    """One kind of check. Subclasses set ``name`` and implement ``configured`` and ``run``."""

    name: ClassVar[str] = "check"

    def configured(self, env: Environment) -> bool:
        return True

    def not_configured_reason(self, env: Environment) -> str:
        return "not configured for this environment"

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        raise NotImplementedError


def status_for_failure(exc: ConnectionFailure) -> Status:
    """A rate limit means "working, but it will not talk to us right now"; everything else is down."""
    return Status.DEGRADED if exc.kind == FailureKind.RATE_LIMITED else Status.DOWN


def failure_result(env: str, check: str, exc: BaseException, *, latency_ms: float | None = None) -> CheckResult:
    if isinstance(exc, ConnectionFailure):
        return result(env, check, status_for_failure(exc), exc.sentence(), latency_ms=latency_ms)
    if isinstance(exc, OpsError):
        return result(env, check, Status.UNKNOWN, exc.sentence(), latency_ms=latency_ms)
    return result(env, check, Status.UNKNOWN, f"The check itself failed ({type(exc).__name__}: {exc})",
                  latency_ms=latency_ms)


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0


def http_failure(exc: httpx.HTTPError, target: str) -> ConnectionFailure:
    """Why an HTTP request to ``target`` failed, in a sentence (the same kinds as the providers)."""
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in chain and len(chain) < 12:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    detail = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, httpx.TimeoutException):
        return ConnectionFailure(f"{target} did not answer in time (timeout)", kind=FailureKind.TIMEOUT,
                                 target=target, detail=detail)
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain):
        reason = next((getattr(e, "verify_message", "") for e in chain
                       if isinstance(e, ssl.SSLCertVerificationError)), "") or "not trusted"
        return ConnectionFailure(f"The certificate of {target} is not accepted ({reason})", kind=FailureKind.TLS,
                                 target=target, detail=detail)
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return ConnectionFailure(f"The secure connection to {target} failed (TLS)", kind=FailureKind.TLS,
                                 target=target, detail=detail)
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
            return ConnectionFailure(f"{target} could not be resolved (DNS failure)", kind=FailureKind.DNS,
                                     target=target, detail=detail)
        if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
            return ConnectionFailure(f"{target} refused the connection (nothing is listening)",
                                     kind=FailureKind.REFUSED, target=target, detail=detail)
        return ConnectionFailure(f"{target} could not be reached", kind=FailureKind.UNREACHABLE,
                                 target=target, detail=detail)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return ConnectionFailure(f"{target} closed the connection without answering", kind=FailureKind.DROPPED,
                                 target=target, detail=detail)
    return ConnectionFailure(f"Talking to {target} failed", kind=FailureKind.UNREACHABLE, target=target,
                             detail=detail)

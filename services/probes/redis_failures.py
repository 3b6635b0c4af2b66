"""Why talking to Redis failed, in one sentence that names the real cause; used by the connection test and
the health check alike. redis-py 8 often says only "network:ConnectionError" and keeps the socket error as
the exception's context, so the whole chain is read."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from services.core.errors import ConnectionFailure, FailureKind


@dataclass(frozen=True)
class RedisTarget:
    host: str
    port: int
    db: int = 0
    username: str = ""
    tls: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://{self.host}:{self.port}/{self.db}"


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 12:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def classify_redis(exc: BaseException, target: RedisTarget) -> ConnectionFailure:
    import redis.exceptions as rex

    chain = _chain(exc)
    text = " | ".join(f"{type(e).__name__}: {e}" for e in chain)
    low = text.lower()
    at = target.address
    detail = text[:600]

    def fail(message: str, kind: FailureKind, hint: str | None = None) -> ConnectionFailure:
        return ConnectionFailure(message, kind=kind, target=target.label, hint=hint, detail=detail)

    # redis-py 8 opens with HELLO; without a password the server answers that HELLO needs authentication.
    if "noauth" in low or "authentication required" in low or "called with the client already authenticated" in low:
        return fail(f"Redis at {at} asks for a password and none is stored", FailureKind.AUTH,
                    "Add the Redis password to the environment's secrets")
    if any(isinstance(e, rex.AuthenticationError) for e in chain) or "wrongpass" in low \
            or "invalid password" in low or "invalid username-password" in low:
        return fail(f"Redis at {at} rejected the user name or password", FailureKind.AUTH,
                    "Check REDIS_PASSWORD in the environment's secrets and the user in REDIS_URL")
    if "without any password configured" in low:
        return fail(f"Redis at {at} has no password, but one is stored for it", FailureKind.AUTH,
                    "Remove REDIS_PASSWORD from the environment's secrets, or set a password on the server")
    if any(isinstance(e, rex.NoPermissionError) for e in chain) or "noperm" in low:
        return fail(f"The Redis user '{target.username or 'default'}' at {at} lacks permission for PING/INFO",
                    FailureKind.PERMISSION, "Grant the user +ping and +info in its ACL")
    if "db index is out of range" in low or "invalid db index" in low:
        return fail(f"Redis at {at} has no database number {target.db}", FailureKind.NOT_FOUND,
                    "Check the database number at the end of REDIS_URL")
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service not known" in low \
            or "temporary failure in name resolution" in low or "nodename nor servname" in low:
        return fail(f"The Redis host '{target.host}' could not be resolved (DNS failure)", FailureKind.DNS,
                    "Check the host name and this computer's network")
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) and "hostname mismatch" in low:
        return fail(f"Redis at {at} presented a TLS certificate for another name (name mismatch)", FailureKind.TLS,
                    "Connect with the host name the certificate is for")
    if any(isinstance(e, ssl.SSLError) for e in chain) or "ssl" in low or "certificate" in low:
        return fail(f"The TLS connection to Redis at {at} failed", FailureKind.TLS,
                    "Check rediss:// versus redis:// and the server's certificate")
    if any(isinstance(e, rex.TimeoutError | TimeoutError) for e in chain) or "timeout" in low or "timed out" in low:
        hint = ("If this Redis does not use TLS, write redis:// instead of rediss://" if target.tls
                else "A firewall may be dropping the connection; check the host and port")
        return fail(f"Redis at {at} did not answer in time (timeout)", FailureKind.TIMEOUT, hint)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in low \
            or "error 111" in low or "error 61 " in low:
        return fail(f"Nothing accepts connections at {at} (connection refused)", FailureKind.REFUSED,
                    "Check the port, and that Redis is running there")
    if "no route to host" in low or "network is unreachable" in low:
        return fail(f"The Redis host {target.host} cannot be reached from this computer", FailureKind.UNREACHABLE,
                    "Check the network, VPN or firewall")
    if "closed by server" in low or "connection reset" in low or "closed" in low:
        return fail(f"Redis at {at} closed the connection", FailureKind.DROPPED,
                    "Check that it is a Redis server at that port (and TLS if it needs it)")
    return fail(f"Talking to Redis at {target.label} failed", FailureKind.PROTOCOL)

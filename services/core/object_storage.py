"""boto3 clients for S3 and S3-compatible stores (Cloudflare R2, the local moto endpoint).

boto3 blocks: async callers run its calls with ``asyncio.to_thread``. Errors from botocore are
translated into ``ConnectionFailure`` with a kind the user can act on. boto3 itself (~0.15 s to import) is
imported by the first client, so that importing this module (the backup catalog does) costs a caller's
loop nothing: the clients are built and used in worker threads.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.core.errors import ConnectionFailure, FailureKind

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class S3Location:
    endpoint_url: str  # "" means AWS itself
    region: str
    access_key_id: str | None
    secret_access_key: str | None

    @property
    def is_aws(self) -> bool:
        return not self.endpoint_url or self.endpoint_url.rstrip("/").endswith("amazonaws.com")

    @property
    def label(self) -> str:
        return self.endpoint_url or f"AWS S3 ({self.region})"


# One boto3 session for the process: its loader caches botocore's service models, which otherwise
# are parsed from JSON again for every client (~70 ms). Sessions are not thread-safe; clients are.
_SESSION_LOCK = threading.Lock()
_SESSION: boto3.session.Session | None = None
# The clients built, by what they were built for: a client costs 5-30 ms of CPU (the first one ~0.2 s), and
# the reads a screen starts at once (a catalog, the timeline's backups, the costs' bucket sizes) share one.
# Kept in memory only, as the keys they were built with are; a few, the oldest dropped first.
_CLIENTS: dict[tuple[S3Location, float, float, int], Any] = {}
_CLIENTS_KEPT = 16


def make_client(loc: S3Location, *, connect_timeout: float = 5.0, read_timeout: float = 60.0,
                max_attempts: int = 4) -> Any:
    """An S3 client (thread-safe, shared by the callers that ask for the same one). The first one in a
    process costs ~0.25 s (boto3, botocore's S3 model): build it off the Qt thread."""
    global _SESSION
    key = (loc, connect_timeout, read_timeout, max_attempts)
    with _SESSION_LOCK:
        if key in _CLIENTS:
            return _CLIENTS[key]
    import boto3
    import botocore.config

    # boto3 >= 1.36 adds CRC checksum headers that R2 and other S3-compatible stores reject.
    config = botocore.config.Config(
        region_name=loc.region or "us-east-1",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        signature_version="s3v4",
        s3={"addressing_style": "path" if not loc.is_aws else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        max_pool_connections=16,
    )
    with _SESSION_LOCK:
        if key in _CLIENTS:  # built by another thread meanwhile
            return _CLIENTS[key]
        if _SESSION is None:
            _SESSION = boto3.session.Session()
        client = _SESSION.client(
            "s3",
            endpoint_url=loc.endpoint_url or None,
            aws_access_key_id=loc.access_key_id,
            aws_secret_access_key=loc.secret_access_key,
            config=config,
        )
        while len(_CLIENTS) >= _CLIENTS_KEPT:
            del _CLIENTS[next(iter(_CLIENTS))]
        _CLIENTS[key] = client
        return client


def classify(exc: BaseException, *, target: str, bucket: str = "") -> ConnectionFailure:
    """Turn a botocore/network exception into a ConnectionFailure with a plain sentence."""
    import botocore.exceptions

    where = f"bucket '{bucket}' at {target}" if bucket else target
    if isinstance(exc, ConnectionFailure):
        return exc
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in ("NoSuchBucket",) or (status == 404 and bucket and code in ("404", "NotFound")):
            return ConnectionFailure(
                f"The bucket '{bucket}' does not exist at {target}", kind=FailureKind.NOT_FOUND,
                target=target, status=status, hint="Check the bucket name in the environment's settings")
        if code in ("NoSuchKey", "404", "NotFound"):
            return ConnectionFailure(f"The object was not found in {where}", kind=FailureKind.NOT_FOUND,
                                     target=target, status=status)
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
                    "AuthorizationHeaderMalformed", "InvalidClientTokenId"):
            return ConnectionFailure(
                f"The storage credentials were rejected by {target} ({code})", kind=FailureKind.AUTH,
                target=target, status=status, hint="Check the access key id and secret in the keyring")
        if code in ("AccessDenied", "AllAccessDisabled", "403", "Forbidden"):
            return ConnectionFailure(
                f"The storage credentials lack permission on {where}", kind=FailureKind.PERMISSION,
                target=target, status=status, hint="Grant the key read/write on that bucket")
        if code in ("SlowDown", "TooManyRequests", "RequestLimitExceeded") or status == 429:
            return ConnectionFailure(f"{target} is throttling requests ({code})", kind=FailureKind.RATE_LIMITED,
                                     target=target, status=status)
        if status >= 500:
            return ConnectionFailure(f"{target} answered with a server error ({status} {code})",
                                     kind=FailureKind.SERVER_ERROR, target=target, status=status)
        return ConnectionFailure(f"{target} refused the request ({status} {code})", kind=FailureKind.PROTOCOL,
                                 target=target, status=status, detail=str(err.get("Message", ""))[:500])
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return ConnectionFailure(f"No storage credentials are set for {target}", kind=FailureKind.AUTH,
                                 target=target, hint="Add the access key id and secret for this environment")
    if isinstance(exc, botocore.exceptions.SSLError) or _caused_by(exc, ssl.SSLError):
        return ConnectionFailure(f"The TLS handshake with {target} failed", kind=FailureKind.TLS, target=target)
    if isinstance(exc, botocore.exceptions.ConnectTimeoutError | botocore.exceptions.ReadTimeoutError):
        return ConnectionFailure(f"{target} did not answer in time", kind=FailureKind.TIMEOUT, target=target)
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        if _caused_by(exc, socket.gaierror):
            return ConnectionFailure(f"The storage host of {target} could not be resolved (DNS failure)",
                                     kind=FailureKind.DNS, target=target)
        if _caused_by(exc, ConnectionRefusedError):
            return ConnectionFailure(f"{target} refused the connection (nothing listens there)",
                                     kind=FailureKind.REFUSED, target=target)
        return ConnectionFailure(f"{target} cannot be reached", kind=FailureKind.UNREACHABLE, target=target)
    if isinstance(exc, botocore.exceptions.ConnectionClosedError):
        return ConnectionFailure(f"{target} dropped the connection", kind=FailureKind.DROPPED, target=target)
    return ConnectionFailure(f"Talking to {target} failed", kind=FailureKind.PROTOCOL, target=target,
                             detail=f"{type(exc).__name__}: {exc}"[:500])


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, kind):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
        nested = getattr(cur, "kwargs", {}).get("error") if cur is not None else None
        if isinstance(nested, kind):
            return True
    text = str(exc)
    return kind is socket.gaierror and ("Name or service not known" in text or "nodename nor servname" in text)

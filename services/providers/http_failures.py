"""How a provider call failed, in words: an answer with a status the call did not expect, or a transport
error (timeout, TLS, DNS, refused, dropped), becomes a typed ConnectionFailure whose ``kind`` says why, in
a sentence that names the provider. The client passes in only scrubbed text, so no token appears here.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import httpx

from services.core.errors import ConnectionFailure, FailureKind
from services.providers.http_policy import Timeouts


def status_failure(
    response: httpx.Response,
    *,
    name: str,
    host: str,
    said: str,
    resource: str = "",
    action: str = "",
    attempts: int = 1,
    rate_limited: bool = False,
    wait: float | None = None,
) -> ConnectionFailure:
    """The typed failure for an answer whose status was not expected. ``name`` is the provider's display
    name, ``said`` its own (scrubbed) error text; ``rate_limited`` and ``wait`` are the client's reading of
    the answer's rate-limit signals."""
    status = response.status_code
    detail = f"{response.request.method} {response.request.url.path} -> {status}" + (
        f": {said}" if said else ""
    )
    common: dict[str, Any] = {"target": host, "status": status, "detail": detail}
    what = resource or "this request"
    if rate_limited:
        when = f"; try again in {_seconds(wait)}" if wait is not None else "; try again later"
        return ConnectionFailure(
            f"{name} is limiting how often the console may call it ({status}){when}",
            kind=FailureKind.RATE_LIMITED,
            retry_after=wait,
            **common,
        )
    if status == 401:
        return ConnectionFailure(
            f"{name} rejected the token ({status}): it is wrong or revoked",
            kind=FailureKind.AUTH,
            hint=f"Create a new {name} token and save it in the environment's settings",
            **common,
        )
    if status == 403:
        return ConnectionFailure(
            f"{name}'s token lacks permission for {what} ({status})",
            kind=FailureKind.PERMISSION,
            hint=f"Give the token access to {what} in {name}'s settings",
            **common,
        )
    if status == 404:
        missing = f"{name} has no {what}" if resource else f"{name} found nothing at this address"
        return ConnectionFailure(
            f"{missing} ({status})",
            kind=FailureKind.NOT_FOUND,
            hint="Check the identifiers in the environment's provider settings",
            **common,
        )
    if status >= 500:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return ConnectionFailure(
            f"{name} had a server error ({status}) and did not answer{tries}",
            kind=FailureKind.SERVER_ERROR,
            hint=f"{name} may be having an outage; try again in a few minutes",
            **common,
        )
    reason = f": {said}" if said else ""
    refused = f"{name} refused to {action}" if action else f"{name} refused the request for {what}"
    return ConnectionFailure(
        f"{refused} ({status}){reason}",
        kind=FailureKind.PROTOCOL,
        **common,
    )


def transport_failure(
    exc: httpx.HTTPError, *, name: str, host: str, base_url: str, timeouts: Timeouts, detail: str
) -> ConnectionFailure:
    """The typed failure for a call that got no answer; ``detail`` is the (scrubbed) exception text."""
    chain = _cause_chain(exc)
    if isinstance(exc, httpx.TimeoutException):
        phase, limit = _timeout_phase(exc, timeouts)
        return ConnectionFailure(
            f"{name} did not {phase} within {_seconds(limit)} (timeout)",
            kind=FailureKind.TIMEOUT,
            target=host,
            detail=detail,
            hint="The provider or the network is slow; try again",
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in str(exc):
        reason = (
            "its certificate is not trusted"
            if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain)
            else "the server does not speak TLS as expected"
        )
        return ConnectionFailure(
            f"The secure connection to {host} failed (TLS): {reason}",
            kind=FailureKind.TLS,
            target=host,
            detail=detail,
            hint="Check the address (https vs http) and any proxy that intercepts TLS",
        )
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(e, socket.gaierror) for e in chain):
            return ConnectionFailure(
                f"{host} could not be resolved (DNS failure)",
                kind=FailureKind.DNS,
                target=host,
                detail=detail,
                hint="Check the address and the computer's internet connection",
            )
        if any(isinstance(e, ConnectionRefusedError) for e in chain):
            return ConnectionFailure(
                f"{host} refused the connection: nothing is listening at {base_url}",
                kind=FailureKind.REFUSED,
                target=host,
                detail=detail,
            )
        return ConnectionFailure(
            f"{host} could not be reached",
            kind=FailureKind.UNREACHABLE,
            target=host,
            detail=detail,
            hint="Check the computer's network connection, VPN or firewall",
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return ConnectionFailure(
            f"{host} closed the connection without answering",
            kind=FailureKind.DROPPED,
            target=host,
            detail=detail,
            hint="This is usually temporary; try again",
        )
    return ConnectionFailure(
        f"The connection to {host} failed",
        kind=FailureKind.UNREACHABLE,
        target=host,
        detail=detail,
    )


def message_from_body(body: Any) -> str:
    """Pull an error sentence out of the usual error shapes of the providers."""
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict) and isinstance(message := error.get("message"), str):
        return message  # Vercel
    if isinstance(error, str):
        return error
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict) and isinstance(message := first.get("message"), str):
            return message  # Cloudflare
        if isinstance(first, str):
            return first
    if isinstance(errors, str):
        return errors  # Better Stack
    for key in ("message", "detail", "msg"):
        if isinstance(text := body.get(key), str):
            return text  # GitHub, Sentry, Supabase
    return ""


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 12:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _timeout_phase(exc: httpx.TimeoutException, timeouts: Timeouts) -> tuple[str, float]:
    if isinstance(exc, httpx.ConnectTimeout):
        return "accept the connection", timeouts.connect
    if isinstance(exc, httpx.WriteTimeout):
        return "take the request", timeouts.write
    if isinstance(exc, httpx.PoolTimeout):
        return "get a free connection", timeouts.pool
    return "answer", timeouts.read


def _seconds(value: float | None) -> str:
    if value is None:
        return "a while"
    if value < 10 and value != int(value):
        return f"{value:.1f} seconds"
    whole = round(value)
    return "1 second" if whole == 1 else f"{whole} seconds"

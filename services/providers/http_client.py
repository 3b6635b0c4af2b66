"""The shared HTTP layer of the provider clients: auth, timeouts, bounded retries, typed failures.

Every provider client subclasses :class:`ProviderClient`. It talks to ``base_url`` (the provider's
own API, or a stand-in / proxy from the workspace's ``api_base`` overrides) over one
``httpx.AsyncClient`` and turns every way a call can fail into a
:class:`~services.core.errors.ConnectionFailure` whose ``kind`` says why, in a sentence that names the
provider. Tokens are held privately, sent only to ``base_url``'s origin, and never appear in a
message, a ``detail``, a log line or a ``repr``.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import math
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import urlsplit

import httpx

from services.core.errors import ConnectionFailure, FailureKind

T = TypeVar("T")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
QueryParams = Mapping[str, str | int | float | bool | Sequence[str] | None]


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each phase of a request (explicit: httpx's default is 5 s for all)."""

    connect: float = 5.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 5.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``max_attempts`` counts the first try. 429 is retried for every method (the provider did not
    act on the request) after ``Retry-After`` when that is at most ``max_retry_after`` seconds.
    A 429 without ``Retry-After`` waits for the provider's own signal (``rate_limit_wait``), capped
    the same way, else backs off. 5xx answers and dropped connections are retried only for idempotent
    methods, with exponential backoff (``backoff_base`` * 2**n, at most ``backoff_max``) plus up to
    ``jitter`` of it at random; a read timeout of an idempotent call is retried at most
    ``read_timeout_retries`` times (a slow answer rarely gets faster by asking often).
    """

    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    read_timeout_retries: int = 1

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return delay + random.uniform(0, delay * self.jitter)


@dataclass(frozen=True)
class TokenCheck:
    """The answer of a provider's ``check_token``: the token works for ``subject``."""

    provider: str
    subject: str
    scopes: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ActionAccepted:
    """A provider accepted a change (promote, rollback, rerun, cancel, purge...)."""

    provider: str
    action: str
    target: str
    status: int
    reference: str = ""


@dataclass(frozen=True)
class LinkRel:
    """One entry of an RFC 8288 ``Link`` header, with its parameters (``results``, ``cursor``...)."""

    url: str
    rel: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class LinkPages:
    """The JSON bodies of the pages read by :meth:`ProviderClient.link_pages`."""

    bodies: tuple[Any, ...]
    more: bool


class ItemList(tuple[T, ...], Generic[T]):
    """A list answer's items (a tuple, as before) that also says what it left out.

    ``skipped`` names the items that did not fit the expected shape: they are left out and the rest
    kept, so one odd item never fails a whole list. ``more`` is True when the list stopped at its
    page limit with pages left unread.
    """

    skipped: tuple[str, ...]
    more: bool

    def __new__(cls, items: Any = (), *, skipped: Sequence[str] = (), more: bool = False) -> ItemList[T]:
        self = super().__new__(cls, items)
        self.skipped = tuple(skipped)
        self.more = more
        return self


def parse_link_header(value: str | None) -> tuple[LinkRel, ...]:
    """Parse ``<url>; rel="next"; results="true"; cursor="x", <url2>; rel="prev"`` into entries."""
    if not value:
        return ()
    links: list[LinkRel] = []
    for part in _split_links(value):
        part = part.strip()
        if not part.startswith("<") or ">" not in part:
            continue
        url, _, rest = part[1:].partition(">")
        params: dict[str, str] = {}
        for item in rest.split(";"):
            key, sep, val = item.strip().partition("=")
            if sep:
                params[key.strip().lower()] = val.strip().strip('"')
        for rel in params.get("rel", "").split():
            links.append(LinkRel(url=url.strip(), rel=rel, params=params))
    return tuple(links)


def _split_links(value: str) -> list[str]:
    """Split on commas that are outside ``<...>`` and quotes (URLs may hold commas)."""
    parts: list[str] = []
    current: list[str] = []
    in_url = in_quote = False
    for char in value:
        if char == "<" and not in_quote:
            in_url = True
        elif char == ">" and not in_quote:
            in_url = False
        elif char == '"' and not in_url:
            in_quote = not in_quote
        if char == "," and not in_url and not in_quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def next_link(response: httpx.Response, *, require_results: bool = False) -> str | None:
    """The ``rel="next"`` URL of a response, or None. With ``require_results`` (Sentry), only when
    that link says ``results="true"``."""
    for link in parse_link_header(response.headers.get("link")):
        if link.rel == "next":
            if require_results and link.params.get("results", "").lower() != "true":
                return None
            return link.url
    return None


def ratelimit_header_wait(value: str | None) -> float | None:
    """The ``t`` (seconds until the quota resets) of an IETF ``RateLimit`` header such as
    ``"default";r=0;t=30``; with several policies, the longest wait among those with ``r=0``
    (or among all when none says so). None when absent or garbled."""
    if not value:
        return None
    waits: list[tuple[bool, float]] = []
    for item in value.split(","):
        params = dict(p.strip().partition("=")[::2] for p in item.split(";")[1:])
        try:
            wait = float(params.get("t", ""))
        except ValueError:
            continue
        if math.isfinite(wait) and wait >= 0:
            waits.append((params.get("r", "").strip() == "0", wait))
    exhausted = [w for empty, w in waits if empty]
    chosen = exhausted or [w for _, w in waits]
    return max(chosen) if chosen else None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP-date. None when absent/garbled."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


_DEFAULT_SSL: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context shared by all clients (building one costs ~50 ms: the CA bundle)."""
    global _DEFAULT_SSL
    if _DEFAULT_SSL is None:
        _DEFAULT_SSL = httpx.create_ssl_context()
    return _DEFAULT_SSL


class _Secret:
    """A token that will not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


class _TokenAuth(httpx.Auth):
    """Adds the Authorization header at send time, so no plain token sits in a request-building
    frame's locals (crash reporters capture those)."""

    def __init__(self, client: ProviderClient) -> None:
        self._client = client

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._client._auth_header()
        yield request

    def __repr__(self) -> str:
        return "<token auth>"


class ProviderClient:
    """Base of the provider API clients. Use as ``async with Client(token) as c: ...``."""

    provider: ClassVar[str] = "provider"  # key in ProviderSettings.api_base
    display_name: ClassVar[str] = "The provider"
    default_base_url: ClassVar[str] = ""
    auth_scheme: ClassVar[str] = "bearer"  # or "basic"
    extra_headers: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        username: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        verify: bool | ssl.SSLContext = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self._token = _Secret(token)
        self._username = username or ""
        self._auth = _TokenAuth(self)
        split = urlsplit(self.base_url)
        self.host = split.hostname or self.base_url
        self._origin = (split.scheme, split.netloc)
        headers = {"Accept": "application/json", "User-Agent": "realtor-ops-console", **self.extra_headers}
        self._http = httpx.AsyncClient(
            timeout=self.timeouts.to_httpx(),
            headers=headers,
            verify=default_ssl_context() if verify is True else verify,
            transport=transport,
            follow_redirects=False,
        )

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def answer_key(self) -> tuple[str, str]:
        """(base URL, a one-way digest of the credentials): equal for two clients that get the same answer
        to the same read, so that identical reads in flight at once can share one. Never the token."""
        return self.base_url, hashlib.sha256(self._auth_header().encode()).hexdigest()

    # -- requests -------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base_url + path

    def _auth_header(self) -> str:
        """The Authorization value; called only by ``_TokenAuth`` as a request goes out."""
        if self.auth_scheme == "basic":
            pair = f"{self._username}:{self._token.reveal()}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return "Bearer " + self._token.reveal()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json_body: Any = None,
        resource: str = "",
        action: str = "",
        ok: Sequence[int] = (200,),
    ) -> httpx.Response:
        """Send one call with retries; return the response when its status is in ``ok``.

        For messages, ``resource`` names what the call is about as a noun ("project
        'realtor-platform'") and ``action`` what it does as a verb ("promote deployment 'x'").
        """
        method = method.upper()
        url = self.url(path)
        split = urlsplit(url)
        if (split.scheme, split.netloc) != self._origin:
            raise ConnectionFailure(
                f"{self.display_name} pointed the console to another server ({split.netloc}); "
                "the token was not sent there",
                kind=FailureKind.PROTOCOL,
                target=self.host,
            )
        cleaned = _clean_params(params)
        query = httpx.QueryParams(cleaned) if cleaned else None
        attempt = read_timeouts = 0
        while True:
            attempt += 1
            try:
                response = await self._http.request(
                    method, url, params=query, json=json_body, auth=self._auth
                )
            except httpx.HTTPError as exc:
                failure = self._transport_failure(exc)
                if isinstance(exc, httpx.ReadTimeout):
                    read_timeouts += 1
                if attempt < self.retry.max_attempts and self._retry_transport(method, exc, read_timeouts):
                    await asyncio.sleep(self.retry.backoff(attempt))
                    continue
                raise failure from None
            if response.status_code in ok:
                return response
            delay = self._retry_delay(method, response, attempt)
            if delay is not None:
                await asyncio.sleep(delay)
                continue
            raise self.failure_for(response, resource=resource, action=action, attempts=attempt)

    async def get_json(self, path: str, *, params: QueryParams | None = None, resource: str = "") -> Any:
        response = await self.request("GET", path, params=params, resource=resource)
        return self.json_of(response)

    async def link_pages(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        max_pages: int = 10,
        require_results: bool = False,
        resource: str = "",
    ) -> LinkPages:
        """GET ``path`` and follow ``Link: rel="next"`` up to ``max_pages`` pages.

        With ``require_results`` (Sentry's cursors) a next link counts only while it says
        ``results="true"``. ``more`` tells whether pages were left unread.
        """
        bodies: list[Any] = []
        url: str | None = path
        query = params
        while url is not None and len(bodies) < max_pages:
            response = await self.request("GET", url, params=query, resource=resource)
            bodies.append(self.json_of(response))
            url = next_link(response, require_results=require_results)
            query = None  # the next link carries its own query
        return LinkPages(bodies=tuple(bodies), more=url is not None)

    def json_of(self, response: httpx.Response) -> Any:
        if not response.content.strip():
            raise self.protocol_failure("the answer was empty")
        try:
            return response.json()
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep, a 5,000-digit number
            kind = response.headers.get("content-type", "no content type")
            raise self.protocol_failure(f"the answer was not JSON ({kind})") from None

    def parse(self, what: str, parser: Callable[[Any], T], body: Any) -> T:
        """Run ``parser`` on a decoded body; a missing or mistyped field becomes a PROTOCOL failure."""
        try:
            return parser(body)
        except _SHAPE_ERRORS as exc:
            if isinstance(exc, KeyError):
                reason = f"field {exc} is missing"
            else:
                reason = f"{type(exc).__name__}: {exc}"
            shape = f"{what} did not have the expected shape ({self.scrub(reason)})"
            raise self.protocol_failure(shape) from None

    def parse_items(
        self, what: str, items: Any, parser: Callable[[Any], T], *, name: str = "item"
    ) -> tuple[list[T], list[str]]:
        """Parse each element of a list answer. One that does not fit (null, a missing field, a
        value out of range) is left out and described in the second list; the rest are kept.
        ``items`` that is not a list at all is a PROTOCOL failure."""
        if not isinstance(items, list):
            raise self.protocol_failure(f"{what} was not a list")
        out: list[T] = []
        skipped: list[str] = []
        for index, item in enumerate(items):
            try:
                if item is None:
                    raise ValueError("it is empty (null)")
                out.append(parser(item))
            except _SHAPE_ERRORS as exc:
                ident = item.get("id") or item.get("uid") if isinstance(item, dict) else None
                label = f"{name} '{self.scrub(str(ident))[:60]}'" if isinstance(ident, (str, int)) and ident != "" else f"{name} #{index + 1}"
                reason = f"field {exc} is missing" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
                skipped.append(f"{label} of {what} was skipped: {self.scrub(reason)[:160]}")
        return out, skipped

    def protocol_failure(self, what: str) -> ConnectionFailure:
        return ConnectionFailure(
            f"{self.display_name} sent an answer the console does not understand: {what}",
            kind=FailureKind.PROTOCOL,
            target=self.host,
            hint="The provider's API may have changed; update the console",
        )

    # -- retries --------------------------------------------------------------------------------

    def _retry_transport(self, method: str, exc: httpx.HTTPError, read_timeouts: int = 0) -> bool:
        if isinstance(exc, httpx.ConnectTimeout):
            return True  # nothing was sent yet
        if isinstance(exc, httpx.ReadTimeout):
            return method in IDEMPOTENT_METHODS and read_timeouts <= self.retry.read_timeout_retries
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return method in IDEMPOTENT_METHODS
        return False

    def _retry_delay(self, method: str, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this answer, or None to give up now."""
        status = response.status_code
        if attempt >= self.retry.max_attempts:
            return None
        if status == 429 or self.is_rate_limited(response):
            wait = self.rate_limit_wait(response)
            if wait is None:
                return self.retry.backoff(attempt)
            return wait if wait <= self.retry.max_retry_after else None
        if status >= 500 and method in IDEMPOTENT_METHODS:
            wait = parse_retry_after(response.headers.get("retry-after"))
            if wait is not None and wait <= self.retry.max_retry_after:
                return max(wait, self.retry.backoff(attempt))
            return self.retry.backoff(attempt)
        return None

    def is_rate_limited(self, response: httpx.Response) -> bool:
        """Whether a non-429 answer is really a rate limit (GitHub answers 403 for that)."""
        return False

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds the provider asks to wait: ``Retry-After``, else the IETF ``RateLimit`` header's
        ``t`` (Cloudflare: ``"default";r=0;t=30``), else ``RateLimit-Reset``/``X-RateLimit-Reset``
        (seconds to wait, or a Unix time). Subclasses add their own signals."""
        headers = response.headers
        wait = parse_retry_after(headers.get("retry-after"))
        if wait is None:
            wait = ratelimit_header_wait(headers.get("ratelimit"))
        for name in ("ratelimit-reset", "x-ratelimit-reset"):
            if wait is None:
                wait = reset_wait(headers.get(name))
        return wait

    # -- failures -------------------------------------------------------------------------------

    def provider_message(self, response: httpx.Response) -> str:
        """The provider's own error text from an error body, scrubbed and shortened ('' if none)."""
        try:
            body = response.json()
        except (ValueError, RecursionError):
            text = response.text.strip()
            return self.scrub(text[:200]) if text and "<" not in text[:1] else ""
        return self.scrub(_message_from_body(body)[:300])

    def scrub(self, text: str) -> str:
        token = self._token.reveal()
        if token and token in text:
            text = text.replace(token, "***")
        return text

    def failure_for(
        self, response: httpx.Response, *, resource: str = "", action: str = "", attempts: int = 1
    ) -> ConnectionFailure:
        """The typed failure for an answer whose status was not expected."""
        status = response.status_code
        name = self.display_name
        said = self.provider_message(response)
        detail = f"{response.request.method} {response.request.url.path} -> {status}" + (
            f": {said}" if said else ""
        )
        common: dict[str, Any] = {"target": self.host, "status": status, "detail": detail}
        what = resource or "this request"
        if status == 429 or self.is_rate_limited(response):
            wait = self.rate_limit_wait(response)
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

    def _transport_failure(self, exc: httpx.HTTPError) -> ConnectionFailure:
        host, name = self.host, self.display_name
        detail = self.scrub(f"{type(exc).__name__}: {exc}")
        chain = _cause_chain(exc)
        if isinstance(exc, httpx.TimeoutException):
            phase, limit = _timeout_phase(exc, self.timeouts)
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
                    f"{host} refused the connection: nothing is listening at {self.base_url}",
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


# What a parser may raise on an answer of an unexpected shape or with values out of range.
_SHAPE_ERRORS = (
    KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError, OSError, RecursionError
)


def from_seconds(value: Any) -> datetime | None:
    """A Unix timestamp (seconds) as an aware datetime. None, and a number no calendar can hold
    (2**63 - 1, 1e308, infinity from ``1e400``), are unknown: None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_millis(value: Any) -> datetime | None:
    """A JavaScript timestamp (ms since the epoch) as an aware datetime; None and out-of-range
    numbers are unknown (None)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = value / 1000 if isinstance(value, float) else value // 1000 + (value % 1000) / 1000
        except OverflowError:  # an integer of hundreds of digits (JSON allows it)
            return None
        return from_seconds(seconds) if math.isfinite(seconds) else None
    return from_seconds(value)


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?([Zz]|[+-]\d{2}:?\d{2})?"
)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 string as an aware datetime (UTC when it has no offset).

    Accepts what RFC 3339 allows and ``fromisoformat`` does not: lower-case ``t``/``z``, a leap
    second (``23:59:60``, read as ``23:59:59``), more than six fractional digits. A date the
    calendar cannot hold (year 0) is unknown (None); text that is no date at all is a ValueError.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {type(value).__name__}")
    found = _RFC3339.fullmatch(value.strip())
    if found is None:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        raise ValueError(f"'{value[:40]}' is not a valid date and time")
    micro = int((found.group(7) or "0")[:6].ljust(6, "0"))
    zone = found.group(8)
    tz = UTC
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise ValueError(f"'{value[:40]}' has an impossible UTC offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz)
    except ValueError:
        if year == 0:
            return None  # RFC 3339 allows year 0000; Python's calendar starts at year 1
        raise


def as_id(value: Any, what: str = "id") -> str:
    """An identifier from an answer (a string or a whole number); anything else, or empty, is a
    ValueError: an item without a usable id cannot be told apart, so a list skips it."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ValueError(f"it has no usable {what}")
    return str(value)


def as_object(value: Any) -> dict[str, Any]:
    """An optional nested object of an answer: ``{}`` when it is absent, null or not an object."""
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int | None:
    """A count or size from an answer: None when absent or beyond what a number can be (``1e400``
    arrives as infinity); a string of digits is accepted. Anything else is a TypeError/ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return as_int(float(value)) if value.strip() else None
    raise TypeError(f"expected a number, got {type(value).__name__}")


def as_float(value: Any) -> float | None:
    """Like :func:`as_int` for measures: None when absent or not finite (or beyond a float)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, (int, float, str)):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    raise TypeError(f"expected a number, got {type(value).__name__}")


def reset_wait(value: Any, *, now: float | None = None) -> float | None:
    """Seconds until a rate limit's reset given as a number: a Unix time in seconds or milliseconds
    (Vercel, GitHub, Sentry), or seconds to wait when small. None when absent or garbled."""
    if isinstance(value, str):
        value = value.strip()
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    current = time.time() if now is None else now
    if number > 1e12:  # milliseconds since the epoch
        return max(0.0, number / 1000 - current)
    if number > 1e9:  # seconds since the epoch
        return max(0.0, number - current)
    return number


def _clean_params(params: QueryParams | None) -> list[tuple[str, str | int | float | bool | None]]:
    out: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif isinstance(value, (list, tuple)):
            out.extend((key, str(v)) for v in value)
        else:
            out.append((key, str(value)))
    return out


def _message_from_body(body: Any) -> str:
    """Pull an error sentence out of the usual error shapes of the providers."""
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]  # Vercel
    if isinstance(error, str):
        return error
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict) and isinstance(first.get("message"), str):
            return first["message"]  # Cloudflare
        if isinstance(first, str):
            return first
    if isinstance(errors, str):
        return errors  # Better Stack
    for key in ("message", "detail", "msg"):
        if isinstance(body.get(key), str):
            return body[key]  # GitHub, Sentry, Supabase
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

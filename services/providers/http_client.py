"""The shared HTTP layer of the provider clients: auth, timeouts, bounded retries, typed failures.

Every provider client subclasses :class:`ProviderClient`. It talks to ``base_url`` (the provider's
own API, or a stand-in / proxy from the workspace's ``api_base`` overrides) over one
``httpx.AsyncClient`` and turns every way a call can fail into a
:class:`~services.core.errors.ConnectionFailure` whose ``kind`` says why, in a sentence that names the
provider. Tokens are held privately, sent only to ``base_url``'s origin, and never appear in a
message, a ``detail``, a log line or a ``repr``.

Its parts: timeouts and the retry policy (``http_policy``), the failure sentences (``http_failures``),
the headers that steer paging and retries (``http_headers``), readers of answer fields (``answer_fields``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import urlsplit

import httpx

from services.core.errors import ConnectionFailure, FailureKind
from services.providers.answer_fields import SHAPE_ERRORS
from services.providers.http_failures import message_from_body, status_failure, transport_failure
from services.providers.http_headers import next_link, parse_retry_after, ratelimit_header_wait, reset_wait
from services.providers.http_policy import IDEMPOTENT_METHODS, RetryPolicy, Timeouts

T = TypeVar("T")
QueryParams = Mapping[str, str | int | float | bool | Sequence[str] | None]


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
class LinkPages:
    """The JSON bodies of the pages read by :meth:`ProviderClient.link_pages`."""

    bodies: tuple[Any, ...]
    more: bool


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
                if attempt < self.retry.max_attempts and self.retry.retries_transport(method, exc, read_timeouts):
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
        except SHAPE_ERRORS as exc:
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
            except SHAPE_ERRORS as exc:
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
        return self.scrub(message_from_body(body)[:300])

    def scrub(self, text: str) -> str:
        token = self._token.reveal()
        if token and token in text:
            text = text.replace(token, "***")
        return text

    def failure_for(
        self, response: httpx.Response, *, resource: str = "", action: str = "", attempts: int = 1
    ) -> ConnectionFailure:
        """The typed failure for an answer whose status was not expected."""
        said = self.provider_message(response)
        rate_limited = response.status_code == 429 or self.is_rate_limited(response)
        wait = self.rate_limit_wait(response) if rate_limited else None
        return status_failure(response, name=self.display_name, host=self.host, said=said, resource=resource,
                              action=action, attempts=attempts, rate_limited=rate_limited, wait=wait)

    def _transport_failure(self, exc: httpx.HTTPError) -> ConnectionFailure:
        return transport_failure(exc, name=self.display_name, host=self.host, base_url=self.base_url,
                                 timeouts=self.timeouts, detail=self.scrub(f"{type(exc).__name__}: {exc}"))


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


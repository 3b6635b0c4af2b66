"""Fetch a site the way the Observatory's retriever does (``src/retriever/*.js`` at v1.6.3), so that
:mod:`services.health.observatory` can grade it.

Two sessions run side by side: one from ``https://host/`` and one from ``http://host/`` (with the
app URL's port and path). Each follows redirects itself (301, 302, 303, 307, 308; at most 10), so the
whole chain is known; the graded page is the end of the https chain when https answered, else of the
http chain. A certificate the client does not trust is retried without verification and marked
unverified, as the Observatory does. Cookies are collected from every response of the graded chain.
Then one CORS preflight (OPTIONS with the Observatory's Origin) goes to the graded page.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from services.health.observatory import Hop, ScanInput, SeenResponse
from services.health.observatory.model import CORS_ORIGIN

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Enough for any real page's <head> and scripts; the rest of a huge page is not read.
BODY_LIMIT = 2_000_000
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class FetchFailed(Exception):
    """Neither http nor https answered; ``cause`` is the https attempt's error (or http's)."""

    def __init__(self, cause: httpx.HTTPError) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True)
class Chain:
    hops: tuple[Hop, ...]
    final: SeenResponse
    cookies: tuple[tuple[str, str], ...]


def _is_cert_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


async def _get(client: httpx.AsyncClient, url: str, timeout: float) -> tuple[httpx.Response, str]:
    request = client.build_request("GET", url, headers={"Accept": ACCEPT}, timeout=timeout)
    response = await client.send(request, stream=True)
    try:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk[: BODY_LIMIT - len(body)])
            if len(body) >= BODY_LIMIT:
                break
    finally:
        await response.aclose()
    return response, bytes(body).decode(response.encoding or "utf-8", errors="replace")


async def follow(client: httpx.AsyncClient, start: str, timeout: float, *, verified: bool = True) -> Chain:
    """GET ``start`` and every redirect after it (at most :data:`MAX_REDIRECTS`)."""
    hops: list[Hop] = []
    cookies: list[tuple[str, str]] = []
    url = start
    while True:
        response, body = await _get(client, url, timeout)
        location = response.headers.get("location", "")
        hops.append(Hop(url, response.status_code, location))
        cookies.extend((url, value) for value in response.headers.get_list("set-cookie"))
        if response.status_code in REDIRECT_STATUSES and location and len(hops) <= MAX_REDIRECTS:
            url = urljoin(url, location)
            continue
        final = SeenResponse(url, response.status_code, tuple(response.headers.multi_items()), body, verified)
        return Chain(tuple(hops), final, tuple(cookies))


class _Unverified:
    """A client that does not check certificates, made only when a certificate fails."""

    def __init__(self, headers: httpx.Headers) -> None:
        self.headers = headers
        self.client: httpx.AsyncClient | None = None

    def get(self) -> httpx.AsyncClient:
        if self.client is None:
            # The Observatory grades such a site too (marking it unverified); nothing secret is sent.
            self.client = httpx.AsyncClient(verify=False, follow_redirects=False, headers=self.headers)  # noqa: S501
        return self.client

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


async def _session(client: httpx.AsyncClient, start: str, timeout: float, unverified: _Unverified) -> Chain:
    try:
        return await follow(client, start, timeout)
    except httpx.HTTPError as exc:
        if not _is_cert_error(exc):
            raise
    return await follow(unverified.get(), start, timeout, verified=False)


def start_urls(app_url: str) -> tuple[str, str, str]:
    """(host, https start URL, http start URL) for an app URL; its port stays with its own scheme."""
    parts = urlsplit(app_url if "://" in app_url else "https://" + app_url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    netloc = f"[{host}]" if ":" in host else host

    def url(scheme: str) -> str:
        port = f":{parts.port}" if parts.port and scheme == parts.scheme else ""
        return urlunsplit((scheme, netloc + port, path, parts.query, ""))

    return host, url("https"), url("http")


async def fetch_scan(app_url: str, client: httpx.AsyncClient, timeout: float) -> ScanInput:
    """Everything the Observatory's scan of ``app_url``'s host would look at."""
    host, https_url, http_url = start_urls(app_url)
    unverified = _Unverified(client.headers)
    try:
        outcomes = await asyncio.gather(_session(client, https_url, timeout, unverified),
                                        _session(client, http_url, timeout, unverified), return_exceptions=True)
        https_chain, http_chain = (o if isinstance(o, Chain) else None for o in outcomes)
        if https_chain is None and http_chain is None:
            errors = [o for o in outcomes if isinstance(o, httpx.HTTPError)]
            if errors:
                # The app URL's own scheme says which failure the user cares about.
                own = errors[0] if app_url.startswith("https") or len(errors) == 1 else errors[1]
                raise FetchFailed(own)
            raise next(o for o in outcomes if isinstance(o, BaseException))
        auto, start = (https_chain, https_url) if https_chain is not None else (http_chain, http_url)
        assert auto is not None
        cors = await _preflight(unverified.get() if not auto.final.verified else client, auto.final.url, timeout)
    finally:
        await unverified.aclose()
    return ScanInput(
        host=host, auto=auto.final, auto_start_url=start,
        https=https_chain.final if https_chain else None, http=http_chain.final if http_chain else None,
        http_chain=http_chain.hops if http_chain else (), auto_chain=auto.hops, cookies=auto.cookies,
        cors=cors, cors_origin_sent=CORS_ORIGIN)


async def _preflight(client: httpx.AsyncClient, url: str, timeout: float) -> SeenResponse | None:
    try:
        response = await client.request("OPTIONS", url, timeout=timeout, follow_redirects=True,
                                        headers={"Access-Control-Request-Method": "GET", "Origin": CORS_ORIGIN})
    except httpx.HTTPError:
        return None
    return SeenResponse(str(response.url), response.status_code, tuple(response.headers.multi_items()))

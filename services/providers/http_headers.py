"""The HTTP headers of provider answers that steer the client: ``Link`` pagination (RFC 8288),
``Retry-After``, the IETF ``RateLimit`` header and the providers' ``*RateLimit-Reset`` times."""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class LinkRel:
    """One entry of an RFC 8288 ``Link`` header, with its parameters (``results``, ``cursor``...)."""

    url: str
    rel: str
    params: Mapping[str, str]


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

"""How long a provider call may take and how often it is tried again: the timeouts of each phase and the
retry policy (which failures are retried, after how long)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
        delay = min(self.backoff_max, self.backoff_base * (2.0 ** (attempt - 1)))
        return delay + random.uniform(0, delay * self.jitter)

    def retries_transport(self, method: str, exc: httpx.HTTPError, read_timeouts: int = 0) -> bool:
        """Whether a call that got no answer is tried again (``read_timeouts``: read timeouts so far)."""
        if isinstance(exc, httpx.ConnectTimeout):
            return True  # nothing was sent yet
        if isinstance(exc, httpx.ReadTimeout):
            return method in IDEMPOTENT_METHODS and read_timeouts <= self.read_timeout_retries
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return method in IDEMPOTENT_METHODS
        return False

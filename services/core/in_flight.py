"""Identical reads asked for at the same time share one: the first caller starts it, the callers that come
within ``join_s`` of its start wait for the same answer (the timelines of two environments on one
repository ask GitHub once, not twice). A caller after that, or after the read has ended, reads anew, so an
answer is never older than the caller's question by more than ``join_s``. The read is cancelled when every
caller waiting for it has been cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class InFlight(Generic[T]):
    def __init__(self, join_s: float = 0.5) -> None:
        self.join_s = join_s
        self._reads: dict[tuple[Hashable, ...], tuple[asyncio.Future[T], list[int], float]] = {}

    async def read(self, key: tuple[Hashable, ...], start: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        full = (id(loop), *key)
        entry = self._reads.get(full)
        if entry is None or loop.time() - entry[2] > self.join_s:
            future: asyncio.Future[T] = asyncio.ensure_future(start())
            entry = self._reads[full] = (future, [0], loop.time())

            def forget(done: asyncio.Future[Any], full: tuple[Hashable, ...] = full) -> None:
                if self._reads.get(full, (None,))[0] is done:
                    del self._reads[full]

            future.add_done_callback(forget)
        future, waiting, _ = entry
        waiting[0] += 1
        try:
            return await asyncio.shield(future)  # one caller cancelled does not cancel the others' read
        finally:
            waiting[0] -= 1
            if not waiting[0] and not future.done():
                future.cancel()

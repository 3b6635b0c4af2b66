"""Identical reads asked for at the same time share one: the first caller starts it, the callers that come
within ``join_s`` of its start wait for the same answer (the timelines of two environments on one
repository ask GitHub once, not twice). A caller after that, or after the read has ended, reads anew, so an
answer is never older than the caller's question by more than ``join_s``. The read is cancelled when every
caller waiting for it has been cancelled.

A read in two steps (a listing, then details of some of its items) may tell its callers the first step's
answer before the second ends: ``read_early`` hands the read a ``tell`` function, and every caller that
passed ``on_early`` hears what it was told, a caller joining later at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from services.core.concurrency import tell

T = TypeVar("T")
Tell = Callable[[Any], None]


@dataclass
class _Read(Generic[T]):
    future: asyncio.Future[T]
    started: float
    waiting: int = 0
    told: list[Any] = field(default_factory=list)  # the last early answer, once there is one
    listeners: list[Tell] = field(default_factory=list)

    def tell(self, value: Any) -> None:
        self.told[:] = [value]
        for listener in list(self.listeners):
            tell(listener, value)


class InFlight(Generic[T]):
    def __init__(self, join_s: float = 0.5) -> None:
        self.join_s = join_s
        self._reads: dict[tuple[Hashable, ...], _Read[T]] = {}

    def forget_all(self) -> None:
        """What changed the data these reads read: callers from now on read anew (those waiting already
        keep their read). Safe from any thread (one dict operation)."""
        self._reads.clear()

    async def read(self, key: tuple[Hashable, ...], start: Callable[[], Awaitable[T]]) -> T:
        return await self.read_early(key, lambda _tell: start())

    async def read_early(self, key: tuple[Hashable, ...], start: Callable[[Tell], Awaitable[T]],
                         on_early: Tell | None = None) -> T:
        loop = asyncio.get_running_loop()
        full = (id(loop), *key)
        entry = self._reads.get(full)
        if entry is None or loop.time() - entry.started > self.join_s:
            told: list[_Read[T]] = []  # the read tells its own callers, even once a newer read took the key
            future: asyncio.Future[T] = asyncio.ensure_future(start(lambda value: told[0].tell(value)))
            entry = self._reads[full] = _Read(future, loop.time())
            told.append(entry)

            def forget(done: asyncio.Future[Any], full: tuple[Hashable, ...] = full) -> None:
                current = self._reads.get(full)
                if current is not None and current.future is done:
                    del self._reads[full]

            future.add_done_callback(forget)
        entry.waiting += 1
        if on_early is not None:
            entry.listeners.append(on_early)
            if entry.told:
                tell(on_early, entry.told[-1])
        try:
            return await asyncio.shield(entry.future)  # one caller cancelled does not cancel the others' read
        finally:
            entry.waiting -= 1
            if on_early is not None:
                entry.listeners.remove(on_early)
            if not entry.waiting and not entry.future.done():
                entry.future.cancel()

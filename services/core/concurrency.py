"""``settle``: run awaitables concurrently and own every one of them to its end.

``asyncio.gather`` returns at the first failure and leaves the others running with nobody awaiting
them: requests still in flight after their caller gave up, a card updated by a load that was replaced,
a client closed under a sibling still using it. ``settle`` waits for all of them, then raises the first
failure (in argument order); cancelling it cancels them all and waits for them (as gather does). The Qt
tests fail a test that leaves such work running, which is how the gathers that did were found.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

_A = TypeVar("_A")
_B = TypeVar("_B")
_C = TypeVar("_C")
_D = TypeVar("_D")


@overload
async def settle(a: Awaitable[_A], /) -> tuple[_A]: ...
@overload
async def settle(a: Awaitable[_A], b: Awaitable[_B], /) -> tuple[_A, _B]: ...
@overload
async def settle(a: Awaitable[_A], b: Awaitable[_B], c: Awaitable[_C], /) -> tuple[_A, _B, _C]: ...
@overload
async def settle(a: Awaitable[_A], b: Awaitable[_B], c: Awaitable[_C], d: Awaitable[_D], /
                 ) -> tuple[_A, _B, _C, _D]: ...
@overload
async def settle(*aws: Awaitable[_A]) -> tuple[_A, ...]: ...


async def settle(*aws: Awaitable[Any]) -> tuple[Any, ...]:
    results = await asyncio.gather(*aws, return_exceptions=True)
    for outcome in results:
        if isinstance(outcome, BaseException):
            raise outcome
    return tuple(results)


def tell(listener: Callable[[_A], object] | None, value: _A) -> None:
    """Give a caller's listener an early answer. A listener that fails is logged and left out: an early
    answer is a courtesy, and a screen's bug must not fail the read that other callers wait for."""
    if listener is None:
        return
    try:
        listener(value)
    except Exception:
        logging.getLogger(__name__).exception("a listener of an early answer failed")

"""``settle`` owns every awaitable to its end: a failure is raised only after the others finished, so
nothing keeps running unowned (what ``asyncio.gather`` does), and a cancel reaches them all."""

from __future__ import annotations

import asyncio

import pytest

from services.core.concurrency import settle


async def test_a_failure_is_raised_after_the_others_finished_and_none_is_left_running() -> None:
    finished: list[str] = []

    async def slow(name: str, delay: float) -> str:
        await asyncio.sleep(delay)
        finished.append(name)
        return name

    async def fails() -> str:
        await asyncio.sleep(0.01)
        raise ValueError("the card's source failed")

    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="source failed"):
        await settle(slow("a", 0.05), fails(), slow("b", 0.1))
    assert finished == ["a", "b"]
    assert asyncio.all_tasks() - before - {asyncio.current_task()} == set()


async def test_gather_would_have_left_a_sibling_running() -> None:
    # The behaviour settle exists to avoid, shown on asyncio.gather itself.
    async def fails() -> None:
        raise ValueError("x")

    sibling = asyncio.ensure_future(asyncio.sleep(0.2))
    with pytest.raises(ValueError):
        await asyncio.gather(fails(), sibling)
    assert not sibling.done()
    sibling.cancel()


async def test_results_keep_their_order_and_the_first_failure_in_argument_order_wins() -> None:
    async def value(v: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return v

    assert await settle(value(1, 0.03), value(2, 0.0), value(3, 0.01)) == (1, 2, 3)

    async def boom(kind: type[Exception], delay: float) -> int:
        await asyncio.sleep(delay)
        raise kind("boom")

    with pytest.raises(KeyError):
        await settle(boom(KeyError, 0.03), boom(ValueError, 0.0))
    assert await settle() == ()


async def test_cancelling_settle_cancels_every_awaitable() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def forever(name: str) -> None:
        try:
            started.set()
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    task = asyncio.ensure_future(settle(forever("a"), forever("b")))
    await started.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(cancelled) == ["a", "b"]

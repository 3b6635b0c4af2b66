"""Identical reads in flight at once share one; nothing is kept after; a cancelled caller does not cancel
the read the others wait for, and the last one gone cancels it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from services.core.in_flight import InFlight


async def test_reads_at_once_share_one_and_later_ones_read_anew() -> None:
    shared: InFlight[str] = InFlight()
    started: list[str] = []
    release = asyncio.Event()

    async def read(what: str) -> str:
        started.append(what)
        await release.wait()
        return what

    first = asyncio.ensure_future(shared.read(("a",), lambda: read("first")))
    second = asyncio.ensure_future(shared.read(("a",), lambda: read("second")))
    other = asyncio.ensure_future(shared.read(("b",), lambda: read("other key")))
    for _ in range(3):
        await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(first, second, other) == ["first", "first", "other key"]
    assert sorted(started) == ["first", "other key"]
    assert await shared.read(("a",), lambda: read("later")) == "later"


async def test_a_cancelled_caller_leaves_the_read_to_the_others_and_the_last_one_cancels_it() -> None:
    shared: InFlight[str] = InFlight()
    release = asyncio.Event()
    cancelled = asyncio.Event()

    async def read() -> str:
        try:
            await release.wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "answer"

    first = asyncio.ensure_future(shared.read(("k",), read))
    second = asyncio.ensure_future(shared.read(("k",), read))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == "answer"
    with pytest.raises(asyncio.CancelledError):
        await first
    release.clear()
    lonely = asyncio.ensure_future(shared.read(("k",), read))
    await asyncio.sleep(0)
    lonely.cancel()
    with pytest.raises(asyncio.CancelledError):
        await lonely
    await asyncio.wait_for(cancelled.wait(), 1)


async def test_a_caller_after_the_join_window_reads_anew_even_while_the_first_read_runs() -> None:
    shared: InFlight[str] = InFlight(join_s=0.05)
    release = asyncio.Event()

    async def read(what: str) -> str:
        await release.wait()
        return what

    first = asyncio.ensure_future(shared.read(("k",), lambda: read("asked first")))
    await asyncio.sleep(0.1)
    second = asyncio.ensure_future(shared.read(("k",), lambda: read("asked later")))
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(first, second) == ["asked first", "asked later"]


async def test_every_caller_hears_the_early_answer_of_the_read_it_shares() -> None:
    """A read in two steps tells its first step's answer to each caller waiting for it (one joining after
    it was told hears it at once); a read that took the key later tells only its own callers."""
    shared: InFlight[str] = InFlight(join_s=0.05)
    step_two = asyncio.Event()
    heard: dict[str, list[str]] = {"first": [], "joined": [], "late": [], "newer": []}

    async def two_steps(tell: Callable[[str], None], name: str) -> str:
        tell(f"{name}: listed")
        await step_two.wait()
        return f"{name}: detailed"

    first = asyncio.ensure_future(shared.read_early(("k",), lambda tell: two_steps(tell, "A"),
                                                    heard["first"].append))
    joined = asyncio.ensure_future(shared.read_early(("k",), lambda tell: two_steps(tell, "unused"),
                                                     heard["joined"].append))
    for _ in range(3):
        await asyncio.sleep(0)
    assert heard["first"] == heard["joined"] == ["A: listed"]
    late = asyncio.ensure_future(shared.read_early(("k",), lambda tell: two_steps(tell, "unused"),
                                                   heard["late"].append))
    await asyncio.sleep(0)
    assert heard["late"] == ["A: listed"]  # joined after it was told: hears it at once
    await asyncio.sleep(0.1)  # past the join window: a newer read of the same key
    newer = asyncio.ensure_future(shared.read_early(("k",), lambda tell: two_steps(tell, "B"),
                                                    heard["newer"].append))
    for _ in range(3):
        await asyncio.sleep(0)
    assert heard["newer"] == ["B: listed"] and heard["first"] == ["A: listed"]
    step_two.set()
    assert await asyncio.gather(first, joined, late, newer) == ["A: detailed"] * 3 + ["B: detailed"]


async def test_a_failing_listener_does_not_fail_the_read_it_listens_to() -> None:
    shared: InFlight[str] = InFlight()
    heard: list[str] = []

    async def two_steps(tell: Callable[[str], None]) -> str:
        tell("listed")
        await asyncio.sleep(0)
        return "detailed"

    def broken(_value: str) -> None:
        raise RuntimeError("a screen's bug")

    first = asyncio.ensure_future(shared.read_early(("k",), two_steps, broken))
    second = asyncio.ensure_future(shared.read_early(("k",), two_steps, heard.append))
    assert await asyncio.gather(first, second) == ["detailed", "detailed"]
    assert heard == ["listed"]

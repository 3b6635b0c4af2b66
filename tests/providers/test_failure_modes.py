"""Every provider client against its stand-in, through every way a call can fail. The validator
checks each request and answer against the provider's OpenAPI file (see conftest)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from services.core.errors import ConnectionFailure, FailureKind
from services.providers import Timeouts
from tests.providers.conftest import Case, Standins


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _fails(case: Case, client: object, call: str = "probe") -> ConnectionFailure:
    with pytest.raises(ConnectionFailure) as info:
        await getattr(case, call)(client)
    return info.value


def _names_provider(failure: ConnectionFailure, client: object) -> None:
    name = type(client).display_name  # type: ignore[attr-defined]
    assert name in failure.message or failure.target in failure.message, failure.message


async def test_happy_probe(case: Case, standins: Standins) -> None:
    server, validator = standins.start(case.name)
    async with standins.client(case.name, server) as client:
        await case.probe(client)
    assert validator.checked


async def test_revoked_token_is_auth(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    async with standins.client(case.name, server, secret=case.revoked) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.AUTH
    assert failure.status == 401
    assert "rejected the token (401)" in failure.message
    _names_provider(failure, client)
    assert len(server.log) == 1, "a 401 is not retried"


async def test_wrong_token_is_auth(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    async with standins.client(case.name, server, secret="not-a-real-token") as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.AUTH


async def test_token_lacking_scope_is_permission(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    async with standins.client(case.name, server, secret=case.limited) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.PERMISSION
    assert failure.status == 403
    assert "lacks permission" in failure.message
    _names_provider(failure, client)


async def test_missing_resource_is_not_found(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    async with standins.client(case.name, server) as client:
        failure = await _fails(case, client, "missing")
    assert failure.kind is FailureKind.NOT_FOUND
    assert failure.status == 404
    _names_provider(failure, client)


async def test_429_with_short_retry_after_is_retried(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(status=429, retry_after="0.05", times=1)
    async with standins.client(case.name, server) as client:
        await case.probe(client)
    assert server.log[0][2] == 429
    assert server.log[1][2] == 200
    assert server.log[0][:2] == server.log[1][:2], "the same request was sent again"


async def test_429_with_long_retry_after_fails_rate_limited(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(status=429, retry_after="120", times=1)
    async with standins.client(case.name, server) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.RATE_LIMITED
    assert failure.retry_after == pytest.approx(120)
    assert "120 seconds" in failure.message
    assert len(server.log) == 1, "no retry when Retry-After is beyond the cap"


async def test_429_every_time_gives_up_after_max_attempts(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(status=429, retry_after="0.01", times=10)
    async with standins.client(case.name, server) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.RATE_LIMITED
    assert len(server.log) == 3


async def test_500_is_retried_then_succeeds(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(status=500, times=1)
    async with standins.client(case.name, server) as client:
        await case.probe(client)
    assert [status for _, _, status in server.log[:2]] == [500, 200]


async def test_500_every_time_is_a_clear_server_error(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(status=500, times=10)
    async with standins.client(case.name, server) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.SERVER_ERROR
    assert failure.status == 500
    assert "after 3 attempts" in failure.message
    _names_provider(failure, client)
    assert len(server.log) == 3


async def test_503_is_retried(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(status=503, retry_after="0.02", times=2)
    async with standins.client(case.name, server) as client:
        await case.probe(client)
    assert [status for _, _, status in server.log[:3]] == [503, 503, 200]


async def test_slow_answer_is_timeout(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(delay=0.6, times=2)
    timeouts = Timeouts(connect=1.0, read=0.15, write=1.0, pool=1.0)
    async with standins.client(case.name, server, timeouts=timeouts) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.TIMEOUT
    assert "(timeout)" in failure.message
    _names_provider(failure, client)
    await _settled(server, 2)
    assert len(server.log) == 2, "a read that timed out is asked once more, not again and again"


async def test_one_slow_answer_to_a_read_is_retried_once(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(delay=0.6, times=1)
    timeouts = Timeouts(connect=1.0, read=0.15, write=1.0, pool=1.0)
    async with standins.client(case.name, server, timeouts=timeouts) as client:
        await case.probe(client)
    for _ in range(100):  # the slow answer is logged when the stand-in sends it, after the retry
        asked = [entry[:2] for entry in server.log]
        if any(asked.count(request) == 2 for request in asked):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError(f"the slow read was not asked again: {server.log}")


async def _settled(server: object, count: int) -> None:
    """Wait until the stand-in logged ``count`` requests (a delayed answer logs when it is sent)."""
    for _ in range(100):
        if len(server.log) >= count:  # type: ignore[attr-defined]
            return
        await asyncio.sleep(0.02)


async def test_dropped_connection_is_retried_for_reads(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(drop=True, times=1)
    async with standins.client(case.name, server) as client:
        await case.probe(client)
    assert server.log[0][2] is None and server.log[1][2] == 200


async def test_dropped_connection_every_time_is_dropped(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    server.inject(drop=True, times=10)
    async with standins.client(case.name, server) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.DROPPED
    assert "closed the connection without answering" in failure.message
    assert len(server.log) == 3


async def test_refused_port(case: Case, standins: Standins) -> None:
    async with standins.client(case.name, base_url=f"http://127.0.0.1:{_free_port()}") as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.REFUSED
    assert "127.0.0.1 refused the connection" in failure.message


async def test_unresolvable_host(case: Case, standins: Standins) -> None:
    async with standins.client(case.name, base_url="http://nonexistent.invalid") as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.DNS
    assert failure.message.startswith("nonexistent.invalid could not be resolved (DNS failure)")


async def test_https_to_plain_http_server_is_tls(case: Case, standins: Standins) -> None:
    server, _ = standins.start(case.name)
    url = server.base_url.replace("http://", "https://")
    async with standins.client(case.name, base_url=url) as client:
        failure = await _fails(case, client)
    assert failure.kind is FailureKind.TLS
    assert "(TLS)" in failure.message

"""Tokens never appear in a failure's message, hint, detail, repr, traceback chain, nor in logs."""

from __future__ import annotations

import logging
import traceback

import pytest

from services.core.errors import ConnectionFailure, ErrorReport
from tests.providers.conftest import Case, Standins


def _assert_clean(secret: str, failure: ConnectionFailure) -> None:
    texts = [
        str(failure),
        repr(failure),
        failure.message,
        failure.hint or "",
        failure.detail or "",
        "".join(traceback.format_exception(failure)),
        repr(ErrorReport.from_exception(failure)),
    ]
    for text in texts:
        assert secret not in text


async def test_token_never_leaks(case: Case, standins: Standins, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("httpx", "httpcore", "services"):
        caplog.set_level(logging.DEBUG, logger=name)
    server, _ = standins.start(case.name)
    secrets = [case.token, case.revoked]
    failures: list[ConnectionFailure] = []
    for fault in (
        {"status": 500, "times": 3},
        {"status": 429, "retry_after": "99"},
        {"drop": True, "times": 3},
    ):
        server.inject(**fault)  # type: ignore[arg-type]
        async with standins.client(case.name, server) as client:
            with pytest.raises(ConnectionFailure) as info:
                await case.probe(client)
            failures.append(info.value)
            assert case.token not in repr(client)
    async with standins.client(case.name, server, secret=case.revoked) as client:
        with pytest.raises(ConnectionFailure) as info:
            await case.probe(client)
        failures.append(info.value)
    # A provider that echoes the token in its error text gets it masked.
    server.inject(
        status=400,
        body={
            "message": f"bad token {case.token}",
            "detail": f"bad token {case.token}",
            "error": {"code": "x", "message": f"bad token {case.token}"},
            "errors": [{"code": 1000, "message": f"bad token {case.token}"}],
        },
    )
    standins.expect_violations()  # that made-up body is not what the spec describes
    async with standins.client(case.name, server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await case.probe(client)
        failures.append(info.value)
    assert "***" in (failures[-1].detail or "") + failures[-1].message
    for failure in failures:
        for secret in secrets:
            _assert_clean(secret, failure)
    for secret in secrets:
        assert secret not in caplog.text

"""``health check --json`` prints ``CheckResult.to_json()``, byte for byte the CLI's former hand-built row."""

from __future__ import annotations

from datetime import UTC, datetime

from services.health.model import CheckResult, Part, Status
from tests.cli_json.golden import printed


def test_health_check() -> None:
    t = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)
    results = [CheckResult("production", "database", Status.UP, 12.345, "ok", t,
                           (Part("ssl", Status.UP, value="on"), Part("csp", Status.DOWN, score=-5, verdict="weaker"))),
               CheckResult("staging", "redis", Status.DOWN, None, "refused", t)]
    legacy = [{"env": r.env, "check": r.check, "status": r.status.value,
               "latency_ms": None if r.latency_ms is None else round(r.latency_ms, 1),
               "detail": r.detail, "checked_at": r.checked_at.isoformat(),
               "parts": [p.to_json() for p in r.parts]} for r in results]
    assert printed([r.to_json() for r in results]) == printed(legacy)

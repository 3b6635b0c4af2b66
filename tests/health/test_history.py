"""The history's figures from a scripted history, against values computed by hand.

The script (``now`` = 2025-03-10 12:00 UTC, fed oldest first through the poller, retries 0):

* last 24 h: one result every 10 min, k = 0..143 (k·10 min ago): down for k = 25..30, degraded for
  k = 60..62, unknown for k = 100, up otherwise — 134 up, 3 degraded, 6 down, 1 unknown;
* 25 h .. 167 h ago: one result per hour (143), down for hours 48..59 (12);
* 168 h .. 714 h ago: one result every 6 h (92), down for hours 240..294 (10).

Uptime = (up + degraded) / (up + degraded + down):
  24 h: 137 / 143;  7 d: 268 / 286;  30 d: 350 / 378.
Incidents (newest first): down 300→240 min ago (60 min); degraded 620→590 min ago (30 min);
down 59 h→47 h ago (12 h); down 294 h→234 h ago (60 h).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.health.checks import CheckContext
from services.health.history import HealthHistory
from services.health.model import Status, result
from services.health.poller import HealthPoller
from tests.health.conftest import bare_env, secrets

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def scripted() -> list[tuple[datetime, Status]]:
    items: list[tuple[datetime, Status]] = []
    for h in range(714, 167, -6):
        items.append((NOW - timedelta(hours=h), Status.DOWN if 240 <= h <= 294 else Status.UP))
    for h in range(167, 24, -1):
        items.append((NOW - timedelta(hours=h), Status.DOWN if 48 <= h <= 59 else Status.UP))
    for k in range(143, -1, -1):
        status = (Status.DOWN if 25 <= k <= 30 else Status.DEGRADED if 60 <= k <= 62
                  else Status.UNKNOWN if k == 100 else Status.UP)
        items.append((NOW - timedelta(minutes=10 * k), status))
    return items


@pytest.fixture
async def history(tmp_path: Path) -> HealthHistory:
    hist = HealthHistory(tmp_path / "health.sqlite3")
    env = bare_env("production")
    poller = HealthPoller([env], CheckContext(secrets()), history=hist)
    for i, (when, status) in enumerate(scripted()):
        await poller.observe(result("production", "platform", status, f"result {i}",
                                    latency_ms=100.0 + (i % 7), checked_at=when), retries=0)
    return hist


async def test_uptime_matches_the_hand_computed_values(history: HealthHistory) -> None:
    assert len(scripted()) == 92 + 143 + 144
    c = history.counts("production", "platform", NOW - timedelta(hours=24), NOW)
    assert (c.up, c.degraded, c.down, c.unknown) == (134, 3, 6, 1)
    ups = history.uptimes("production", "platform", NOW)
    assert ups["24h"] == pytest.approx(137 / 143)
    assert ups["7d"] == pytest.approx(268 / 286)
    assert ups["30d"] == pytest.approx(350 / 378)
    assert history.uptimes("production", "database", NOW) == {"24h": None, "7d": None, "30d": None}


async def test_incidents_are_state_changes_with_start_end_and_duration(history: HealthHistory) -> None:
    found = history.incidents("production")
    assert [(i.status, NOW - i.started, i.duration()) for i in found] == [
        (Status.DOWN, timedelta(minutes=300), timedelta(minutes=60)),
        (Status.DEGRADED, timedelta(minutes=620), timedelta(minutes=30)),
        (Status.DOWN, timedelta(hours=59), timedelta(hours=12)),
        (Status.DOWN, timedelta(hours=294), timedelta(hours=60)),
    ]
    assert all(not i.open for i in found)
    assert found[0].detail == "result 348" and found[0].end_detail == "result 354"
    assert len(history.incidents("production", since=NOW - timedelta(hours=24))) == 2


async def test_escalation_keeps_one_incident_with_the_worst_state(tmp_path: Path) -> None:
    hist = HealthHistory(tmp_path / "h.sqlite3")
    poller = HealthPoller([bare_env("production")], CheckContext(secrets()), history=hist)
    for minutes, status in ((50, Status.UP), (40, Status.DEGRADED), (30, Status.DOWN), (20, Status.DEGRADED),
                            (10, Status.UP), (5, Status.DOWN)):
        await poller.observe(result("production", "redis", status, status.value,
                                    checked_at=NOW - timedelta(minutes=minutes)), retries=0)
    incidents = hist.incidents("production", "redis")
    assert [(i.status, i.open) for i in incidents] == [(Status.DOWN, True), (Status.DOWN, False)]
    assert incidents[1].duration() == timedelta(minutes=30)
    assert incidents[0].duration(NOW) == timedelta(minutes=5)


async def test_last_known_state_survives_a_restart(history: HealthHistory, tmp_path: Path) -> None:
    last = history.last_known()
    assert len(last) == 1 and last[0].checked_at == NOW and last[0].status is Status.UP
    history.close()
    reopened = HealthHistory(tmp_path / "health.sqlite3")
    assert reopened.confirmed_states() == {("production", "platform"): (Status.UP, NOW - timedelta(minutes=240))}
    recent = reopened.recent("production", "platform", limit=3)
    assert [r.detail for r in recent] == ["result 378", "result 377", "result 376"]


async def test_latency_series_raw_then_hourly_then_daily(history: HealthHistory) -> None:
    raw = history.latency("production", "platform", NOW - timedelta(hours=1), NOW)
    assert len(raw) == 6 and all(p.latency_ms is not None for p in raw)
    hourly = history.latency("production", "platform", NOW - timedelta(days=30), NOW)
    # Buckets: 92 six-hourly + 143 hourly + 25 hours of the last day (now's own hour included).
    assert len(hourly) == 92 + 143 + 25
    assert {p.status for p in hourly if (NOW - p.at) == timedelta(hours=50)} == {Status.DOWN}
    daily = history.latency("production", "platform", NOW - timedelta(days=365), NOW)
    assert 30 <= len(daily) <= 31 and all(100 <= (p.latency_ms or 0) <= 106 for p in daily)


async def test_pruning_keeps_each_tier_for_its_time(history: HealthHistory) -> None:
    old = NOW - timedelta(days=100)
    ancient = NOW - timedelta(days=800)
    history.record(result("production", "platform", Status.DOWN, "old", latency_ms=1, checked_at=old))
    history.record(result("production", "platform", Status.DOWN, "ancient", latency_ms=1, checked_at=ancient))
    removed = history.prune(NOW)
    # Raw: the 91 six-hourly results older than 7 days (168 h ago is exactly the limit and stays) + 2.
    assert removed == {"results": 93, "hourly": 2, "daily": 1, "incidents": 0}
    ups = history.uptimes("production", "platform", NOW)
    assert ups["24h"] == pytest.approx(137 / 143) and ups["30d"] == pytest.approx(350 / 378)
    assert len(history.latency("production", "platform", old - timedelta(days=1), old + timedelta(days=1))) == 0
    daily = history.latency("production", "platform", NOW - timedelta(days=700), NOW)
    assert any(p.at.date() == old.date() for p in daily)

"""One formatter for sizes and one for durations: the same number reads the same on every screen."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.core import progress, units
from services.core.workspace import Environment, RedisSettings
from services.health.checks import CheckContext
from services.health.checks.redis_check import RedisCheck
from services.health.poller import utc_age

ROOT = Path(__file__).resolve().parents[1]


def test_sizes() -> None:
    assert units.human_bytes(1.5e9) == "1.4 GiB"
    assert units.human_bytes(0) == "0 B"
    assert units.human_bytes(1023) == "1023 B"
    assert units.human_bytes(1024) == "1.0 KiB"
    assert units.human_bytes(4 * 1024**2) == "4.0 MiB"
    assert units.human_bytes(1024**5 * 3) == "3.0 PiB"
    assert units.human_bytes(None) == "?" and units.human_bytes(float("nan")) == "?"


def test_durations() -> None:
    assert units.human_duration(42.4) == "42 s"
    assert units.human_duration(185) == "3 min 05 s"
    assert units.human_duration(timedelta(hours=2, minutes=7)) == "2 h 07 min"
    assert units.human_duration(3 * 86400 + 4 * 3600) == "3 d 4 h"
    assert units.human_duration(-5) == "0 s"
    assert units.human_duration(None) == "?" and units.human_duration(float("inf")) == "?"
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert utc_age(now - timedelta(seconds=185), now) == "3 min 05 s ago"


def test_backups_and_health_write_1_5e9_bytes_alike(redis_url: str) -> None:
    """Backups (catalog, CLI, jobs) format through services.core.progress; Health through services.core.units: the same
    function. And a real health check of Redis writes a 1.5e9-byte limit the same way."""
    assert progress.human_bytes is units.human_bytes and progress.human_duration is units.human_duration
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    env = Environment(name="units")
    env.redis = RedisSettings(host="127.0.0.1", port=port, maxmemory_bytes=1_500_000_000, eviction_policy="")

    async def check() -> str:
        ctx = CheckContext(credentials=_NoSecrets())
        try:
            res = await RedisCheck().run(env, ctx)
        finally:
            await ctx.aclose()
        return res.part("memory").value

    memory = asyncio.run(check())
    assert "of 1.4 GiB (from the settings" in memory, memory


class _NoSecrets:
    async def aget(self, environment: str, name: str) -> str | None:
        return None


def test_no_other_module_formats_sizes_or_durations_by_hand() -> None:
    """The variants this replaced: a size unit after a formatted number, or a days/hours/minutes splitter."""
    size = re.compile(r"\{[^}]*:\.\d+f\}\s*(?:[KMGT]i?B)\b")
    splitter = re.compile(r"divmod\([^)]*,\s*(?:60|3600|86400)\)")
    offenders = []
    for folder in ("services", "sandbox", "views", "console", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "units.py" or "sandbox" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if size.search(text) or splitter.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []

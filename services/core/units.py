"""The one way sizes and durations are written, on every screen and in the CLI.

Sizes are binary with IEC names (1 KiB = 1024 bytes): Redis' "4mb", PostgreSQL's sizes and S3 part sizes are
all powers of 1024, and a label that says GiB never passes 1024³ off as a decimal GB. So 1.5e9 bytes is
"1.4 GiB" in Backups, Health and the CLI alike.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(n: float | None) -> str:
    """'512 B', '4.0 MiB', '1.4 GiB'; '?' when unknown."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return "?"
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float | timedelta | None) -> str:
    """'42 s', '3 min 05 s', '2 h 07 min', '3 d 4 h'; '?' when unknown."""
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if seconds is None or not math.isfinite(seconds):
        return "?"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, sec = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


def human_age(when: datetime, now: datetime) -> str:
    """How long ago ``when`` was: human_duration + ' ago'."""
    return human_duration((now - when).total_seconds()) + " ago"


def plural(count: int, noun: str) -> str:
    """'1 file', '3 files' (nouns whose plural adds an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"

"""Reading the fields of provider answers: timestamps, identifiers, counts and measures, each either a
value, unknown (None), or a TypeError/ValueError that leaves the item (or the answer) out; and the list
answer that says what it left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ItemList(tuple[T, ...], Generic[T]):
    """A list answer's items (a tuple, as before) that also says what it left out.

    ``skipped`` names the items that did not fit the expected shape: they are left out and the rest
    kept, so one odd item never fails a whole list. ``more`` is True when the list stopped at its
    page limit with pages left unread.
    """

    skipped: tuple[str, ...]
    more: bool

    def __new__(cls, items: Any = (), *, skipped: Sequence[str] = (), more: bool = False) -> ItemList[T]:
        self = super().__new__(cls, items)
        self.skipped = tuple(skipped)
        self.more = more
        return self


# What a parser may raise on an answer of an unexpected shape or with values out of range.
SHAPE_ERRORS = (
    KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError, OSError, RecursionError
)


def from_seconds(value: Any) -> datetime | None:
    """A Unix timestamp (seconds) as an aware datetime. None, and a number no calendar can hold
    (2**63 - 1, 1e308, infinity from ``1e400``), are unknown: None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_millis(value: Any) -> datetime | None:
    """A JavaScript timestamp (ms since the epoch) as an aware datetime; None and out-of-range
    numbers are unknown (None)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = value / 1000 if isinstance(value, float) else value // 1000 + (value % 1000) / 1000
        except OverflowError:  # an integer of hundreds of digits (JSON allows it)
            return None
        return from_seconds(seconds) if math.isfinite(seconds) else None
    return from_seconds(value)


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?([Zz]|[+-]\d{2}:?\d{2})?"
)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 string as an aware datetime (UTC when it has no offset).

    Accepts what RFC 3339 allows and ``fromisoformat`` does not: lower-case ``t``/``z``, a leap
    second (``23:59:60``, read as ``23:59:59``), more than six fractional digits. A date the
    calendar cannot hold (year 0) is unknown (None); text that is no date at all is a ValueError.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {type(value).__name__}")
    found = _RFC3339.fullmatch(value.strip())
    if found is None:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        raise ValueError(f"'{value[:40]}' is not a valid date and time")
    micro = int((found.group(7) or "0")[:6].ljust(6, "0"))
    zone = found.group(8)
    tz = UTC
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise ValueError(f"'{value[:40]}' has an impossible UTC offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz)
    except ValueError:
        if year == 0:
            return None  # RFC 3339 allows year 0000; Python's calendar starts at year 1
        raise


def as_id(value: Any, what: str = "id") -> str:
    """An identifier from an answer (a string or a whole number); anything else, or empty, is a
    ValueError: an item without a usable id cannot be told apart, so a list skips it."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise ValueError(f"it has no usable {what}")
    return str(value)


def as_object(value: Any) -> dict[str, Any]:
    """An optional nested object of an answer: ``{}`` when it is absent, null or not an object."""
    return value if isinstance(value, dict) else {}


def as_int(value: Any) -> int | None:
    """A count or size from an answer: None when absent or beyond what a number can be (``1e400``
    arrives as infinity); a string of digits is accepted. Anything else is a TypeError/ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return as_int(float(value)) if value.strip() else None
    raise TypeError(f"expected a number, got {type(value).__name__}")


def as_float(value: Any) -> float | None:
    """Like :func:`as_int` for measures: None when absent or not finite (or beyond a float)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, (int, float, str)):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    raise TypeError(f"expected a number, got {type(value).__name__}")

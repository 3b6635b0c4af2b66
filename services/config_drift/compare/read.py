"""One source's answer (:class:`Read`) and the verdict helpers every comparison shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.config_drift.model import ConfigItem, Kind, Status


@dataclass(frozen=True)
class Read:
    """One source's answer: ``value`` when it was read, else ``unset`` (nothing to read: the workspace
    names no such thing, or the provider has none) or ``failure`` (why reading it failed)."""

    source: str
    value: Any = None
    unset: str = ""
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.unset and not self.failure


def blocked_item(kind: Kind, item: str, seed_text: str, read: Read) -> ConfigItem | None:
    """The item's row when its source could not be read or has nothing to read; None when it was read."""
    if read.failure:
        return ConfigItem(kind, item, seed_text, "", Status.UNREADABLE, f"{read.source} could not be read: "
                          f"{read.failure}", read.source)
    if read.unset:
        return ConfigItem(kind, item, seed_text, "", Status.NOT_CONFIGURED, read.unset, read.source)
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def status_of(ok: bool) -> Status:
    return Status.MATCHES if ok else Status.DIFFERS

"""An environment's settings read and written by dotted path (``backup.bucket``, ``extra.NAME``), and the
labels and text they are shown with (import plans, edits, exports)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from services.core.workspace import Environment

SETTING_LABELS: dict[str, str] = {
    "app_url": "App URL",
    "storage.files_bucket": "Files bucket",
    "storage.endpoint_url": "Storage endpoint",
    "backup.bucket": "Backup bucket",
    "backup.region": "Backup region",
    "backup.endpoint_url": "Backup endpoint",
}


def get_setting(env: Environment, path: str) -> Any:
    if path.startswith("extra."):
        return env.extra.get(path[len("extra."):], "")
    obj: Any = env
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def set_setting(env: Environment, path: str, value: Any) -> None:
    if path.startswith("extra."):
        env.extra[path[len("extra."):]] = value
        return
    *parents, last = path.split(".")
    obj: Any = env
    for part in parents:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def show(value: Any) -> str:
    if isinstance(value, dict):
        return urlencode(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def label_of(path: str) -> str:
    if path in SETTING_LABELS:
        return SETTING_LABELS[path]
    if path.startswith("extra."):
        return path[len("extra."):]
    block, _, name = path.partition(".")
    block_label = {"database": "Database", "direct_database": "Direct database", "redis": "Redis",
                   "providers": "Provider", "storage": "Storage", "backup": "Backup"}.get(block, block)
    return f"{block_label} {name.replace('_', ' ')}" if name else block_label

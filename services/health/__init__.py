"""Health of each environment: typed checks, a concurrent poller with retries, and a bounded history.

Start polling from a shell (or any asyncio program)::

    from services.core.app_context import open_workspace
    from services.health import HealthHistory, HealthPoller, CheckContext

    ctx = open_workspace()
    poller = HealthPoller(ctx.workspace.environments.values(), CheckContext(ctx.credentials),
                          history=HealthHistory(ctx.paths.data / "health.sqlite3"),
                          on_transition=print)
    await poller.start()      # runs until ``await poller.stop()``

One round, as the CLI does it: ``await run_once(envs, CheckContext(ctx.credentials))``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use, so that ``services.health.names`` (the CLI's parser needs it) stays light.
_HOME = {
    "Check": "checks", "CheckContext": "checks", "all_checks": "checks",
    "HealthHistory": "history", "Incident": "history",
    "CHECK_LABELS": "model", "CHECK_NAMES": "model", "CheckResult": "model", "Part": "model", "Status": "model",
    "Transition": "model", "worst": "model",
    "CheckState": "poller", "HealthPoller": "poller", "summarize": "poller",
    "run_check": "runner", "run_once": "runner",
}
__all__ = [
    "CHECK_LABELS",
    "CHECK_NAMES",
    "Check",
    "CheckContext",
    "CheckResult",
    "CheckState",
    "HealthHistory",
    "HealthPoller",
    "Incident",
    "Part",
    "Status",
    "Transition",
    "all_checks",
    "run_check",
    "run_once",
    "summarize",
    "worst",
]

if TYPE_CHECKING:
    from services.health.checks import Check, CheckContext, all_checks
    from services.health.history import HealthHistory, Incident
    from services.health.model import CHECK_LABELS, CHECK_NAMES, CheckResult, Part, Status, Transition, worst
    from services.health.poller import CheckState, HealthPoller, summarize
    from services.health.runner import run_check, run_once


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'services.health' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"services.health.{_HOME[name]}"), name)
    globals()[name] = value
    return value

"""The last attempt at a backup operation of an environment, from the audit log.

A backup that failed (storage unreachable, a dump that died) leaves nothing in the bucket, so the
catalog alone would keep saying "fresh" about the backup before it. The audit log records every
attempt, from the console and from the CLI run by cron on this machine: the newest attempt of an
action says whether the last try failed, until a later one succeeds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from services.core.app_context import AppContext

LOOK_BACK = 200  # audit rows of the environment read; attempts older than that are not "the last"


@dataclass(frozen=True)
class FailedAttempt:
    action: str
    at: datetime
    reason: str  # the failure in plain words, as recorded

    def sentence(self) -> str:
        return f"the last attempt, at {self.at:%Y-%m-%d %H:%M} UTC, failed: {self.reason}"


async def last_failed_attempt(ctx: AppContext, env_name: str, action: str = "backup create") -> FailedAttempt | None:
    """The newest attempt of ``action`` on ``env_name`` when it failed; None when it succeeded or none is known."""
    entries = await asyncio.to_thread(ctx.audit.entries, limit=LOOK_BACK, environment=env_name)
    for entry in entries:  # newest first
        if entry.action != action:
            continue
        if entry.outcome.startswith("failed"):
            reason = entry.outcome.partition(":")[2].strip() or "no reason was recorded"
            return FailedAttempt(action, entry.at, reason)
        if entry.outcome == "cancelled":
            continue  # a cancel is the user's choice, not a failure; look at the attempt before it
        return None
    return None

"""Last-known answers for the Overview where no other history keeps them: the deployment summary of
each environment (one small JSON file in the data folder, written after every successful read), and
the timeline's attention events read back from the timeline's own cache. What the first screen shows
at once, marked with its age, while the live answers are on their way. Blocking I/O runs in a worker
thread; nothing here touches the network."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.core.atomic_file import write_atomically

if TYPE_CHECKING:
    from services.core.app_context import AppContext

log = logging.getLogger(__name__)
STORE_NAME = "last-known.json"
SCHEMA_VERSION = 1


class LastKnownStore:
    """``{kind: {environment: {"at": ISO time, "doc": {...}}}}`` in one file, replaced atomically (a
    crash mid-write leaves the previous file); an unreadable file counts as empty, never as an error."""

    _lock = threading.Lock()  # one writer at a time within the process

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / STORE_NAME

    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("the last-known answers at %s could not be read (%s); starting afresh", self.path,
                        type(exc).__name__)
            return {}
        if not isinstance(raw, dict) or raw.get("schema_version") != SCHEMA_VERSION:
            return {}
        kinds = raw.get("kinds")
        return kinds if isinstance(kinds, dict) else {}

    def load(self, kind: str, env: str) -> tuple[dict[str, Any], datetime] | None:
        with self._lock:
            entry = self._read().get(kind, {}).get(env)
        if not isinstance(entry, dict) or not isinstance(entry.get("doc"), dict):
            return None
        try:
            at = datetime.fromisoformat(str(entry["at"]))
        except (KeyError, ValueError):
            return None
        return entry["doc"], at if at.tzinfo else at.replace(tzinfo=UTC)

    def save(self, kind: str, env: str, doc: dict[str, Any], at: datetime | None = None) -> None:
        with self._lock:
            kinds = self._read()
            kinds.setdefault(kind, {})[env] = {"at": (at or datetime.now(UTC)).isoformat(), "doc": doc}
            write_atomically(self.path, json.dumps({"schema_version": SCHEMA_VERSION, "kinds": kinds}))


# --- deployments ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeploymentLine:
    id: str
    commit_sha: str
    message: str  # the commit message's first line
    author: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "commit_sha": self.commit_sha, "message": self.message, "author": self.author,
                "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DeploymentLine:
        return cls(str(doc["id"]), str(doc["commit_sha"]), str(doc["message"]), str(doc["author"]),
                   datetime.fromisoformat(str(doc["at"])))


@dataclass(frozen=True)
class DeploymentDigest:
    """What the Overview says of an environment's deployments (from a DeploymentSummary)."""

    configured: bool
    sentence: str
    rolled_back: bool = False
    current: DeploymentLine | None = None
    failed: tuple[DeploymentLine, ...] = ()

    @classmethod
    def from_summary(cls, summary: Any) -> DeploymentDigest:
        def line(d: Any) -> DeploymentLine:
            message = d.commit_message.splitlines()[0] if d.commit_message else ""
            return DeploymentLine(d.id, d.commit_sha, message, d.creator or d.commit_author, d.created_at)

        return cls(bool(summary.configured), str(summary.sentence), bool(summary.rolled_back),
                   line(summary.current) if summary.current is not None else None,
                   tuple(line(d) for d in summary.failed_last_day))

    def failed_since(self, since: datetime) -> tuple[DeploymentLine, ...]:
        """The failures still within the last day (a last-known digest ages while it is shown)."""
        return tuple(d for d in self.failed if d.at >= since)

    def to_json(self) -> dict[str, Any]:
        return {"configured": self.configured, "sentence": self.sentence, "rolled_back": self.rolled_back,
                "current": self.current.to_json() if self.current else None,
                "failed": [d.to_json() for d in self.failed]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DeploymentDigest:
        current = doc.get("current")
        return cls(bool(doc["configured"]), str(doc["sentence"]), bool(doc.get("rolled_back")),
                   DeploymentLine.from_json(current) if isinstance(current, dict) else None,
                   tuple(DeploymentLine.from_json(d) for d in doc.get("failed") or ()))


async def remember_deployments(ctx: AppContext, env: str, digest: DeploymentDigest) -> None:
    await asyncio.to_thread(LastKnownStore(ctx.paths.data).save, "deployments", env, digest.to_json())


async def last_known_deployments(ctx: AppContext, env: str) -> tuple[DeploymentDigest, datetime] | None:
    found = await asyncio.to_thread(LastKnownStore(ctx.paths.data).load, "deployments", env)
    if found is None:
        return None
    try:
        return DeploymentDigest.from_json(found[0]), found[1]
    except (KeyError, ValueError, TypeError):
        return None  # written by another version: the live answer will replace it


# --- the timeline's attention events ------------------------------------------------------------------

@dataclass(frozen=True)
class KnownAttention:
    events: tuple[Any, ...]  # services.timeline.model.Event, newest first
    read_at: datetime | None  # the oldest of the sources' last reads; None: never read on this machine
    sources_missing: int  # sources never read for these environments (before the time asked)


async def last_known_attention(ctx: AppContext, envs: list[str], span: timedelta = timedelta(days=1), *,
                               now: datetime | None = None, before: datetime | None = None) -> KnownAttention:
    """What the timeline's cache holds of ``envs`` for the last ``span`` that needs attention, as read
    before ``before`` (a live read started then may already have stored some sources: they are no
    last-known answer, and a card must not show them as one)."""
    from services.timeline.cache import TimelineCache
    from services.timeline.sources import SOURCES

    since = (now or datetime.now(UTC)) - span

    def read() -> KnownAttention:
        cache = TimelineCache(Path(ctx.paths.data) / "timeline.sqlite3")
        events: dict[str, Any] = {}
        reads: list[datetime] = []
        missing = 0
        for env in envs:
            for source in SOURCES:
                found, at = cache.load(source, env, since)
                if at is None or (before is not None and at >= before):
                    missing += 1
                    continue
                reads.append(at)
                for e in found:
                    if e.attention:
                        events.setdefault(e.id, e)
        ordered = sorted(events.values(), key=lambda e: (e.time, e.id), reverse=True)
        return KnownAttention(tuple(ordered), min(reads) if reads else None, missing)

    return await asyncio.to_thread(read)

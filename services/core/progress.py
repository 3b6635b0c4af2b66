"""Progress of a long operation, shared by the console's jobs panel and the CLI.

A service takes a ``Progress`` and calls ``advance``/``set_total``/``note``; whoever started the
operation subscribes to snapshots (throttled) to render them. Cancellation is asyncio's own: the
operation's task is cancelled and the service cleans up in its ``except CancelledError``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# The one formatter for sizes and durations lives in services.core.units; re-exported for existing callers.
from services.core.units import human_bytes as human_bytes
from services.core.units import human_duration as human_duration


@dataclass(frozen=True)
class ProgressSnapshot:
    done: float
    total: float | None
    unit: str  # "bytes" or "items" or "steps"
    message: str
    elapsed_s: float
    speed: float | None  # units per second over the recent window
    eta_s: float | None

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


class Progress:
    def __init__(self, on_update: Callable[[ProgressSnapshot], None] | None = None, *, unit: str = "bytes",
                 min_interval_s: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self._on_update = on_update
        self.unit = unit
        self._clock = clock
        self._start = clock()
        self._done = 0.0
        self._total: float | None = None
        self._message = ""
        self._samples: deque[tuple[float, float]] = deque(maxlen=64)
        self._last_emit = 0.0
        self._min_interval = min_interval_s

    def set_total(self, total: float | None) -> None:
        self._total = total
        self._emit(force=True)

    def note(self, message: str) -> None:
        self._message = message
        self._emit(force=True)

    def advance(self, amount: float) -> None:
        self._done += amount
        self._emit()

    def update(self, done: float) -> None:
        self._done = done
        self._emit()

    @property
    def done(self) -> float:
        return self._done

    def snapshot(self) -> ProgressSnapshot:
        now = self._clock()
        self._samples.append((now, self._done))
        while len(self._samples) > 2 and now - self._samples[0][0] > 5.0:
            self._samples.popleft()
        speed = None
        t0, d0 = self._samples[0]
        if now - t0 > 0.2:
            speed = (self._done - d0) / (now - t0)
        eta = None
        if speed and speed > 0 and self._total and self._total > self._done:
            eta = (self._total - self._done) / speed
        elif self._total and self._done >= self._total:
            eta = 0.0
        return ProgressSnapshot(self._done, self._total, self.unit, self._message, now - self._start, speed, eta)

    def _emit(self, force: bool = False) -> None:
        if self._on_update is None:
            return
        now = self._clock()
        if not force and now - self._last_emit < self._min_interval:
            return
        self._last_emit = now
        self._on_update(self.snapshot())

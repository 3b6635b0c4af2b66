"""A heartbeat on the Qt thread: the longest gap between 5 ms ticks is the longest time the thread
could not paint or react. Shared by the benchmarks that measure Qt-thread stalls."""

from __future__ import annotations

import statistics
import time

from PySide6.QtCore import QTimer


class Heartbeat:
    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.timeout.connect(self._tick)
        self.timer.start(interval_ms)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def take(self) -> list[float]:
        """The gaps since the last take (and start a new measurement)."""
        gaps, self.gaps = self.gaps, []
        self._last = time.perf_counter()
        return gaps


def report(name: str, gaps: list[float]) -> float:
    """Print the longest stall and the 99th percentile; return the longest, in ms."""
    worst = max(gaps) * 1000 if gaps else float("nan")
    p99 = statistics.quantiles(gaps, n=100)[98] * 1000 if len(gaps) > 100 else worst
    print(f"  {name:<36} longest stall {worst:6.1f} ms   p99 {p99:5.1f} ms   ticks {len(gaps)}")
    return worst

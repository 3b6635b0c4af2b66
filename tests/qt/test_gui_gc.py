"""The console's collector: automatic collection off (a worker thread must never finalize a Qt object),
garbage collected on the Qt thread when the interpreter's thresholds say so."""

from __future__ import annotations

import gc
import threading
import weakref

from console.gui_gc import GuiThreadCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_collects_on_the_qt_thread_when_the_threshold_is_passed(qapp) -> None:  # type: ignore[no-untyped-def]
    collector = GuiThreadCollector(interval_ms=60_000)
    freed_in: list[str] = []
    try:
        assert not gc.isenabled()
        node = Node()
        weakref.finalize(node, lambda: freed_in.append(threading.current_thread().name))
        del node
        # Allocations that would have triggered an automatic collection in whatever thread made them.
        threshold = gc.get_threshold()[0]
        worker = threading.Thread(target=lambda: [Node() for _ in range(threshold * 3)], name="worker")
        worker.start()
        worker.join()
        assert freed_in == [], "the worker thread must not have collected"
        collector.check()
        assert freed_in == [threading.current_thread().name]
    finally:
        collector.stop()
        collector.deleteLater()
    assert gc.isenabled()
    gc.disable()  # the Qt suite's own setting (tests/qt/conftest.py)

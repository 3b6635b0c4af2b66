"""Garbage collection on the Qt thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is crossed. The
console does much of its work in worker threads (boto3, keyring, SQLite, imports), so a collection there
may finalize a Qt object — a view's timer, a dialog — from the wrong thread; Qt then fires a timer of an
object that no longer exists and the process dies with a segmentation fault (seen: a QTimer activated
after its owner was collected in a worker, in the Qt tests). As pyqtgraph's ``GarbageCollector`` does,
automatic collection is switched off and a timer on the Qt thread collects when the thresholds say so.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, as the interpreter would."""
        l0, l1, l2 = gc.get_count()
        if l0 > self.threshold[0]:
            gc.collect(0)
            if l1 > self.threshold[1]:
                gc.collect(1)
                if l2 > self.threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector for the application's lifetime (it is a child of ``app``)."""
    return GuiThreadCollector(app)

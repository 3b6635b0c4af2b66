"""The frozen baseline of benchmarks/startup.py --frozen: a bare QMainWindow, nothing else imported.

Prints ``PAINTED <epoch>`` at its first paint and exits, as the console does with
REALTOR_BENCH_FIRST_PAINT=1. Frozen by the benchmark itself (PyInstaller onedir, same options).
"""

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow


class FirstPaint(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            print(f"PAINTED {time.time():.6f}", flush=True)
            os._exit(0)
        return False


app = QApplication(sys.argv[:1])
watcher = FirstPaint()
app.installEventFilter(watcher)
window = QMainWindow()
window.resize(1280, 800)
window.show()
app.exec()

"""Child process for benchmarks/startup.py: prints ``PAINTED`` at the first paint of a main window.

``bare``: a plain QMainWindow, the baseline. ``console``: the console's own ``main()`` on a given
workspace, exactly as ``python main.py --workspace PATH`` starts it.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_API", "pyside6")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class FirstPaint(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            print(f"PAINTED {time.time():.6f}", flush=True)
            QTimer.singleShot(0, QApplication.instance().quit)  # type: ignore[union-attr]
            self.deleteLater()
        return False


def main() -> int:
    mode = sys.argv[1]
    app = QApplication(sys.argv[:1])
    watcher = FirstPaint()
    app.installEventFilter(watcher)
    if mode == "bare":
        window = QMainWindow()
        window.resize(1280, 800)
        window.show()
        return app.exec()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from console.app import main as console_main

    return console_main(["--workspace", sys.argv[2]])


if __name__ == "__main__":
    raise SystemExit(main())

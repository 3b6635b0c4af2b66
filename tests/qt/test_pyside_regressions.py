"""PySide6 bugs that once bit this project, pinned so an upgrade cannot bring them back unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication
app = QApplication([])
font = QFont()
before = sys.getrefcount(None)
for _ in range(20000):
    font.setBold(True)
print(sys.getrefcount(None) - before)
"""


def test_void_qt_calls_do_not_leak_references_to_none() -> None:
    # PySide6-Essentials 6.12.0 on CPython 3.11 dropped one reference to None per call of a Qt method
    # returning nothing; a busy console aborted with "Fatal Python error: none_dealloc" after minutes.
    # Run in a child: a regression kills the interpreter, not the test run.
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-1500:]
    assert abs(int(out.stdout.strip())) < 100

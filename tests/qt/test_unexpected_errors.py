"""The console's funnel for errors nobody planned for: a slot that raises, a thread that raises, before the
log file was even set up. Nothing reaches stderr as a traceback; the sentence names the log file. Runs in
its own process so that stderr is the real one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys, threading
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from console.error_presenter import ErrorPresenter

    app = QApplication(sys.argv[:1])
    errors = ErrorPresenter()
    errors.install_hooks()

    def broken_slot():
        {}["a key nobody set"]

    def broken_thread():
        raise ValueError("thread detail")

    QTimer.singleShot(0, broken_slot)
    QTimer.singleShot(10, lambda: threading.Thread(target=broken_thread, name="worker").start())
    QTimer.singleShot(400, app.quit)
    app.exec()
    for report in errors.history:
        print("SHOWN:", report.sentence)
""")


def test_slot_and_thread_errors_reach_the_log_not_stderr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update({"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
                "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)})
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and 'File "' not in proc.stderr, proc.stderr
    log_file = tmp_path / "state" / "realtor-ops" / "log" / "realtor-ops.log"
    shown = [line for line in proc.stdout.splitlines() if line.startswith("SHOWN:")]
    assert len(shown) == 2, proc.stdout
    assert all(str(log_file) in line and "unexpected" in line for line in shown)
    assert "KeyError" in shown[0] and "a key nobody set" not in shown[0]
    text = log_file.read_text(encoding="utf-8")
    assert text.count("Traceback") == 2 and "broken_thread" in text

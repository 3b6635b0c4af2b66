"""``python main.py --view NAME --screenshot FILE`` on the sandbox writes a real picture and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]


def test_screenshot_of_the_sandbox(tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    out = tmp_path / "health.png"
    result = subprocess.run([sys.executable, "main.py", "--view", "health", "--screenshot", str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=180,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr[-3000:]
    image = QImage(str(out))
    assert not image.isNull()
    assert image.width() >= 800 and image.height() >= 500
    # A real window, not a blank canvas: many distinct colours across the picture.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
    # The sandbox stopped with the app: its PostgreSQL data folder is not in use any more.
    pid_file = app_dirs["data"] / "realtor-ops" / "sandbox" / "pgdata" / "postmaster.pid"
    assert not pid_file.exists()

"""Start-up discipline: nothing slow is imported before the window's first paint.

The console paints its shell first (title, menus, the sidebar) and loads the rest afterwards; a module
that imports boto3 or the keyring, or a screen, at module level would quietly undo that. This runs the
real start-up path in a child process and lists what was imported when the first paint happened.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SLOW = ("asyncio", "qasync", "boto3", "botocore", "keyring", "psycopg", "redis", "httpx", "sqlite3",
        "sentry_sdk", "moto", "zstandard", "views", "sandbox")

PROBE = """
import json, os, sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QListWidget, QMainWindow
class First(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), flush=True)
            nav = obj.findChildren(QListWidget)
            print(json.dumps({"title": obj.windowTitle(), "menus": [a.text() for a in obj.menuBar().actions()],
                              "sidebar": [nav[0].item(i).text() for i in range(nav[0].count())] if nav else []}),
                  flush=True)
            os._exit(0)
        return False
app = QApplication([])
watch = First()
app.installEventFilter(watch)
from console.app import main
main(["--workspace", sys.argv[1]])
"""


def test_first_paint_imports_nothing_slow(tmp_path: Path) -> None:
    from services.core import workspace as ws

    work = ws.Workspace(name="imports")
    work.environments["production"] = ws.seed_environment("production", ws.EnvironmentKind.PRODUCTION)
    ws.save(work, tmp_path / "ws.toml")
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "ws.toml")], cwd=REPO, capture_output=True,
                         text=True, timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    lines = [line for line in out.stdout.splitlines() if line.startswith("[")]
    assert lines, out.stderr[-2000:]
    loaded = set(json.loads(lines[0]))
    assert "console" in loaded
    assert sorted(loaded & set(SLOW)) == []
    # What painted first is the real main window, with its menus and navigation, not a stand-in.
    window = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    assert window["title"] == "Realtor Ops Console"
    assert window["menus"] == ["&File", "&View", "&Help"]
    assert window["sidebar"] == ["Overview", "Environments", "Deployments", "Backups", "Health", "Costs", "Timeline"]

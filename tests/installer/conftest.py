"""Helpers for the installer tests: the installer/ scripts are plain modules, not a package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"
if str(INSTALLER) not in sys.path:
    sys.path.insert(0, str(INSTALLER))


@pytest.fixture(scope="session")
def icons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app icon rendered as the build renders it; in a child process, since it uses Qt and the
    service suite must never import PySide6."""
    out = tmp_path_factory.mktemp("icons")
    subprocess.run([sys.executable, str(INSTALLER / "make_icons.py"), str(out)], check=True, capture_output=True,
                   env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), timeout=120)
    return out

"""The Qt fixture's teardown fails a test that leaves a task, a thread or a timer running (as napari's
fixtures do), and passes one that cleans up: run on small test files in a pytest of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CASES = {
    "test_task": """
        import asyncio

        def test_leaks_a_task(qloop):
            async def forever():
                await asyncio.sleep(3600)

            async def scenario():
                asyncio.get_running_loop().create_task(forever(), name="orphan-sleeper")
                await asyncio.sleep(0)

            qloop.run_until_complete(scenario())
    """,
    "test_thread": """
        import threading

        stop = threading.Event()

        def test_leaks_a_thread(qloop):
            threading.Thread(target=lambda: stop.wait(8), name="orphan-thread").start()
    """,
    "test_timer": """
        from PySide6.QtCore import QTimer

        kept = []

        def test_leaks_a_timer(qloop):
            timer = QTimer()
            timer.start(250)
            kept.append(timer)
    """,
    "test_clean": """
        import asyncio
        from console.async_bridge import TaskRegistry

        def test_owned_work_is_shut_down(qloop):
            registry = TaskRegistry()

            async def scenario():
                registry.spawn(asyncio.sleep(3600), name="owned")  # the app's shutdown cancels it
                await asyncio.sleep(0)

            qloop.run_until_complete(scenario())
    """,
}


def _run(tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text("from tests.qt.conftest import *  # noqa: F401,F403\n")
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(CASES[name]))
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           f"--rootdir={tmp_path}", str(tmp_path / f"{name}.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_a_leaked_task_fails_its_test_by_name(tmp_path: Path) -> None:
    result = _run(tmp_path, "test_task")
    assert result.returncode == 1, result.stdout
    assert "left running after the test" in result.stdout and "orphan-sleeper" in result.stdout


def test_a_leaked_thread_fails_its_test_by_name(tmp_path: Path) -> None:
    result = _run(tmp_path, "test_thread")
    assert result.returncode == 1, result.stdout
    assert "thread orphan-thread" in result.stdout


def test_a_leaked_timer_fails_its_test(tmp_path: Path) -> None:
    result = _run(tmp_path, "test_timer")
    assert result.returncode == 1, result.stdout
    assert "QTimer every 250 ms" in result.stdout


def test_work_the_app_owns_is_shut_down_and_passes(tmp_path: Path) -> None:
    result = _run(tmp_path, "test_clean")
    assert result.returncode == 0, result.stdout + result.stderr

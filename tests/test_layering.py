"""The layering rules, enforced: services never import Qt; views never touch the outside world."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "shiboken6", "qasync", "PyQt5", "PyQt6")
# What a view may not use itself: it asks services instead.
OUTSIDE_WORLD = ("socket", "subprocess", "psycopg", "psycopg_pool", "redis", "boto3", "botocore", "httpx",
                 "sqlite3", "urllib.request", "http.client", "keyring", "requests", "asyncio.subprocess")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _violations(folder: str, banned: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((REPO / folder).rglob("*.py")):
        for line, name in _imports(path):
            if any(name == b or name.startswith(b + ".") for b in banned):
                bad.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    return bad


def test_services_never_import_qt() -> None:
    assert _violations("services", QT_MODULES) == []


def test_cli_never_imports_qt() -> None:
    assert _violations("cli", QT_MODULES) == []


def test_views_do_not_reach_the_outside_world_themselves() -> None:
    assert _violations("views", OUTSIDE_WORLD) == []
    opened = []
    for path in sorted((REPO / "views").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                opened.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert opened == []


def test_importing_every_service_module_loads_no_qt() -> None:
    code = (
        "import importlib, pkgutil, sys, services\n"
        "for m in pkgutil.walk_packages(services.__path__, 'services.'):\n"
        "    importlib.import_module(m.name)\n"
        "import cli.main\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layering_check_catches_a_violation(tmp_path: Path) -> None:
    # The scanner itself must notice a Qt import, or the tests above prove nothing.
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport socket\n")
    names = [n for _, n in _imports(bad)]
    assert "PySide6.QtCore" in names and "socket" in names

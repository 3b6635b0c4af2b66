"""Every ``services`` module loads on an OS without POSIX-only modules (Windows has no fcntl, termios, pwd,
grp or resource): OS specifics live behind ``services.core.platform_io`` or are imported where they are used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POSIX_ONLY = ("fcntl", "termios", "pwd", "grp", "resource")

_PROBE = """
import importlib, importlib.abc, os, pkgutil, sys
BLOCKED = set(sys.argv[1:])
OURS = os.path.join(os.getcwd(), "services") + os.sep

class Blocker(importlib.abc.MetaPathFinder):
    # Only for imports made by our own code: a third party's platform backend (psutil's Linux one imports
    # resource) is not what runs on Windows, its Windows backend is.
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in BLOCKED:
            return None
        frame = sys._getframe(1)
        while frame is not None and ("importlib" in frame.f_code.co_filename
                                     or frame.f_code.co_filename.startswith("<frozen")):
            frame = frame.f_back
        importer = frame.f_code.co_filename if frame is not None else ""
        if importer.startswith(OURS) or importer == "<string>":  # <string>: the check below
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

for loaded in [n for n in sys.modules if n.split(".")[0] in BLOCKED]:
    del sys.modules[loaded]
sys.meta_path.insert(0, Blocker())
for name in BLOCKED:  # the blocker works
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        pass
    else:
        sys.exit(f"{name} could still be imported")

import services
seen, failed = 0, []
for info in pkgutil.walk_packages(services.__path__, "services."):
    seen += 1
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
print(seen)
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_services_module_imports_without_posix_only_modules() -> None:
    run = subprocess.run([sys.executable, "-c", _PROBE, *POSIX_ONLY], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert int(run.stdout.split()[0]) > 40  # it walked the whole package


def test_the_probe_catches_a_module_level_fcntl(tmp_path: Path) -> None:
    """The same probe fails a package that imports fcntl at module level (as dump_stream.py used to)."""
    pkg = tmp_path / "services"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "uses_fcntl.py").write_text("import fcntl\n")
    run = subprocess.run([sys.executable, "-c", _PROBE, "fcntl"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 1 and "services.uses_fcntl: ModuleNotFoundError" in run.stdout

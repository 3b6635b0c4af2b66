"""The Windows installer: NSIS (``makensis``) over the frozen onedir bundle.

The same script compiles on Linux (Debian package ``nsis``) against a stand-in payload, which is how
the tests catch a broken script before CI on Windows runs it on the real bundle.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "windows" / "realtor-console.nsi"


def vi_version(version: str) -> str:
    """NSIS' VIProductVersion wants four numbers: 0.1.0 -> 0.1.0.0, 1.2.0rc1 -> 1.2.0.0 (the numeric prefix)."""
    prefix = re.match(r"\d+(?:\.\d+)*", version.strip())
    numbers = [int(n) for n in prefix.group(0).split(".")] if prefix else []
    return ".".join(map(str, [*numbers, 0, 0, 0, 0][:4]))


def build(bundle: Path, icon: Path | None, out: Path, version: str, *, makensis: str | None = None) -> Path:
    tool = makensis or shutil.which("makensis")
    if tool is None:  # the NSIS installer (choco install nsis) does not always put itself on the PATH
        for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
            candidate = Path(base or "") / "NSIS" / "makensis.exe"
            if base and candidate.is_file():
                tool = str(candidate)
                break
    if tool is None:
        raise SystemExit("makensis was not found (Windows: choco install nsis; Debian: apt install nsis)")
    target = out / f"realtor-ops-console-{version}-windows-setup.exe"
    cmd = [tool, "-V2", "-WX", f"-DVERSION={version}", f"-DVI_VERSION={vi_version(version)}",
           f"-DBUNDLE_DIR={bundle}", f"-DOUT_FILE={target}"]
    if icon is not None and icon.exists():
        cmd.append(f"-DICON={icon}")
    subprocess.run([*cmd, str(SCRIPT)], check=True)
    return target

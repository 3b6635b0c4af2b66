"""The real thing: the .deb that scripts/build-installers made, installed into a throwaway root.

Slow (a PyInstaller build when there is no bundle yet, then a frozen sandbox), so it runs when
``REALTOR_INSTALLER_TEST=1``: ``scripts/installer-smoke`` (CI: ``--quick``) builds the installers and
runs it inside a D-Bus session with an unlocked keyring. It installs the .deb with ``dpkg --root``,
runs the installed ``realtor-console --self-test`` (which starts every sandbox part once), ``--version``
of both programs, ``realtor-ops --json sandbox up --exit-after`` with a backup and a verify (with a test
restore) on that sandbox, then removes the package and checks that none of its files is left.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("REALTOR_INSTALLER_TEST") != "1" or not sys.platform.startswith("linux"),
                       reason="builds and installs the .deb: run scripts/installer-smoke (REALTOR_INSTALLER_TEST=1)"),
]


def _deb() -> Path:
    out = Path(os.environ.get("REALTOR_INSTALLERS_DIR", REPO / "build" / "installers"))
    debs = sorted(out.glob("realtor-ops-console_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:  # build one (reusing a frozen bundle when there is one)
        subprocess.run([sys.executable, str(REPO / "installer" / "build.py"), "--quick", "--reuse-bundle",
                        "--out", str(out)], check=True, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        debs = sorted(out.glob("realtor-ops-console_*.deb"))
    assert debs, f"no .deb in {out}"
    return debs[-1]


@pytest.mark.timeout(1500)
def test_installed_deb_self_test_sandbox_backup_verify_and_clean_removal() -> None:
    import smoke

    # The throwaway root is smoke's own temporary folder, not tmp_path: PostgreSQL runs as another user
    # when we are root and must traverse it, and pytest resets /tmp/pytest-of-root to 0700 whenever any
    # pytest run starts (several run at once here).
    code = smoke.main(["--deb", str(_deb()), "--exit-after", "90"])
    assert code == 0, "the installed app's smoke test failed (its output is above)"

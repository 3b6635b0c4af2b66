"""The Windows installer script compiles (makensis, against a stand-in payload); the macOS .app's
Info.plist and layout are what Finder and codesign expect, as far as Linux can tell."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
from pathlib import Path

import macos_app
import pytest
import windows_installer

VERSION = "1.2.3"


def stand_in_payload(root: Path) -> Path:
    payload = root / "payload"
    (payload / "_internal" / "PySide6").mkdir(parents=True)
    for exe in ("realtor-console.exe", "realtor-ops.exe"):
        (payload / exe).write_bytes(b"MZ stand-in " + exe.encode())
    (payload / "_internal" / "PySide6" / "Qt6Core.dll").write_bytes(b"\0" * 4096)
    (payload / "_internal" / "space in name.txt").write_text("kept")
    return payload


@pytest.fixture(scope="module")
def makensis() -> str:
    tool = shutil.which("makensis")
    if tool is None:
        pytest.fail("makensis is missing: apt install nsis (scripts/test installs it)")
    return tool


def test_nsis_script_compiles_into_an_installer_with_the_payload(tmp_path: Path, makensis: str,
                                                                 icons: Path) -> None:
    setup = windows_installer.build(stand_in_payload(tmp_path), icons / "realtor-console.ico", tmp_path, VERSION,
                                    makensis=makensis)
    data = setup.read_bytes()
    assert setup.name == f"realtor-ops-console-{VERSION}-windows-setup.exe"
    assert data[:2] == b"MZ"
    assert b"Nullsoft" in data or b"NullsoftInst" in data
    # The version resource carries the product version (UTF-16 in the PE resources).
    assert "1.2.3".encode("utf-16-le") in data
    if shutil.which("7z"):  # 7-Zip lists an NSIS installer's files, uninstaller included
        listing = subprocess.run(["7z", "l", str(setup)], capture_output=True, text=True).stdout
        assert "realtor-ops.exe" in listing and "Uninstall.exe" in listing


def test_nsis_script_has_start_menu_uninstaller_per_user_mode_and_path() -> None:
    script = windows_installer.SCRIPT.read_text(encoding="utf-8")
    assert 'CreateShortCut "$SMPROGRAMS\\${APP_NAME}.lnk" "$INSTDIR\\realtor-console.exe"' in script
    assert 'WriteUninstaller "$INSTDIR\\Uninstall.exe"' in script
    assert "!include MultiUser.nsh" in script and "MULTIUSER_INSTALLMODE_COMMANDLINE" in script
    assert 'WriteRegExpandStr HKCU "${USER_ENV_KEY}" "Path"' in script
    assert "RMDir /r \"$INSTDIR\"" not in script  # never wipe a folder the user may have chosen


def test_nsis_refuses_to_compile_without_a_version(tmp_path: Path, makensis: str) -> None:
    result = subprocess.run([makensis, "-V1", f"-DBUNDLE_DIR={stand_in_payload(tmp_path)}",
                             str(windows_installer.SCRIPT)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "define VERSION" in result.stdout + result.stderr


@pytest.mark.parametrize(("version", "four"), [("0.1.0", "0.1.0.0"), ("1.2.0rc1", "1.2.0.0"), ("2", "2.0.0.0"),
                                                ("1.2.3.4.5", "1.2.3.4"), ("1.0+local.7", "1.0.0.0"), ("nightly", "0.0.0.0")])
def test_nsis_product_version_has_four_numbers(version: str, four: str) -> None:
    assert windows_installer.vi_version(version) == four


def stand_in_app(root: Path, icons: Path, plist: dict | None = None) -> Path:
    """An .app laid out as PyInstaller's BUNDLE lays it out (executables in MacOS, icon in Resources)."""
    app = root / macos_app.APP_NAME
    (app / "Contents" / "MacOS").mkdir(parents=True)
    (app / "Contents" / "Resources").mkdir()
    (app / "Contents" / "Frameworks").mkdir()
    for name in macos_app.EXECUTABLES:
        exe = app / "Contents" / "MacOS" / name
        exe.write_bytes(b"\xcf\xfa\xed\xfe stand-in")
        exe.chmod(0o755)
    shutil.copy2(icons / macos_app.ICON_FILE, app / "Contents" / "Resources" / macos_app.ICON_FILE)
    with open(app / "Contents" / "Info.plist", "wb") as fh:
        plistlib.dump(plist or macos_app.info_plist(VERSION), fh)
    return app


def test_info_plist_round_trips_and_has_what_finder_needs() -> None:
    plist = macos_app.info_plist(VERSION)
    for fmt in (plistlib.FMT_XML, plistlib.FMT_BINARY):
        assert plistlib.loads(plistlib.dumps(plist, fmt=fmt)) == plist
    assert plist["CFBundleIdentifier"] == "com.realtor-ops.console"
    assert plist["CFBundleShortVersionString"] == VERSION and plist["CFBundleExecutable"] == "realtor-console"
    assert plist["CFBundleIconFile"].endswith(".icns") and plist["CFBundlePackageType"] == "APPL"


def test_app_layout_check_passes_a_good_bundle(tmp_path: Path, icons: Path) -> None:
    app = stand_in_app(tmp_path, icons)
    assert macos_app.check_app(app, VERSION) == []
    icns = (app / "Contents" / "Resources" / macos_app.ICON_FILE).read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)


def test_app_layout_check_names_each_problem(tmp_path: Path, icons: Path) -> None:
    app = stand_in_app(tmp_path, icons, {**macos_app.info_plist("0.0.1"), "CFBundleIdentifier": "org.example"})
    (app / "Contents" / "MacOS" / "realtor-ops").unlink()
    (app / "Contents" / "MacOS" / "realtor-console").chmod(0o644)
    (app / "Contents" / "Resources" / macos_app.ICON_FILE).write_bytes(b"\x89PNG not icns")
    problems = "\n".join(macos_app.check_app(app, VERSION))
    assert "CFBundleShortVersionString is '0.0.1', expected '1.2.3'" in problems
    assert "CFBundleIdentifier is 'org.example'" in problems
    assert "Contents/MacOS/realtor-ops is missing" in problems
    assert "Contents/MacOS/realtor-console is not executable" in problems
    assert "is not an icns file" in problems
    (app / "Contents" / "Info.plist").write_text("<plist><dict><key>broken")
    assert "not a readable property list" in macos_app.check_app(app, VERSION)[0]

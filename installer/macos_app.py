"""The macOS app: Info.plist of ``Realtor Ops Console.app``, a check of the bundle, signing, the .dmg.

PyInstaller's BUNDLE (realtor-console.spec) lays the .app out; this module gives it its Info.plist,
checks the result, signs it (ad hoc, or with a Developer ID when ``MACOS_SIGNING_IDENTITY`` is set, then
notarizes when ``APPLE_NOTARY_KEY_PATH``, ``APPLE_NOTARY_KEY_ID`` and ``APPLE_NOTARY_ISSUER_ID`` are
set) and puts it in a compressed .dmg beside a link to /Applications. ``check_app`` and ``info_plist``
run anywhere (the tests run them on Linux); signing and the .dmg need macOS (codesign, hdiutil).
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

APP_NAME = "Realtor Ops Console.app"
BUNDLE_ID = "com.realtor-ops.console"
EXECUTABLES = ("realtor-console", "realtor-ops")
ICON_FILE = "realtor-console.icns"
MINIMUM_MACOS = "11.0"


def info_plist(version: str) -> dict[str, Any]:
    return {
        "CFBundleName": "Realtor Ops Console",
        "CFBundleDisplayName": "Realtor Ops Console",
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleExecutable": "realtor-console",
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundleIconFile": ICON_FILE,
        "LSMinimumSystemVersion": MINIMUM_MACOS,
        "NSHighResolutionCapable": True,
        "LSApplicationCategoryType": "public.app-category.developer-tools",
        "NSHumanReadableCopyright": "Realtor Ops maintainers",
    }


def check_app(app: Path, version: str) -> list[str]:
    """What is wrong with an .app bundle (empty when nothing): plist keys, executables, icon."""
    problems: list[str] = []
    plist_path = app / "Contents" / "Info.plist"
    try:
        with open(plist_path, "rb") as fh:
            plist = plistlib.load(fh)
    except (OSError, plistlib.InvalidFileException, ValueError, ExpatError) as exc:
        return [f"{plist_path}: not a readable property list ({exc})"]
    for key, value in info_plist(version).items():
        if key in ("CFBundleShortVersionString", "CFBundleVersion", "CFBundleIdentifier", "CFBundleExecutable",
                   "CFBundlePackageType") and plist.get(key) != value:
            problems.append(f"Info.plist {key} is {plist.get(key)!r}, expected {value!r}")
    macos = app / "Contents" / "MacOS"
    for name in EXECUTABLES:
        exe = macos / name
        if not exe.is_file():
            problems.append(f"Contents/MacOS/{name} is missing")
        elif not os.access(exe, os.X_OK):
            problems.append(f"Contents/MacOS/{name} is not executable")
    icon = plist.get("CFBundleIconFile", "")
    icon_path = app / "Contents" / "Resources" / (icon if icon.endswith(".icns") else f"{icon}.icns")
    if not icon or not icon_path.is_file():
        problems.append(f"the icon {icon_path.name or '(none)'} is not in Contents/Resources")
    elif icon_path.read_bytes()[:4] != b"icns":
        problems.append(f"{icon_path.name} is not an icns file")
    return problems


def sign(app: Path) -> None:
    """Ad hoc signature by default (runs on Apple silicon); Developer ID + notarization with the secrets."""
    identity = os.environ.get("MACOS_SIGNING_IDENTITY", "").strip()
    if not identity:
        subprocess.run(["codesign", "--force", "--deep", "--sign", "-", str(app)], check=True)
        return
    entitlements = Path(__file__).resolve().parent / "macos" / "entitlements.plist"
    subprocess.run(["codesign", "--force", "--deep", "--options", "runtime", "--timestamp",
                    "--entitlements", str(entitlements), "--sign", identity, str(app)], check=True)


def notarize(dmg: Path) -> None:
    key, key_id, issuer = (os.environ.get(n, "").strip() for n in
                           ("APPLE_NOTARY_KEY_PATH", "APPLE_NOTARY_KEY_ID", "APPLE_NOTARY_ISSUER_ID"))
    if not (key and key_id and issuer):
        print("notarization skipped: APPLE_NOTARY_KEY_PATH/_KEY_ID/_ISSUER_ID are not all set")
        return
    subprocess.run(["xcrun", "notarytool", "submit", str(dmg), "--key", key, "--key-id", key_id,
                    "--issuer", issuer, "--wait", "--timeout", "20m"], check=True)
    subprocess.run(["xcrun", "stapler", "staple", str(dmg)], check=True)


def build_dmg(app: Path, out: Path, version: str) -> Path:
    arch = os.uname().machine  # arm64 or x86_64: one .dmg per architecture
    target = out / f"realtor-ops-console-{version}-macos-{arch}.dmg"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "Realtor Ops Console"
        staging.mkdir()
        shutil.copytree(app, staging / app.name, symlinks=True)
        (staging / "Applications").symlink_to("/Applications")
        for attempt in range(5):  # hdiutil fails now and then with "Resource busy" on CI runners
            result = subprocess.run(["hdiutil", "create", "-volname", "Realtor Ops Console", "-srcfolder",
                                     str(staging), "-ov", "-format", "UDZO", str(target)])
            if result.returncode == 0:
                break
            if attempt == 4:
                raise SystemExit("hdiutil create failed five times")
    if os.environ.get("MACOS_SIGNING_IDENTITY", "").strip():
        subprocess.run(["codesign", "--sign", os.environ["MACOS_SIGNING_IDENTITY"], "--timestamp", str(target)],
                       check=True)
        notarize(target)
    return target

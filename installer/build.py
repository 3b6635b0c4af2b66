"""Build the frozen app and this OS's installers; print sizes and what takes the room.

    python installer/build.py [--reuse-bundle] [--out DIR] [--freeze-dir DIR]

Linux: a ``.deb`` and a ``.tar.gz`` (targets: installed bundle <= 250 MB, .deb <= 100 MB; exit 1 when
over). macOS: ``Realtor Ops Console.app`` in a ``.dmg`` (ad-hoc signed; signed with a Developer ID and
notarized when ``MACOS_SIGNING_IDENTITY`` and the notary variables are set). Windows: the NSIS installer
(``makensis`` on the PATH). ``scripts/build-installers`` runs this inside the project's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bundle_plan  # noqa: E402
import bundle_report  # noqa: E402

MB = 1_000_000
TARGETS = {"bundle": 250 * MB, "deb": 100 * MB}


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def freeze(freeze_dir: Path) -> Path:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(freeze_dir / "dist"), "--workpath", str(freeze_dir / "work"),
           str(HERE / "realtor-console.spec")]
    started = time.monotonic()
    subprocess.run(cmd, check=True, cwd=ROOT)
    log(f"frozen in {time.monotonic() - started:.0f} s")
    return freeze_dir / "dist" / "realtor-console"


def package(bundle: Path, freeze_dir: Path, out: Path, version: str, quick: bool) -> dict[str, Path]:
    icons = freeze_dir / "work" / "realtor-console" / "stage" / "icons"
    if sys.platform.startswith("linux"):
        import linux_packages

        if quick:
            return {"deb (quick)": linux_packages.build_deb(bundle, icons, out, version, quick=True)}
        return {"deb": linux_packages.build_deb(bundle, icons, out, version),
                "tar": linux_packages.build_tarball(bundle, icons, out, version)}
    if sys.platform == "darwin":
        import macos_app

        app = freeze_dir / "dist" / macos_app.APP_NAME
        problems = macos_app.check_app(app, version)
        if problems:
            raise SystemExit("the .app is not as it should be:\n  " + "\n  ".join(problems))
        macos_app.sign(app)
        return {"dmg": macos_app.build_dmg(app, out, version)}
    if sys.platform == "win32":
        import windows_installer

        return {"exe": windows_installer.build(bundle, icons / "realtor-console.ico", out, version)}
    raise SystemExit(f"no installer for {sys.platform}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the frozen app and this OS's installers.")
    parser.add_argument("--reuse-bundle", action="store_true", help="skip PyInstaller when the bundle exists")
    parser.add_argument("--freeze-dir", type=Path, default=ROOT / "build" / "freeze")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "installers")
    parser.add_argument("--quick", action="store_true",
                        help="Linux: only a fast-compressed .deb (for the smoke test), no tarball")
    args = parser.parse_args(argv)
    version = bundle_plan.project_version(ROOT)
    bundle = args.freeze_dir / "dist" / "realtor-console"
    if not (args.reuse_bundle and (bundle / "_internal").is_dir()):
        bundle = freeze(args.freeze_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    report = bundle_report.report(bundle, args.freeze_dir / "work" / "realtor-console" / "PYZ-00.toc")
    print(bundle_report.format_report(report))
    started = time.monotonic()
    artifacts = package(bundle, args.freeze_dir, args.out, version, args.quick)
    log(f"packaged in {time.monotonic() - started:.0f} s")
    sizes = {"bundle": report["total"], **{kind: path.stat().st_size for kind, path in artifacts.items()}}
    over = []
    for kind, size in sizes.items():
        target = TARGETS.get(kind) if sys.platform.startswith("linux") else None
        verdict = "" if target is None else f"  (target <= {target // MB} MB: {'ok' if size <= target else 'OVER'})"
        where = artifacts[kind].name if kind in artifacts else str(bundle)
        print(f"{kind:11s} {size / MB:8.1f} MB  {where}{verdict}")
        if target is not None and size > target:
            over.append(kind)
    (args.out / "sizes.json").write_text(json.dumps({"version": version, "sizes": sizes, "breakdown":
                                                     report["packages"]}, indent=2), encoding="utf-8")
    for path in artifacts.values():
        print(f"artifact: {path}")
    if over:
        print(f"error: over the size target: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # make_icons renders with Qt
    raise SystemExit(main())

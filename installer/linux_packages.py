"""The Linux packages of a frozen bundle: a ``.deb`` (dpkg-deb) and a ``.tar.gz`` for other distributions.

The .deb installs the bundle under ``/opt/realtor-ops-console``, links both programs into ``/usr/bin``,
and adds a ``.desktop`` entry and the icon in the hicolor theme. It has no maintainer scripts: the icon
cache and the desktop database are refreshed by the triggers of ``hicolor-icon-theme`` and
``desktop-file-utils``, and removal deletes exactly the files it installed. The user's workspace,
keyring entries, logs and audit log live in the user's home and are never touched.

Run: python installer/linux_packages.py BUNDLE_DIR ICONS_DIR OUT_DIR [--version V] [--no-deb] [--no-tar]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

PACKAGE = "realtor-ops-console"
PREFIX = "/opt/realtor-ops-console"
PROGRAMS = ("realtor-console", "realtor-ops")
MAINTAINER = "Realtor Ops maintainers <ops@realtor-ops.invalid>"
SUMMARY = "Admin console and CLI for a real-estate brokerage's hosting"
DESCRIPTION = (
    "Realtor Ops Console operates the hosting of a brokerage's web platform (Vercel, Supabase\n"
    "PostgreSQL, Upstash Redis, R2/S3, Sentry, Better Stack, GitHub Actions): environments, backups\n"
    "and restores, health. Includes the realtor-ops command-line tool and a local sandbox."
)
# What Qt's GUI library, its xcb platform plugin and GL integrations load from the system (the bundle
# carries Qt, not these), by soname: X11/xcb, EGL/GL, fontconfig/freetype, xkbcommon, GLib, D-Bus.
# tests/installer checks this against the NEEDED entries of the installed PySide6, so an upgrade that
# needs one more library fails a test instead of a user's first start.
SONAME_PACKAGES = {
    "libxcb.so.1": "libxcb1", "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-glx.so.0": "libxcb-glx0", "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0 | libglib2.0-0t64", "libgthread-2.0.so.0": "libglib2.0-0 | libglib2.0-0t64",
    "libdbus-1.so.3": "libdbus-1-3", "libz.so.1": "zlib1g",
}
SYSTEM_DEPENDS = tuple(dict.fromkeys(SONAME_PACKAGES.values()))
RECOMMENDS = ("gnome-keyring | kwalletmanager | keepassxc", "fonts-dejavu-core | fonts-noto-core")
SUGGESTS = ("redis-server",)

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Version=1.0
Name=Realtor Ops Console
GenericName=Hosting operations console
Comment=Environments, backups and health of the brokerage platform's hosting
Exec=realtor-console
TryExec=realtor-console
Icon=realtor-console
Terminal=false
Categories=Development;
Keywords=realtor;backup;restore;postgres;deploy;health;
StartupWMClass=realtor-console
"""


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)")


def glibc_needed(bundle: Path) -> str:
    """The newest ``GLIBC_x.y`` symbol version any file of the bundle asks for (the .deb's libc6 floor)."""
    newest = (2, 17)
    for path in elf_files(bundle):
        for major, minor in _GLIBC.findall(path.read_bytes()):
            newest = max(newest, (int(major), int(minor)))
    return f"{newest[0]}.{newest[1]}"


def deb_architecture() -> str:
    try:
        return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def control_file(version: str, installed_kib: int, glibc: str) -> str:
    description = "\n".join(" " + (line or ".") for line in DESCRIPTION.splitlines())
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {deb_architecture()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: libc6 (>= {glibc}), {', '.join(SYSTEM_DEPENDS)}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        f"Suggests: {', '.join(SUGGESTS)}\n"
        "Section: admin\n"
        "Priority: optional\n"
        "Homepage: https://github.com/realtor-ops/realtor-ops-console\n"
        f"Description: {SUMMARY}\n{description}\n"
    )


def _copy_tree(bundle: Path, target: Path) -> None:
    shutil.copytree(bundle, target, symlinks=True)
    for path in [target, *target.rglob("*")]:  # dpkg keeps modes: no group/other write, ever
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)


def _add_desktop_files(root: Path, icons: Path) -> None:
    apps = root / "usr/share/applications"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "realtor-console.desktop").write_text(DESKTOP_ENTRY, encoding="utf-8")
    shutil.copytree(icons / "hicolor", root / "usr/share/icons/hicolor", dirs_exist_ok=True)


def build_deb(bundle: Path, icons: Path, out: Path, version: str, *, quick: bool = False) -> Path:
    """The .deb (xz; ``quick``: gzip level 1, for tests that install it and throw it away)."""
    staging = out / "deb-root"
    if staging.exists():
        shutil.rmtree(staging)
    _copy_tree(bundle, staging / PREFIX.lstrip("/"))
    bin_dir = staging / "usr/bin"
    bin_dir.mkdir(parents=True)
    for program in PROGRAMS:
        (bin_dir / program).symlink_to(f"{PREFIX}/{program}")
    _add_desktop_files(staging, icons)
    doc = staging / f"usr/share/doc/{PACKAGE}"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {PACKAGE}\n\nFiles: *\nCopyright: Realtor Ops maintainers\nLicense: proprietary\n"
        " Bundles PySide6 (LGPLv3), PostgreSQL (PostgreSQL licence) and Python packages under their own\n"
        " licences.\n", encoding="utf-8")
    installed_kib = sum(p.lstat().st_size for p in staging.rglob("*")) // 1024 + 1
    debian = staging / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(control_file(version, installed_kib, glibc_needed(bundle)), encoding="utf-8")
    target = out / f"{PACKAGE}_{version}_{deb_architecture()}.deb"
    compression = ["-Zgzip", "-z1"] if quick else ["-Zxz"]
    cmd = ["dpkg-deb", "--root-owner-group", *compression, "--build", str(staging), str(target)]
    subprocess.run(cmd, check=True, capture_output=True)
    shutil.rmtree(staging)
    return target


def build_tarball(bundle: Path, icons: Path, out: Path, version: str) -> Path:
    """``realtor-ops-console-VERSION/``: the bundle, plus ``share/`` with the .desktop entry and icons."""
    machine = os.uname().machine
    name = f"{PACKAGE}-{version}"
    target = out / f"{name}-linux-{machine}.tar.gz"
    extras = out / "tar-extras"
    if extras.exists():
        shutil.rmtree(extras)
    _add_desktop_files(extras, icons)
    (extras / "INSTALL.txt").write_text(
        f"Realtor Ops Console {version}\n\n"
        "Unpack anywhere (e.g. ~/.local/opt) and run ./realtor-console, or ./realtor-ops in a terminal.\n"
        "For a menu entry: copy share/ into ~/.local/share and put realtor-console on your PATH.\n"
        f"Needs glibc >= {glibc_needed(bundle)} and the X11/xcb, EGL and fontconfig libraries most desktops have.\n",
        encoding="utf-8")

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode &= ~0o022
        return info

    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=name, filter=reset)
        tar.add(extras / "usr/share", arcname=f"{name}/share", filter=reset)
        tar.add(extras / "INSTALL.txt", arcname=f"{name}/INSTALL.txt", filter=reset)
    shutil.rmtree(extras)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the .deb and .tar.gz of a frozen bundle.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("icons", type=Path, help="output of installer/make_icons.py")
    parser.add_argument("out", type=Path)
    parser.add_argument("--version", required=True)
    parser.add_argument("--no-deb", action="store_true")
    parser.add_argument("--no-tar", action="store_true")
    args = parser.parse_args(argv)
    if not (args.bundle / "realtor-console").is_file():
        print(f"error: {args.bundle} is not a frozen bundle (no realtor-console in it)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_deb:
        print(build_deb(args.bundle, args.icons, args.out, args.version))
    if not args.no_tar:
        print(build_tarball(args.bundle, args.icons, args.out, args.version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

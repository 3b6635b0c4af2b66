"""How big a frozen bundle is, and which package takes the room (files on disk plus the Python archive).

Run: python installer/bundle_report.py BUNDLE_DIR [PYZ_TOC]
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path
from typing import Any

MB = 1_000_000


def _group(rel: Path) -> str:
    """Which package a file of ``_internal`` belongs to."""
    first = rel.parts[0]
    if len(rel.parts) == 1:
        if first.startswith("libpython"):
            return "libpython"
        if first == "base_library.zip":
            return "python stdlib"
        if ".so" in first or first.endswith((".dll", ".dylib")):
            return "system libraries"
        return "other"
    if first in ("python3.11", "python3.12", "python3.13", "lib-dynload"):
        return "python stdlib"
    for suffix in (".libs", ".dylibs"):
        if first.endswith(suffix):
            return first[: -len(suffix)]
    if first.endswith(".dist-info"):
        return "metadata"
    return first


def report(bundle: Path, pyz_toc: Path | None = None) -> dict[str, Any]:
    internal = bundle / "_internal"
    packages: Counter[str] = Counter()
    total = 0
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        if path.parent == bundle:
            packages["executables (with the Python archive)"] += size
        elif internal in path.parents:
            packages[_group(path.relative_to(internal))] += size
    archive: Counter[str] = Counter()
    if pyz_toc is not None and pyz_toc.exists():
        toc = ast.literal_eval(pyz_toc.read_text())
        for entry in toc[1] if isinstance(toc, tuple) else toc:  # (archive name, [(module, path, kind)])
            try:
                archive[entry[0].split(".")[0]] += Path(entry[1]).stat().st_size
            except (OSError, IndexError, TypeError):
                continue
    return {"total": total, "packages": dict(packages.most_common()), "archive_sources": dict(archive.most_common(12))}


def format_report(data: dict[str, Any]) -> str:
    lines = [f"bundle on disk: {data['total'] / MB:.1f} MB; by package:"]
    for name, size in data["packages"].items():
        if size >= 0.5 * MB:
            lines.append(f"  {size / MB:7.1f} MB  {name}")
    small = sum(s for s in data["packages"].values() if s < 0.5 * MB)
    lines.append(f"  {small / MB:7.1f} MB  (everything under 0.5 MB each)")
    if data["archive_sources"]:
        lines.append("largest packages in the Python archive (uncompressed sources):")
        lines += [f"  {size / MB:7.1f} MB  {name}" for name, size in data["archive_sources"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    toc = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(format_report(report(Path(sys.argv[1]), toc)))

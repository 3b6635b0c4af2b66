"""Printing for the CLI: tables for people, JSON for automation, errors as one plain sentence."""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from services.core.errors import ErrorReport


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any, out: TextIO | None = None) -> None:
    # sys.stdout is looked up per call (a default argument would pin the one at import time).
    out = out or sys.stdout
    json.dump(jsonable(value), out, indent=2, ensure_ascii=False, sort_keys=False)
    out.write("\n")


def print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    text = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    out.write(line.rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in text:
        out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")


def print_error(report: ErrorReport, *, as_json: bool) -> None:
    if as_json:
        print_json({"error": {"title": report.title, "message": report.sentence, "exit_code": report.exit_code}},
                   out=sys.stdout)
    print(f"error: {report.sentence}", file=sys.stderr)

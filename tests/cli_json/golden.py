"""Shared by the golden tests: the text ``print_json`` writes, so that key order and types count."""

from __future__ import annotations

import io
from typing import Any

from cli.output import print_json


def printed(value: Any) -> str:
    out = io.StringIO()
    print_json(value, out=out)
    return out.getvalue()

"""``realtor-ops backup …``: filled in by the backup issue; registers nothing until then."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    return None

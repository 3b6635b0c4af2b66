"""What every CLI command needs: the application context built from the global options."""

from __future__ import annotations

import argparse

from sandbox import sandbox_secrets
from services.core.app_context import AppContext, open_workspace

_OPENED: list[AppContext] = []


def open_context(args: argparse.Namespace) -> AppContext:
    ctx = open_workspace(args.workspace, secrets_from_env=args.secrets_from_env, sandbox_secrets=sandbox_secrets)
    _OPENED.append(ctx)
    return ctx


def opened_context() -> AppContext | None:
    """The context this run's command opened, if it got that far (one command per process)."""
    return _OPENED[-1] if _OPENED else None

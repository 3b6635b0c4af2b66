"""What every CLI command needs: the application context built from the global options."""

from __future__ import annotations

import argparse

from sandbox import sandbox_secrets
from services.core.app_context import AppContext, open_workspace


def open_context(args: argparse.Namespace) -> AppContext:
    return open_workspace(args.workspace, secrets_from_env=args.secrets_from_env, sandbox_secrets=sandbox_secrets)

"""``realtor-ops``: the headless CLI over the same services as the console.

Exit codes: 0 done, 1 the operation failed, 2 bad usage or configuration, 3 refused by a guard or
a lock.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Sequence

from cli import (
    backup_commands,
    config_commands,
    costs_commands,
    deploy_commands,
    env_commands,
    health_commands,
    sandbox_commands,
    timeline_commands,
    workspace_commands,
)
from cli.output import print_error
from services.core.app_version import version_line
from services.core.errors import ErrorReport, ExitCode, OpsError, ViewerRefusedError
from services.core.log_setup import log_path

COMMAND_MODULES = (workspace_commands, env_commands, sandbox_commands, backup_commands, health_commands,
                   deploy_commands, costs_commands, timeline_commands, config_commands)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(int(ExitCode.USAGE))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="realtor-ops",
        description="Operate the realtor platform's hosting from a terminal, CI or cron: environments, "
        "backups, health. Shares its services with the Realtor Ops Console.",
        epilog="Exit codes: 0 done, 1 the operation failed, 2 bad usage or configuration, "
        "3 refused by a guard or a lock.",
    )
    parser.add_argument("--workspace", metavar="PATH",
                        help="workspace TOML (default: $REALTOR_OPS_WORKSPACE, then the OS config folder)")
    parser.add_argument("--secrets-from-env", action="store_true",
                        help="read secrets from environment variables named as in .env files "
                        "(optionally prefixed with the environment's name, e.g. STAGING_DATABASE_URL) "
                        "instead of the OS keyring")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--version", action="version", version=version_line("realtor-ops"))
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr as well")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from services.core.log_setup import configure_logging
    from services.core.workspace import log_dir

    try:
        configure_logging(log_dir(), console=args.verbose, level=logging.INFO)
    except OSError:
        pass
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return int(ExitCode.USAGE)
    try:
        # A selector loop on every OS: psycopg's async mode refuses Windows' Proactor loop.
        with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
            return int(runner.run(handler(args)) or 0)
    except OpsError as exc:
        if isinstance(exc, ViewerRefusedError):
            _audit_refusal(args, exc)
        print_error(ErrorReport.from_exception(exc), as_json=args.json)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`realtor-ops backup list | head`): nothing more to say to it.
        _quiet_stdout()
        return int(ExitCode.FAILED)
    except Exception as exc:
        # No traceback for the user: one sentence, and the details in the log file.
        if log_path() is not None:
            logging.getLogger("realtor_ops.cli").error("unexpected error in '%s'", args.group, exc_info=exc)
        print_error(ErrorReport.from_exception(exc), as_json=args.json)
        return int(ExitCode.FAILED)


def _audit_refusal(args: argparse.Namespace, exc: ViewerRefusedError) -> None:
    """A viewer's refused change is recorded in the audit log, as the console records it."""
    from cli.common import opened_context

    ctx = opened_context()
    if ctx is None:
        return
    action = " ".join(part for part in (args.group, getattr(args, "command", None)) if part)
    try:
        ctx.audit.record(environment=getattr(args, "env", None) or "", action=action,
                         outcome=f"refused: {exc.sentence()}")
    except Exception:  # the refusal itself must still be shown
        logging.getLogger("realtor_ops.cli").warning("could not record the refusal in the audit log", exc_info=True)


def _quiet_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush does not raise again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    code = run()
    # Everything left is garbage the interpreter would scan again and again while it tears the modules
    # down (~0.2 s with boto3's models loaded); frozen, exit is immediate. atexit handlers still run.
    gc.freeze()
    raise SystemExit(code)


if __name__ == "__main__":
    main()

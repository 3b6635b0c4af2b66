"""``realtor-console``: start-up, the self-test, screenshots, and orderly shutdown.

The window is shown first and everything slow (the workspace's keyring look-ups, the sandbox) starts
afterwards on the loop, so the first paint is not held up by the network or by subprocesses.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")

log = logging.getLogger("realtor_ops.console")

VIEW_KEYS = ("overview", "environments", "deployments", "backups", "health", "costs", "timeline")  # as console.window


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or not (320 <= int(width) <= 8000 and 240 <= int(height) <= 8000):
        raise argparse.ArgumentTypeError(f"not a window size: {text!r} (e.g. 1024x640)")
    return int(width), int(height)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="realtor-console",
        description="Realtor Ops Console. With no workspace it runs a self-contained sandbox.",
    )
    parser.add_argument("--workspace", metavar="PATH", help="workspace TOML (default: $REALTOR_OPS_WORKSPACE, "
                        "then the OS config folder; with none, the sandbox)")
    parser.add_argument("--sandbox", action="store_true", help="run the sandbox even if a workspace exists")
    parser.add_argument("--secrets-from-env", action="store_true",
                        help="read secrets from environment variables instead of the OS keyring")
    parser.add_argument("--self-test", action="store_true",
                        help="check the Qt platform plugin, the keyring backend, the imports and start each "
                        "sandbox part once; exit 0 if all hold")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--view", choices=VIEW_KEYS, help="open on this view")
    parser.add_argument("--screenshot", metavar="FILE",
                        help="with --view: wait until the view's data is loaded, save a PNG of the window, exit")
    parser.add_argument("--screenshot-timeout", type=float, default=90.0, help=argparse.SUPPRESS)
    parser.add_argument("--size", metavar="WxH", type=_size, help="window size, e.g. 1024x640 (with --screenshot)")
    return parser.parse_args(argv)


def self_test() -> int:
    """The packaged app answers this too: it proves the frozen build has what it needs."""
    results: list[tuple[str, bool, str]] = []
    try:
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
        results.append(("Qt platform plugin", True, f"{QGuiApplication.platformName()} ({app.applicationName()})"))
    except Exception as exc:
        results.append(("Qt platform plugin", False, str(exc)))
    try:
        from services.core.credentials import describe_backend

        info = describe_backend()
        results.append(("keyring backend", not info.weak, f"{info.name}: {info.reason}"))
    except Exception as exc:
        results.append(("keyring backend", False, str(exc)))
    for module in ("psycopg", "psycopg_pool", "redis", "boto3", "httpx", "qasync", "sentry_sdk", "zstandard"):
        try:
            mod = __import__(module)
            results.append((f"import {module}", True, str(getattr(mod, "__version__", "ok"))))
        except Exception as exc:
            results.append((f"import {module}", False, str(exc)))
    try:
        import psycopg

        results.append(("libpq", True, str(psycopg.pq.version())))
    except Exception as exc:
        results.append(("libpq", False, str(exc)))
    from sandbox.self_check import check_sandbox_parts

    optional: set[str] = set()  # parts the sandbox runs without (Redis is the system's)
    for part in check_sandbox_parts():
        results.append((part.name, part.ok, part.detail))
        if not part.required:
            optional.add(part.name)
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'skip' if name in optional else 'FAIL'} {name}: {detail}")
    passed = all(ok or name in optional for name, ok, _ in results)
    print("self-test passed" if passed else "self-test FAILED")
    return 0 if passed else 1


async def open_context(session, args: argparse.Namespace, window) -> None:  # type: ignore[no-untyped-def]
    """Load the workspace, or start the sandbox when there is none."""
    import asyncio

    from sandbox import sandbox_secrets
    from services.core import workspace as ws_mod
    from services.core.app_context import build_context
    from services.core.errors import ConfigError, WorkspaceFileError

    path = ws_mod.resolve_workspace_path(args.workspace)
    explicit = bool(args.workspace or os.environ.get(ws_mod.WORKSPACE_ENV_VAR))
    if not args.sandbox and explicit and not await asyncio.to_thread(path.exists):
        offer_new_workspace(session, window, path, args)
        return
    if not args.sandbox and (explicit or path.exists()):
        try:
            workspace = await asyncio.to_thread(ws_mod.load, path)
            session.set_context(build_context(workspace, path, secrets_from_env=args.secrets_from_env,
                                              sandbox_secrets=sandbox_secrets))
            return
        except (WorkspaceFileError, ConfigError) as exc:
            # Never overwrite a file we could not read; show why and run with an empty workspace.
            empty = ws_mod.Workspace(name="(unreadable workspace)")
            session.set_context(build_context(empty, path, load_error=exc))
            session.errors.report(exc, "workspace")
            return
    await start_sandbox(session, window)


def offer_new_workspace(session, window, path: Path, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """A workspace path that does not exist yet: one banner offering to create it there, or the sandbox."""
    import html

    from services.core import workspace as ws_mod
    from services.core.app_context import build_context

    session.set_context(build_context(ws_mod.Workspace(name="(no workspace yet)"), path))

    async def create(profile: ws_mod.Profile) -> None:
        import asyncio

        workspace = ws_mod.Workspace(name=path.stem or "Realtor platform", profile=profile)
        await asyncio.to_thread(ws_mod.save, workspace, path)
        window.workspace_banner.show_text(
            f"Created the workspace <b>{html.escape(str(path))}</b> with the <b>{profile.value}</b> profile"
            + (" (it changes nothing; set profile = \"admin\" in the file to administer)." if profile is
               ws_mod.Profile.VIEWER else ". Add environments in Environments, or import a .env file."))
        session.set_context(build_context(workspace, path, secrets_from_env=args.secrets_from_env))

    window.workspace_banner.show_text(
        f"<b>There is no workspace at {html.escape(str(path))} yet.</b> Create one there, or open the sandbox "
        "to look around first (nothing is written until you choose).",
        actions=[("Create an admin workspace here", lambda: session.spawn(create(ws_mod.Profile.ADMIN), name="create workspace")),
                 ("Create a read-only (viewer) workspace", lambda: session.spawn(create(ws_mod.Profile.VIEWER),
                                                                                  name="create workspace")),
                 ("Open the sandbox", lambda: session.spawn(start_sandbox(session, window), name="sandbox"))])


async def start_sandbox(session, window) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from sandbox import sandbox_secrets
    from sandbox.runtime import SandboxRuntime
    from services.core.app_context import build_context
    from services.core.workspace import data_dir

    window.sandbox_banner.show_text("<b>SANDBOX</b> — starting the local sandbox (database, storage, stand-ins)…")
    runtime = SandboxRuntime(data_dir() / "sandbox")
    session.sandbox = runtime
    session.tasks.add_closer(lambda: asyncio.to_thread(runtime.stop))
    await asyncio.to_thread(runtime.start)
    for part in runtime.parts:
        if not part.available:
            session.errors.report(part.error, f"sandbox {part.name}") if part.error else None
    session.set_context(build_context(runtime.workspace, runtime.workspace_path, sandbox_secrets=sandbox_secrets))
    session.sandbox_status.emit(runtime.parts)
    if all(p.available for p in runtime.parts if p.name in ("PostgreSQL", "S3 endpoint")):
        # A new sandbox has no backup yet: take one, as a job, so every view has something real to show.
        session.jobs.start("Sandbox: first backup of production", sandbox_first_backup(session),
                           environment="production", kind="backup")
    session.spawn(watch_sandbox(session, runtime), name="sandbox:watch")


SANDBOX_CHECK_S = 10.0


async def watch_sandbox(session, runtime, every_s: float = SANDBOX_CHECK_S) -> None:  # type: ignore[no-untyped-def]
    """Keep the SANDBOX banner true: a part that stops answering is shown unavailable, and back again."""
    import asyncio

    while not session.tasks.closing:
        await asyncio.sleep(every_s)
        parts = await asyncio.to_thread(runtime.check_parts)
        if [(p.name, p.available) for p in parts] != [(p.name, p.available) for p in runtime.parts]:
            runtime.parts = parts
            session.sandbox_status.emit(parts)


def sandbox_first_backup(session):  # type: ignore[no-untyped-def]
    async def run(progress):  # type: ignore[no-untyped-def]
        from services.backup.catalog import list_backups
        from services.backup.dump_stream import create_backup

        if (await list_backups(session.ctx, "production")).good():
            progress.note("a backup exists already")
            return None
        return await create_backup(session.ctx, "production", progress)

    return run


async def enable_crash_reports_if_opted_in(session) -> bool:  # type: ignore[no-untyped-def]
    """Sentry for the console's own errors, only when the user opted in and a DSN is in the keyring."""
    import asyncio

    from services.core.console_settings import CONSOLE_SCOPE, DSN_SECRET, load_settings
    from services.core.crash_reports import init_crash_reports
    from services.core.errors import OpsError

    settings = await asyncio.to_thread(load_settings)
    if not settings.crash_reports or not session.ready:
        session.errors.crash_reports_enabled = False
        return False
    try:
        dsn = await session.ctx.credentials.aget(CONSOLE_SCOPE, DSN_SECRET)
    except OpsError as exc:
        session.errors.report(exc, "crash reports")
        return False
    if not dsn:
        return False
    # Inside the running loop: sentry-sdk's asyncio integration needs it.
    from services.core.app_version import app_version

    init_crash_reports(dsn, release=f"realtor-ops-console@{app_version()}")
    session.errors.crash_reports_enabled = True
    return True


async def take_screenshot(window, view_key: str, path: Path, timeout: float) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    view = window.show_view(view_key)
    deadline = asyncio.get_running_loop().time() + timeout
    while not window.session.ready and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    # A job started at start-up (the sandbox's first backup) changes what the screen shows: let it end.
    while window.session.jobs.running() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    view.reload()
    try:
        await asyncio.wait_for(view.loaded.wait(), max(1.0, deadline - asyncio.get_running_loop().time()))
    except TimeoutError:
        log.warning("view %s did not finish loading within %.0f s; taking the picture anyway", view_key, timeout)
    for _ in range(5):  # let layouts and repaints settle
        await asyncio.sleep(0.05)
    pixmap = window.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"could not write the screenshot to {path}")
    print(f"screenshot written to {path}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.version:  # read here, not in parse_args: importlib.metadata costs the first paint ~15 ms
        from services.core.app_version import version_line

        print(version_line("realtor-console"))
        return 0
    if args.self_test:
        return self_test()
    try:
        return _run_console(args)
    except Exception as exc:
        # Whatever escaped the error presenter (the window failed to build, the loop broke): one sentence
        # on stderr, the traceback in the log file, exit 1.
        return _unexpected_exit(exc)


def _unexpected_exit(exc: BaseException) -> int:
    from services.core.errors import unexpected_sentence
    from services.core.log_setup import configure_logging, log_path

    if log_path() is None:
        try:
            from services.core.workspace import log_dir

            configure_logging(log_dir())
        except OSError:
            pass
    if log_path() is not None:
        log.error("the console stopped on an unexpected error", exc_info=exc)
    print(f"error: {unexpected_sentence(exc)}", file=sys.stderr)
    return 1


def _run_console(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from console.async_bridge import close_loop, install_loop_exception_handler, make_loop
    from console.error_presenter import ErrorPresenter
    from console.session import Session
    from console.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Realtor Ops Console")
    app.setOrganizationName("realtor-ops")
    errors = ErrorPresenter()
    errors.install_hooks()
    session = Session(errors)
    # The shell (title, menus, sidebar, environment switcher) paints first; the rest is built right
    # after that paint (or when first needed).
    window = MainWindow(session, shell_first=True)
    if args.size:
        window.resize(*args.size)
    if args.view:
        window.select_view(args.view)
    if os.environ.get("REALTOR_BENCH_FIRST_PAINT") == "1":  # benchmarks/startup.py --frozen: time it, stop
        import time

        window.first_painted.connect(lambda: (print(f"PAINTED {time.time():.6f}", flush=True), os._exit(0)))
    window.show()
    # Paint the shell now; the rest of the window and the event loop machinery (asyncio, qasync: ~30 ms
    # of imports) come after. (No second processEvents: a quit() outside the loop would be lost.)
    app.processEvents()
    if window.painted:
        window.ensure_complete()
    loop = make_loop(app)  # type: ignore[arg-type]
    from console.gui_gc import collect_on_gui_thread

    collect_on_gui_thread(app)  # worker threads must never finalize a Qt object
    install_loop_exception_handler(loop, errors.report)

    async def boot() -> None:
        import asyncio
        import contextlib
        import gc

        window.ensure_complete()  # the banners show what the start-up does
        from console import warm_up
        from services.core.log_setup import configure_logging
        from services.core.workspace import log_dir

        await asyncio.to_thread(configure_logging, log_dir())
        s3_ready = asyncio.ensure_future(asyncio.to_thread(warm_up.s3_client))
        await asyncio.to_thread(warm_up.first_reads)
        # The modules' objects live as long as the process: out of the collector's sight, so that its first
        # pass (on the Qt thread, while the first screen's answers arrive) does not walk them all (~70 ms).
        gc.freeze()
        from console.health_monitor import HealthMonitor

        # Polls every environment from start-up: the status-bar lights, the tray and the overview need it.
        HealthMonitor(session, session)
        await open_context(session, args, window)
        # The rest while the first reads are on the network (the health monitor's start waits for its part).
        warming = asyncio.ensure_future(asyncio.to_thread(warm_up.later))
        await enable_crash_reports_if_opted_in(session)
        await s3_ready
        await warming
        # What the other screens need, once the first screen has its answers (its reads are not slowed).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(window.current_view().loaded.wait(), warm_up.OTHER_SCREENS_AFTER_S)
        await asyncio.to_thread(warm_up.other_screens)

    exit_code = 0

    async def screenshot_then_quit() -> None:
        nonlocal exit_code
        try:
            await take_screenshot(window, args.view or "health", Path(args.screenshot), args.screenshot_timeout)
        except Exception as exc:
            print(f"screenshot failed: {exc}", file=sys.stderr)
            exit_code = 1
        app.quit()

    # Ctrl-C and SIGTERM quit cleanly; the timer lets Python run its signal handlers under Qt.
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    ticker = QTimer()
    ticker.start(200)
    ticker.timeout.connect(lambda: None)

    # Work that is not needed for the first picture starts once the window has painted.
    booted = False

    def start_boot() -> None:
        nonlocal booted
        if not booted:
            booted = True
            session.spawn(boot(), name="boot")

    if window.painted:
        QTimer.singleShot(0, start_boot)
    else:
        window.first_painted.connect(start_boot)
        QTimer.singleShot(1500, start_boot)  # a window that never paints (minimised) still starts
    if args.screenshot:
        session.spawn(screenshot_then_quit(), name="screenshot")
    app.aboutToQuit.connect(loop.stop)
    try:
        loop.run_forever()
    finally:
        window.hide()
        loop.run_until_complete(session.tasks.shutdown())
        close_loop(loop)
    return exit_code


def run() -> None:
    raise SystemExit(main())

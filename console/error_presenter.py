"""The one place errors become sentences on screen.

Everything funnels here: ``sys.excepthook``, ``threading.excepthook``, the asyncio loop's exception
handler and task failures. Typed service errors are shown in their own words; anything else is
logged in full and shown as "something unexpected went wrong". The same error is shown once, not
once per retry or per view that noticed it.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

if TYPE_CHECKING:  # imported when the first error comes: the window paints without them
    from services.core.errors import ErrorReport

log = logging.getLogger("realtor_ops.errors")


def _ensure_log_file() -> None:
    """An error before start-up configured the log file would otherwise reach logging's last-resort
    handler, which prints the traceback on stderr."""
    from services.core.log_setup import configure_logging, log_path

    if log_path() is None:
        from services.core.workspace import log_dir

        try:
            configure_logging(log_dir())
        except OSError:
            logging.getLogger().addHandler(logging.NullHandler())


def log_unexpected(exc: BaseException, context: str = "") -> None:
    """The traceback of an error nobody planned for, into the log file (never stderr)."""
    _ensure_log_file()
    log.error("unexpected error in %s:\n%s", context or "console",
              "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


class ErrorPresenter(QObject):
    """Emits ``shown`` on the Qt thread for each distinct error; safe to call from any thread."""

    shown = Signal(object)  # ErrorReport

    def __init__(self, parent: QObject | None = None, *, dedupe_s: float = 5.0) -> None:
        super().__init__(parent)
        self._dedupe_s = dedupe_s
        self._recent: dict[str, float] = {}
        self.history: list[ErrorReport] = []
        self.crash_reports_enabled = False
        self._incoming: deque[tuple[BaseException, str]] = deque()

    def report(self, exc: BaseException, context: str = "") -> None:
        from services.core.errors import OpsError

        if isinstance(exc, OpsError):
            log.warning("%s: %s%s", context or "error", exc.sentence(), f" ({exc.detail})" if exc.detail else "")
        else:
            log_unexpected(exc, context)
            if self.crash_reports_enabled:
                try:
                    import sentry_sdk

                    sentry_sdk.capture_exception(exc)
                except Exception:
                    log.debug("crash report not sent", exc_info=True)
        # Shown on the Qt thread, later, as a queued signal would; a posted event needs no
        # ``Qt.ConnectionType``, whose namespace costs the first paint ~15 ms.
        self._incoming.append((exc, context))
        QCoreApplication.postEvent(self, QEvent(QEvent.Type.User))

    def customEvent(self, event: QEvent) -> None:
        while self._incoming:
            self._present(*self._incoming.popleft())

    def _present(self, exc: BaseException, context: str) -> None:
        from services.core.errors import ErrorReport

        report = ErrorReport.from_exception(exc)
        key = f"{report.title}|{report.sentence}"
        now = time.monotonic()
        if now - self._recent.get(key, -1e9) < self._dedupe_s:
            return
        self._recent[key] = now
        self.history.append(report)
        self.shown.emit(report)

    # --- the funnel ---------------------------------------------------------------------------
    def install_hooks(self) -> None:
        def excepthook(tp: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
            if issubclass(tp, KeyboardInterrupt):
                sys.__excepthook__(tp, value, tb)
                return
            self.report(value, "unhandled")

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is not None:
                self.report(args.exc_value, f"thread {args.thread.name if args.thread else '?'}")

        sys.excepthook = excepthook
        threading.excepthook = thread_hook

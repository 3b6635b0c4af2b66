"""Rotating logs in the OS log folder, with every known secret masked before it is written.

The masker knows two kinds of secret: values the credential store has handed out in this process,
and shapes that look like secrets whatever they are (passwords inside URLs, bearer tokens,
``KEY=value`` pairs whose key says secret/token/password).
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

MASK = "••••"

# Every pattern is linear in the length of the text: a name or scheme starts only where a word starts,
# and possessive quantifiers (``*+``) never give back what they matched. (The first versions let
# ``[A-Z0-9_]*`` backtrack through every long word of a line: 15,000 lines of 900 characters took
# minutes, and one line of a 100 KB base64 blob would have stalled whichever thread logged it.)
_URL_PASSWORD = re.compile(
    r"(?P<pre>(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^:/@\s]*+:)(?P<secret>[^@\s/]++)(?P<post>@)")
_AUTH_HEADER = re.compile(r"(?P<pre>(?i:\bbearer|\bbasic)\s++)(?P<secret>[A-Za-z0-9._~+/=-]{8,})(?P<post>)")
# NAME=value or "name": "value"; the name says whether the value is secret.
_NAMED_VALUE = re.compile(
    r"(?P<pre>(?<![A-Za-z0-9_])(?P<name>[A-Za-z0-9_]++)[\"']?\s*+[=:]\s*+[\"']?)(?P<secret>[^\s\"',;]{4,}+)")
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY|DSN|AUTH", re.I)


def _mask_shapes(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('pre')}{MASK}{m.group('post')}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group('pre')}{MASK}", text)
    return _NAMED_VALUE.sub(_mask_named, text)


def _mask_named(m: re.Match[str]) -> str:
    if _SECRET_NAME.search(m.group("name")):
        return f"{m.group('pre')}{MASK}"
    # Not a secret's name: its value may still hold one (``opts=PASSWORD=hunter22``).
    return m.group("pre") + _NAMED_VALUE.sub(_mask_named, m.group("secret"))


class SecretMasker:
    """Replaces secret values in text. Thread-safe; values are only held in memory."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._sources: list[Callable[[], Iterable[str]]] = []
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            self._values.update(v for v in values if v and len(v) >= 4)

    def add_source(self, source: Callable[[], Iterable[str]]) -> None:
        with self._lock:
            self._sources.append(source)

    def _all_values(self) -> list[str]:
        with self._lock:
            values = set(self._values)
            sources = list(self._sources)
        for source in sources:
            try:
                values.update(v for v in source() if v and len(v) >= 4)
            except Exception:  # noqa: S112 - a failing source must never break logging
                continue
        return sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for value in self._all_values():
            if value in text:
                text = text.replace(value, MASK)
        return _mask_shapes(text)


MASKER = SecretMasker()


class MaskingFilter(logging.Filter):
    def __init__(self, masker: SecretMasker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.masker(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.masker(record.exc_text)
        if record.stack_info:
            record.stack_info = self.masker(record.stack_info)
        return True


_log_path: Path | None = None


def log_path() -> Path | None:
    """The file this process logs to, once ``configure_logging`` has succeeded."""
    return _log_path


class _NoTracebackFormatter(logging.Formatter):
    """For stderr (--verbose): one line per record; the traceback stays in the log file."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return text + (" (traceback in the log file)" if saved[0] or saved[1] else "")


def configure_logging(folder: Path, *, level: int = logging.INFO, console: bool = False,
                      masker: SecretMasker = MASKER) -> Path:
    """Log to ``folder/realtor-ops.log``, 5 files of 2 MB, secrets masked. Returns the log path."""
    global _log_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "realtor-ops.log"
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_realtor_ops", False):
            root.removeHandler(old)
            old.close()
    handler: logging.Handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter(masker))
    handler._realtor_ops = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    _log_path = path
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(_NoTracebackFormatter("%(levelname)s %(name)s: %(message)s"))
        stream.addFilter(MaskingFilter(masker))
        stream._realtor_ops = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(min(root.level or level, level) if root.handlers else level)
    root.setLevel(level)
    # Third-party chatter that may print request URLs with credentials stays at WARNING.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "httpx", "httpcore", "psycopg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path

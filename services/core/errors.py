"""Typed errors raised by services.

Every error a user can meet is one of these. Each carries a plain sentence (``message``) that the
console's error presenter and the CLI show as is, an optional ``hint`` saying what to do, and the
CLI exit code it maps to (PRODUCT.md: 1 the operation failed, 2 bad usage or configuration,
3 refused by a guard or a lock). Services raise; only the shell decides how to show.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    REFUSED = 3


class OpsError(Exception):
    """Base of every error a service raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILED
    title = "The operation failed"

    def __init__(self, message: str, *, hint: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Technical detail for logs and the "details" fold-out; never shown as the headline.
        self.detail = detail

    def sentence(self) -> str:
        """The message and the hint, as one or two plain sentences."""
        text = self.message.rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        if self.hint:
            hint = self.hint.rstrip()
            text += " " + hint + ("" if hint.endswith((".", "!", "?")) else ".")
        return text

    def __str__(self) -> str:
        return self.sentence()


class ConfigError(OpsError):
    """Bad usage or configuration: a malformed file, a missing setting, an unknown environment."""

    exit_code = ExitCode.USAGE
    title = "Configuration problem"


class WorkspaceFileError(ConfigError):
    """The workspace TOML cannot be read. Names the file, the line and the field where known."""

    title = "The workspace file cannot be read"

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = path
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.line = line
        self.field = field


class CredentialError(OpsError):
    title = "Secret store problem"


class KeyringUnavailableError(CredentialError):
    """No usable OS keyring (locked, missing, or only keyring's fail backend)."""

    exit_code = ExitCode.USAGE
    title = "The OS keyring is not available"


class SecretMissingError(CredentialError):
    exit_code = ExitCode.USAGE
    title = "A secret is missing"


class FailureKind(enum.StrEnum):
    """Why a connection to something failed. Each kind has its own user-facing wording."""

    AUTH = "wrong credentials"
    PERMISSION = "missing permission"
    UNREACHABLE = "host unreachable"
    REFUSED = "connection refused"
    DNS = "DNS failure"
    TIMEOUT = "timeout"
    TLS = "TLS failure"
    NOT_FOUND = "not found"
    RATE_LIMITED = "rate limited"
    SERVER_ERROR = "server error"
    PROTOCOL = "unexpected answer"
    DROPPED = "connection dropped"


class ConnectionFailure(OpsError):
    """Talking to a database, cache, bucket or API failed, for a known reason (``kind``)."""

    title = "Connection failed"

    def __init__(
        self,
        message: str,
        *,
        kind: FailureKind,
        target: str = "",
        hint: str | None = None,
        detail: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.kind = kind
        self.target = target
        self.status = status
        self.retry_after = retry_after


class GuardRefusedError(OpsError):
    """A guard (viewer profile, production lock, missing confirmation) refused the action."""

    exit_code = ExitCode.REFUSED
    title = "Refused"


class ViewerRefusedError(GuardRefusedError):
    """The workspace's profile is viewer: nothing that writes is allowed. The console and the CLI record
    each such refusal in the audit log (a missing confirmation is a usage error and is not recorded)."""


class LockHeldError(OpsError):
    """Another operation holds the lock on the same target."""

    exit_code = ExitCode.REFUSED
    title = "Busy"


class OperationCancelled(OpsError):
    title = "Cancelled"

    def __init__(self, message: str = "The operation was cancelled; nothing was left half-done") -> None:
        super().__init__(message)


class IntegrityError(OpsError):
    """Data failed a check: a checksum, an archive's structure, a row count."""

    title = "Integrity check failed"


class SandboxPartUnavailable(OpsError):
    """One part of the local sandbox could not start (the rest still runs)."""

    title = "Sandbox part unavailable"


@dataclass(frozen=True)
class ErrorReport:
    """What the shell shows for one error: plain data, so views and the CLI render it alike."""

    title: str
    sentence: str
    detail: str | None
    exit_code: int

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorReport:
        if isinstance(exc, OpsError):
            return cls(exc.title, exc.sentence(), exc.detail, int(exc.exit_code))
        # Unexpected errors: say so plainly, keep the technical text for the details fold-out.
        name = type(exc).__name__
        return cls("Unexpected error", unexpected_sentence(exc), f"{name}: {exc}", int(ExitCode.FAILED))


def unexpected_sentence(exc: BaseException) -> str:
    """One sentence for an error nobody planned for: what kind, and where its details are (never its text,
    which may hold anything)."""
    from services.core.log_setup import log_path

    where = log_path()
    told = f"the details were written to {where}" if where else "the details could not be logged"
    return f"Something unexpected went wrong ({type(exc).__name__}); {told}."

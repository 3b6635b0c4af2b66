"""Opt-in crash reports for the console's own errors (Sentry), with secrets scrubbed before sending.

Only unexpected errors are sent; typed service errors (a wrong password, an unreachable host) are the
user's business, not a bug. ``scrub_event`` walks the whole event and masks secret values and shapes;
it also drops request bodies, cookies, local variables and environment data outright.
"""

from __future__ import annotations

from typing import Any

from services.core.errors import OpsError
from services.core.log_setup import MASKER, SecretMasker

_DROP_KEYS = {"cookies", "data", "env", "headers", "vars", "query_string"}


def scrub_event(event: dict[str, Any], masker: SecretMasker = MASKER) -> dict[str, Any]:
    def walk(value: Any, key: str = "") -> Any:
        if key in _DROP_KEYS:
            return "[removed]"
        if isinstance(value, str):
            return masker(value)
        if isinstance(value, dict):
            return {k: walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(event)  # type: ignore[no-any-return]


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    exc_info = hint.get("exc_info") if hint else None
    if exc_info and isinstance(exc_info[1], OpsError):
        return None
    return scrub_event(event)


def init_crash_reports(dsn: str, *, release: str, environment: str = "console") -> bool:
    """Initialise sentry-sdk. Call inside the running loop (its asyncio integration needs it)."""
    import sentry_sdk
    from sentry_sdk.integrations.asyncio import AsyncioIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    MASKER.add(dsn)
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        environment=environment,
        send_default_pii=False,
        include_local_variables=False,
        max_breadcrumbs=30,
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=lambda crumb, hint: scrub_event(crumb),
        integrations=[AsyncioIntegration(), LoggingIntegration(event_level=None)],
        default_integrations=True,
    )
    return True

"""The health checks' stable identifiers and labels, importable without the checks themselves (the CLI's
parser needs them; importing ``services.health`` pulls in every check's client)."""

from __future__ import annotations

# Stable check identifiers, in board order, with the words people see.
CHECK_LABELS: dict[str, str] = {
    "platform": "Platform /api/health",
    "database": "Database",
    "redis": "Redis",
    "storage": "Storage",
    "external": "External APIs",
    "tls": "TLS certificate",
    "headers": "Security headers",
    "sentry": "Sentry",
    "betterstack": "Better Stack",
}
CHECK_NAMES: tuple[str, ...] = tuple(CHECK_LABELS)

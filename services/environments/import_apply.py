"""Applying an import plan: the secrets to the keyring first, then the workspace; all or nothing, audited.
If anything fails, the environment is put back and the keyring entries written are restored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from services.core.app_context import AppContext
from services.core.errors import ConfigError, OpsError
from services.core.guard import Authorization
from services.environments.import_plan import (
    ImportApplyError,
    ImportChangedError,
    ImportPlan,
    ImportResult,
    environment_digest,
)

log = logging.getLogger(__name__)


def apply_import(ctx: AppContext, plan: ImportPlan, auth: Authorization,
                 *, save: Callable[[], None] | None = None) -> ImportResult:
    """Write the plan: secrets to the keyring, then the workspace; all or nothing. Audited.

    ``auth`` comes from ``guard.authorize`` (or the console's unlock dialog) for this environment.
    """
    if auth.environment != plan.environment:
        raise ConfigError(f"The authorization is for {auth.environment}, not {plan.environment}")
    if plan.is_noop:
        return ImportResult(plan.environment, 0, (), False, True)
    current = ctx.workspace.environments.get(plan.environment)
    if environment_digest(current) != plan._base_digest:
        raise ImportChangedError(f"{plan.environment} changed since the import was previewed",
                                 hint="Preview the import again")
    assert plan._new_env is not None
    creds = ctx.credentials
    written: list[tuple[str, str | None]] = []  # (secret, previous value or None)
    details = {"source": plan.source, "settings": [c.path for c in plan.settings],
               "secrets": [c.name for c in plan.secrets], "removed_secrets": plan.removed_secrets,
               "created": plan.creates_environment}
    previous_env = current
    try:
        for change in plan.secrets:
            before = creds.get(plan.environment, change.name) if change.action == "change" else None
            creds.set(plan.environment, change.name, plan._secret_values[change.name])
            written.append((change.name, before))
        for name in plan.removed_secrets:
            before = creds.get(plan.environment, name)
            creds.delete(plan.environment, name)
            written.append((name, before))
        ctx.workspace.environments[plan.environment] = plan._new_env
        (save or ctx.save_workspace)()
    except BaseException as exc:
        if previous_env is None:
            ctx.workspace.environments.pop(plan.environment, None)
        else:
            ctx.workspace.environments[plan.environment] = previous_env
        left = _rollback(ctx, plan.environment, written)
        outcome = "failed; nothing applied" if not left else f"failed; could not undo {', '.join(left)}"
        ctx.audit.record(environment=plan.environment, action="import .env", target=plan.source,
                         reason=auth.reason, outcome=outcome, details=details)
        if not isinstance(exc, Exception):
            raise
        why = exc.sentence() if isinstance(exc, OpsError) else "an unexpected error"
        if left:
            raise ImportApplyError(
                f"The import failed ({why}) and these keyring entries could not be restored: {', '.join(left)}",
                hint="Check them in the environment's secrets", detail=f"{type(exc).__name__}") from None
        raise ImportApplyError(f"The import failed ({why}); nothing was changed",
                               detail=f"{type(exc).__name__}") from None
    ctx.audit.record(environment=plan.environment, action="import .env", target=plan.source, reason=auth.reason,
                     outcome=f"applied: {len(plan.settings)} setting(s), {len(plan.secrets)} secret(s)",
                     details=details)
    log.info("imported %s into %s: %d settings, %d secrets", plan.source, plan.environment,
             len(plan.settings), len(plan.secrets))
    return ImportResult(plan.environment, len(plan.settings), tuple(n for n, _ in written),
                        plan.creates_environment, False)


def _rollback(ctx: AppContext, env_name: str, written: list[tuple[str, str | None]]) -> list[str]:
    left = []
    for name, before in reversed(written):
        try:
            if before is None:
                ctx.credentials.delete(env_name, name)
            else:
                ctx.credentials.set(env_name, name, before)
        except Exception:
            left.append(name)
    return left


async def aapply_import(ctx: AppContext, plan: ImportPlan, auth: Authorization) -> ImportResult:
    return await asyncio.to_thread(apply_import, ctx, plan, auth)

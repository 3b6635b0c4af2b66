"""Roles and the production guard.

A viewer changes nothing. An admin changes anything outside production freely; in production one
action at a time is unlocked by typing the environment's name and giving a reason, which goes into
the audit log with the outcome. The CLI's --confirm/--reason and the console's unlock dialog both
end up in ``authorize``.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.core.errors import GuardRefusedError, ViewerRefusedError
from services.core.workspace import Environment, Profile, Workspace


@dataclass(frozen=True)
class Authorization:
    """Permission for exactly one action; carries what the audit log needs."""

    environment: str
    action: str
    reason: str
    unlocked_production: bool


def can_change(workspace: Workspace) -> bool:
    return workspace.profile == Profile.ADMIN


def needs_unlock(env: Environment) -> bool:
    return env.is_production


def require_admin(workspace: Workspace, action: str) -> None:
    """Refuse a viewer anything that writes to a bucket, a database or a provider (before any of it is read)."""
    if workspace.profile != Profile.ADMIN:
        raise ViewerRefusedError(
            f"This workspace's profile is 'viewer', so '{action}' is not allowed: a viewer changes nothing "
            "(no bucket, database or provider is written)",
            hint="Ask an admin, or switch the workspace profile to admin",
        )


def authorize_additive(workspace: Workspace, env: Environment, action: str) -> Authorization:
    """For actions that only add (a new backup, a verification record, a scratch database dropped again):
    a viewer is refused; no typed confirmation, even on production, so that a scheduled run works headless."""
    require_admin(workspace, action)
    return Authorization(env.name, action, "", False)


def authorize(workspace: Workspace, env: Environment, action: str, *, confirm: str | None = None,
              reason: str | None = None, target_name: str | None = None, why: str | None = None) -> Authorization:
    """Raise GuardRefusedError unless the action may go ahead now.

    ``target_name`` is what must be typed (the environment's name by default; a restore asks for the
    target database's name, or for the environment's when the target is its database). ``why`` says how
    the target was judged to be the environment's (shown when the confirmation is missing).
    """
    require_admin(workspace, action)
    expected = target_name or env.name
    because = f": {why}" if why else ""
    if needs_unlock(env) or target_name:
        if (confirm or "").strip() != expected:
            raise GuardRefusedError(
                f"'{action}' on {env.name} needs the name '{expected}' typed to confirm{because}",
                hint=f"Pass --confirm {expected} (and --reason) or type it in the dialog",
            )
        if needs_unlock(env) and not (reason or "").strip():
            raise GuardRefusedError(
                f"'{action}' on production environment '{env.name}' needs a reason for the audit log{because}",
                hint="Pass --reason TEXT or fill in the reason in the dialog",
            )
    return Authorization(env.name, action, (reason or "").strip(), needs_unlock(env))

"""The environment edits' one API (coroutines): add, edit, duplicate, secrets, reveal, remove — each
guarded, saved and audited, also when it fails."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from services.core import workspace as ws
from services.core.app_context import AppContext
from services.core.errors import ConfigError, GuardRefusedError
from services.core.guard import Authorization, authorize
from services.environments import environment_edits as edits


def _auth(env: str) -> Authorization:
    return Authorization(env, "edit", "testing", False)


def test_the_public_changes_are_coroutines_and_have_no_sync_twins() -> None:
    for name in ("add_environment", "update_environment", "duplicate_environment", "remove_environment",
                 "keyring_entries", "set_secret", "delete_secret", "reveal_secret"):
        assert inspect.iscoroutinefunction(getattr(edits, name)), name
        assert not hasattr(edits, "a" + name), name


def test_add_edit_duplicate_secrets_and_remove(ctx: AppContext) -> None:
    async def run() -> None:
        added = await edits.add_environment(ctx, "qa", ws.EnvironmentKind.OTHER, _auth("qa"))
        assert added.name == "qa" and "qa" in ws.load(ctx.workspace_path).environments

        updated = await edits.update_environment(ctx, "qa", {"app_url": "https://qa.example.com"}, _auth("qa"))
        assert updated.app_url == "https://qa.example.com"
        assert ws.load(ctx.workspace_path).environments["qa"].app_url == "https://qa.example.com"

        await edits.set_secret(ctx, "qa", "DATABASE_PASSWORD", "pw-for-qa-7", _auth("qa"))
        assert await edits.reveal_secret(ctx, "qa", "DATABASE_PASSWORD") == "pw-for-qa-7"

        copy = await edits.duplicate_environment(ctx, "qa", "qa2", ws.EnvironmentKind.OTHER, _auth("qa2"),
                                                 copy_secrets=True)
        assert copy.app_url == "https://qa.example.com"
        assert await edits.reveal_secret(ctx, "qa2", "DATABASE_PASSWORD") == "pw-for-qa-7"
        assert any(e.endswith("qa2/DATABASE_PASSWORD") for e in await edits.keyring_entries(ctx, "qa2"))

        await edits.delete_secret(ctx, "qa2", "DATABASE_PASSWORD", _auth("qa2"))
        assert await edits.reveal_secret(ctx, "qa2", "DATABASE_PASSWORD") is None

        assert (await edits.remove_environment(ctx, "qa", _auth("qa"))).secrets_removed == ("DATABASE_PASSWORD",)
        await edits.remove_environment(ctx, "qa2", _auth("qa2"))
        assert not {"qa", "qa2"} & set(ws.load(ctx.workspace_path).environments)

    asyncio.run(run())
    outcomes = [(e.action, e.environment, e.outcome) for e in ctx.audit.entries()]
    for action in ("add environment", "edit environment", "set secret", "duplicate environment",
                   "delete secret", "remove environment"):
        assert any(a == action and o == "done" for a, _, o in outcomes), action
    assert ("reveal secret", "qa", "shown") in outcomes


def test_a_refused_or_invalid_change_is_not_saved(ctx: AppContext) -> None:
    async def run() -> None:
        with pytest.raises(GuardRefusedError, match="unlock was for staging"):
            await edits.add_environment(ctx, "qa", ws.EnvironmentKind.OTHER, _auth("staging"))
        with pytest.raises(ConfigError, match="cannot be an environment name"):
            await edits.add_environment(ctx, "no spaces", ws.EnvironmentKind.OTHER, _auth("no spaces"))
        production = ctx.environment("production")
        auth = authorize(ctx.workspace, production, "edit environment", confirm="production", reason="port")
        with pytest.raises(ConfigError):
            await edits.update_environment(ctx, "production", {"database.port": 0}, auth)

    asyncio.run(run())
    saved = ws.load(ctx.workspace_path)
    assert "qa" not in saved.environments
    assert saved.environments["production"].database.port == ctx.environment("production").database.port

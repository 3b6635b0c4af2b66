"""``workspace init/show --json`` and ``sandbox up --json`` print what the objects' own ``to_json`` returns,
byte for byte what the CLI used to build by hand (the ``legacy`` expressions are its former code)."""

from __future__ import annotations

from pathlib import Path

from sandbox.runtime import SandboxPart, SandboxRuntime
from services.core import workspace as ws_mod
from services.core.errors import OpsError
from tests.cli_json.golden import printed


def space() -> ws_mod.Workspace:
    w = ws_mod.Workspace(name="W", id="abc", profile=ws_mod.Profile.ADMIN, sandbox=True)
    for name, kind in (("production", ws_mod.EnvironmentKind.PRODUCTION), ("dev", ws_mod.EnvironmentKind.DEVELOPMENT)):
        w.environments[name] = ws_mod.seed_environment(name, kind)
    return w


def test_workspace_init_and_show(tmp_path: Path) -> None:
    path, created = tmp_path / "workspace.toml", space()
    legacy = {"workspace": str(path), "name": created.name, "id": created.id, "profile": created.profile.value}
    assert printed(ws_mod.WorkspaceInfo(str(path), created, created=True).to_json()) == printed(legacy)
    envs = [{"name": e.name, "kind": e.kind.value} for e in created.environments.values()]
    legacy = {"workspace": str(path), "name": created.name, "id": created.id, "profile": created.profile.value,
              "sandbox": created.sandbox, "environments": envs}
    assert printed(ws_mod.WorkspaceInfo(str(path), created).to_json()) == printed(legacy)


def test_sandbox_up(tmp_path: Path) -> None:
    runtime = SandboxRuntime(tmp_path)
    runtime.workspace = space()
    runtime.parts = [SandboxPart("PostgreSQL", True, "127.0.0.1:5433"), SandboxPart("Redis", False, "", OpsError("no"))]
    legacy = {"workspace": str(runtime.workspace_path),
              "parts": [{"name": p.name, "available": p.available, "endpoint": p.endpoint,
                         "error": p.error.sentence() if p.error else None} for p in runtime.parts],
              "environments": {n: {"app_url": e.app_url, "health_url": e.health_url}
                               for n, e in runtime.workspace.environments.items()}}
    assert printed(runtime.to_json()) == printed(legacy)

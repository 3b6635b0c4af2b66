"""``realtor-ops env …`` in-process: the guard's exit codes, import, export, check, diff, remove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import run
from services.core import workspace as ws
from services.core.app_context import AppContext
from services.core.audit_log import AuditLog
from services.core.credentials import CredentialStore

DOTENV = """NEXT_PUBLIC_APP_URL=https://realtor-platform.com
DATABASE_URL=postgresql://app:pr0d%23pw@127.0.0.1:1/realtor
MLS_API_KEY="mls-cli-secret"
"""


def _cli(ctx: AppContext, *args: str) -> int:
    return run(["--workspace", str(ctx.workspace_path), *args])


def _audit(ctx: AppContext) -> AuditLog:
    return AuditLog(ctx.audit.path, workspace=ctx.workspace.name)


def test_production_import_needs_confirm_and_reason(ctx: AppContext, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    dotenv = tmp_path / "prod.env"
    dotenv.write_text(DOTENV)
    before = ctx.workspace_path.read_bytes()
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "production", "--yes") == 3
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "production", "--yes",
                "--confirm", "production") == 3
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "production", "--yes",
                "--confirm", "staging", "--reason", "x") == 3
    assert "needs the name 'production' typed" in capsys.readouterr().err
    assert ctx.workspace_path.read_bytes() == before
    assert CredentialStore(ctx.workspace.id).names("production") == []

    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "production", "--yes",
                "--confirm", "production", "--reason", "initial import") == 0
    out = capsys.readouterr().out
    assert "secret MLS_API_KEY: new value" in out and "mls-cli-secret" not in out and "pr0d" not in out
    assert CredentialStore(ctx.workspace.id).get("production", "DATABASE_PASSWORD") == "pr0d#pw"
    entry = _audit(ctx).entries()[0]
    assert (entry.action, entry.environment, entry.reason) == ("import .env", "production", "initial import")
    assert ws.load(ctx.workspace_path).environments["production"].database.name == "realtor"

    assert _cli(ctx, "--json", "env", "import-dotenv", str(dotenv), "--env", "production", "--yes",
                "--confirm", "production", "--reason", "again") == 0
    assert json.loads(capsys.readouterr().out)["plan"]["noop"] is True


def test_viewer_changes_nothing(ctx: AppContext, tmp_path: Path) -> None:
    ctx.workspace.profile = ws.Profile.VIEWER
    ctx.save_workspace()
    dotenv = tmp_path / "s.env"
    dotenv.write_text(DOTENV)
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "staging", "--yes") == 3
    assert _cli(ctx, "env", "remove", "staging", "--yes") == 3
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "staging", "--dry-run") == 0  # looking is fine
    assert CredentialStore(ctx.workspace.id).names("staging") == []
    assert set(ws.load(ctx.workspace_path).environments) == {"staging", "production"}


def test_bad_dotenv_exits_2_naming_the_line(ctx: AppContext, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    dotenv = tmp_path / "bad.env"
    dotenv.write_text("A=1\nREDIS_URL=redis://h/notanumber\n")
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "staging", "--yes") == 2
    assert "bad.env, line 2 (REDIS_URL)" in capsys.readouterr().err


def test_export_check_diff_and_remove(ctx: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dotenv = tmp_path / "s.env"
    dotenv.write_text(DOTENV)
    assert _cli(ctx, "env", "import-dotenv", str(dotenv), "--env", "staging", "--yes") == 0
    capsys.readouterr()

    assert _cli(ctx, "env", "export", "--env", "staging", "--dotenv-template") == 0
    template = capsys.readouterr().out
    assert "MLS_API_KEY=\n" in template and "DATABASE_URL=postgresql://app:@127.0.0.1:1/realtor\n" in template
    assert "mls-cli-secret" not in template and "pr0d" not in template
    assert _cli(ctx, "env", "export") == 0
    toml_text = capsys.readouterr().out
    assert ws.loads(toml_text).environments["staging"].database.port == 1 and "pr0d" not in toml_text

    # The template imported back changes nothing.
    back = tmp_path / "back.env"
    back.write_text(template)
    assert _cli(ctx, "--json", "env", "import-dotenv", str(back), "--env", "staging", "--yes") == 0
    assert json.loads(capsys.readouterr().out)["plan"]["noop"] is True

    assert _cli(ctx, "--json", "env", "check", "staging", "--only", "database", "--timeout", "3") == 1
    result = json.loads(capsys.readouterr().out)
    assert result[0]["kind"] == "connection refused" and "127.0.0.1:1" in result[0]["sentence"]

    assert _cli(ctx, "--json", "env", "diff", "staging", "production") == 0
    diff = json.loads(capsys.readouterr().out)
    drift = {i["key"]: i["note"] for i in diff["sections"][0]["items"] if i["drift"]}
    assert drift["MLS_API_KEY"] == "secret only in staging"
    assert drift["DATABASE_URL"] == "setting only in staging"
    assert drift["testIntegrations"] == "feature flag differs"
    assert "mls-cli-secret" not in json.dumps(diff)
    assert _cli(ctx, "env", "diff", "staging", "production", "--exit-code") == 1
    capsys.readouterr()

    assert _cli(ctx, "env", "remove", "staging", "--yes") == 0
    err = capsys.readouterr().err
    assert "DATABASE_PASSWORD" in err and "MLS_API_KEY" in err
    assert CredentialStore(ctx.workspace.id).names("staging") == []
    assert "staging" not in ws.load(ctx.workspace_path).environments


def test_a_token_pasted_alone_on_a_line_is_named_by_line_only(ctx: AppContext, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    token = "ghp_" + "Zq7" * 12
    bare = tmp_path / "bare.env"
    bare.write_text(f"NEXT_PUBLIC_APP_URL=https://staging.example.org\n{token}\nMLS_API_KEY=x\n")
    assert _cli(ctx, "env", "import-dotenv", str(bare), "--env", "staging", "--dry-run") == 2
    err = capsys.readouterr().err
    assert "bare.env, line 2: has no '='" in err
    assert token not in err and "ghp_" not in err and "Zq7" not in err

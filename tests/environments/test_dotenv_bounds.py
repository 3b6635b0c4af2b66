"""Hostile .env files: nested-reference bombs are refused quickly with bounded memory (issue 10 §4).

Each bomb is read in a child Python process that measures its own peak memory with tracemalloc, so
that one test's allocations cannot hide another's. No wall-clock assertion (speed figures live in
benchmarks/dotenv.py); the timeout only stops a runaway.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.environments.dotenv_expansion import MAX_SUBSTITUTIONS
from services.environments.dotenv_parser import DotenvError, parse_dotenv

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import json, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
from services.environments.dotenv_parser import DotenvError, parse_dotenv
text = sys.stdin.read()
tracemalloc.start()
try:
    parse_dotenv(text, source="bomb.env")
    outcome = {"refused": False}
except DotenvError as exc:
    outcome = {"refused": True, "sentence": exc.sentence(), "line": exc.line}
outcome["peak"] = tracemalloc.get_traced_memory()[1]
print(json.dumps(outcome))
"""


def _bomb(lines: list[str]) -> str:
    text = "\n".join(lines) + "\n"
    assert len(text) <= 1400
    return text


BOMBS = {
    # Each level holds the previous one four times: 64 bytes become 64 * 4**39 (the shape).
    "forward, four per level": _bomb(["A0=" + "x" * 64] + [f"A{i}=" + f"$A{i - 1}" * 4 for i in range(1, 30)]),
    # Defined top-down: dotenv-expand substitutes raw text and re-reads it, so substitutions explode.
    "backward, four per level": _bomb([f"A{i}=" + f"${{A{i - 1}}}" * 4 for i in range(25, 0, -1)] + ["A0=xy"]),
    "doubling, 100 levels": _bomb(["A0=" + "x" * 32] + [f"A{i}=$A{i - 1}$A{i - 1}" for i in range(1, 75)]),
    "quoted and defaulted": _bomb(["A0='" + "z" * 40 + "'"] + [f'A{i}="${{NOPE:-$A{i - 1}}}$A{i - 1}$A{i - 1}"'
                                                                for i in range(1, 40)]),
    "wide": _bomb(["A=" + "w" * 200, "B=" + "$A" * 100] + [f"C{i}=$B$B$B$B$B$B$B$B" for i in range(18)]),
    # Every value within its own bound, together far beyond the file's size.
    "wide, beyond the total": _bomb(["A=" + "w" * 100, "B=" + "$A" * 200, "C=" + "$B" * 8]
                                    + [f"D{i}=$C$C$C$C$C$C$C$C" for i in range(20)]),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_reference_bomb_is_refused_with_bounded_memory(name: str) -> None:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(ROOT)], input=BOMBS[name], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    if name == "wide":
        # Big, but within the bounds: read, and memory stays proportional to what it expands to.
        assert not outcome["refused"], outcome
        assert outcome["peak"] < 64 * 2**20, outcome["peak"]
        return
    assert outcome["refused"], outcome
    assert "the file was not imported" in outcome["sentence"]
    assert "nested" in outcome["sentence"] or "MiB beyond the file's own size" in outcome["sentence"]
    assert "bomb.env, line" in outcome["sentence"]
    assert outcome["peak"] < 32 * 2**20, outcome["peak"]


def test_deep_but_finite_chains_are_read_like_next() -> None:
    # Backward chains need one substitution per level: fine up to the bound, refused beyond it.
    ok = "".join(f"V{i}=$V{i + 1}\n" for i in range(200)) + "V200=end\n"
    assert parse_dotenv(ok).values()["V0"] == "end"
    deep = "".join(f"V{i}=$V{i + 1}\n" for i in range(MAX_SUBSTITUTIONS + 5)) + f"V{MAX_SUBSTITUTIONS + 5}=end\n"
    with pytest.raises(DotenvError) as err:
        parse_dotenv(deep)
    assert "substitutions" in err.value.sentence() and err.value.line == 1


def test_a_large_file_of_many_keys_is_read() -> None:
    text = "".join(f"KEY_{i}=value-{i}-${{KEY_{i - 1}:-x}}\n" if i % 50 == 0 else f"KEY_{i}=v{i}\n"
                   for i in range(1, 60_000))
    parsed = parse_dotenv(text)
    assert len(parsed.entries) == 59_999
    assert parsed.values()["KEY_100"] == "value-100-x"  # dotenv-expand 10: the default wins

"""Reading a .env file is linear in its size: time per MB for a 1 MB file and a 10 MB file, as a ratio.

Also times the 1,400-byte nested-reference bombs the parser refuses (they must stay far under a second)
and reports peak memory. Run: ``.venv/bin/python benchmarks/dotenv.py`` (``--mb 1,10``).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.environments.dotenv_parser import DotenvError, parse_dotenv


def realistic(size_bytes: int, seed: int = 7) -> str:
    """Lines like a real platform's .env: plain, quoted, commented, references, secrets, a PEM now and then."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    lines: list[str] = []
    total = 0
    i = 0
    while total < size_bytes:
        token = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 40)))
        kind = i % 10
        if kind == 0:
            line = f"# section {i}"
        elif kind == 1:
            line = f"HOST_{i}=db{i}.example.com"
        elif kind == 2:
            line = f"URL_{i}=postgresql://app:{token}@${{HOST_{i - 1}}}:5432/app # primary"
        elif kind == 3:
            line = f"SECRET_{i}='{token}'"
        elif kind == 4:
            line = f'QUOTED_{i}="{token} with \\n escape"'
        elif kind == 5:
            line = f"export FLAG_{i}=true"
        elif kind == 6:
            line = f"HASH_{i}=\\$2b\\$10\\${token}"
        elif kind == 7 and i % 1000 == 7:
            line = f'PEM_{i}="-----BEGIN KEY-----\n{token}\n{token}\n-----END KEY-----"'
        else:
            line = f"K{i}={token}"
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines) + "\n"


def bombs() -> dict[str, str]:
    forward = ["A0=" + "x" * 64] + [f"A{i}=" + f"$A{i - 1}" * 4 for i in range(1, 40)]
    reverse = [f"A{i}=" + f"${{A{i - 1}}}" * 4 for i in range(40, 0, -1)] + ["A0=" + "x" * 64]
    doubling = ["A0=" + "x" * 32] + [f"A{i}=$A{i - 1}$A{i - 1}" for i in range(1, 120)]
    return {name: ("\n".join(lines) + "\n")[:1400] for name, lines in
            (("forward x4", forward), ("reverse x4", reverse), ("doubling", doubling))}


def _read(text: str) -> str:
    try:
        return f"{len(parse_dotenv(text).entries)} variables"
    except DotenvError as exc:
        return "refused: " + exc.sentence()[:90]


def timed(text: str) -> tuple[float, int, str]:
    """Seconds (best of a few runs, without tracing), then peak memory in a traced run."""
    best = float("inf")
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        outcome = _read(text)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    _read(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, outcome


def baseline(text: str) -> dict[str, tuple[str, int, str]]:
    """A naive reader that is linear by construction (split lines, split at '=', keep a small record per
    key): its own ratio shows what the machine does with a bigger working set (caches, allocator)."""
    out: dict[str, tuple[str, int, str]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            out[name.strip()] = (value.strip(), number, value)
    return out


def timed_baseline(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        baseline(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", default="1,10", help="two sizes in MB, small first (default 1,10)")
    args = parser.parse_args()
    small, large = (float(x) for x in args.mb.split(","))
    per_mb, base_per_mb = [], []
    for mb in (small, large):
        text = realistic(int(mb * 1024 * 1024))
        seconds, peak, outcome = timed(text)
        base = timed_baseline(text)
        per_mb.append(seconds / mb)
        base_per_mb.append(base / mb)
        print(f"{mb:>5.1f} MB: {seconds:6.2f} s, {seconds / mb:5.2f} s/MB ({seconds / base:.0f}x the naive baseline), "
              f"peak {peak / 2**20:6.1f} MiB ({peak / len(text):.1f} bytes per byte of file), {outcome}")
    ratio, base_ratio = per_mb[1] / per_mb[0], base_per_mb[1] / base_per_mb[0]
    print(f"time per MB, {large:g} MB vs {small:g} MB: ratio {ratio:.2f} (1.00 = linear); the naive linear "
          f"baseline's ratio in this run: {base_ratio:.2f}; parser / baseline: {ratio / base_ratio:.2f}")
    for name, text in bombs().items():
        seconds, peak, outcome = timed(text)
        print(f"bomb {name} ({len(text)} bytes): {seconds * 1000:.0f} ms, peak {peak / 2**20:.1f} MiB, {outcome}")


if __name__ == "__main__":
    main()

"""Time to the first painted main window: the console against a bare PySide6 window.

Both start the same way (a fresh ``python`` process; the clock runs from spawning it to its first
paint), alternating, several rounds; the ratio of medians is printed. Target: ≤ 1.5×.
Run: .venv/bin/python benchmarks/startup.py [--rounds 7]

``--frozen [APP]``: the installed (frozen) console, default build/freeze/dist/realtor-console/realtor-console
(scripts/build-installers), against a bare PySide6 window frozen by PyInstaller in this run with the
same options; each prints its first paint (the console with REALTOR_BENCH_FIRST_PAINT=1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def one_run(args: list[str], env: dict[str, str]) -> float:
    start = time.time()
    proc = subprocess.run([sys.executable, str(HERE / "_first_paint.py"), *args], capture_output=True, text=True,
                          env=env, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("PAINTED "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"no paint: {proc.stdout[-500:]} {proc.stderr[-2000:]}")


def frozen_run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith("PAINTED "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"no paint: {proc.stdout[-500:]} {proc.stderr[-2000:]}")


def freeze_bare_window(out: Path) -> Path:
    """The baseline, frozen like the console (onedir, stripped, no UPX)."""
    exe = out / "dist" / "bare-window" / "bare-window"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--onedir",
                        "--strip", "--name", "bare-window", "--distpath", str(out / "dist"), "--workpath",
                        str(out / "work"), "--specpath", str(out), str(HERE / "_bare_window.py")], check=True)
    return exe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--frozen", nargs="?", const=str(HERE.parent / "build/freeze/dist/realtor-console/realtor-console"),
                        metavar="APP", help="time the frozen console APP against a frozen bare window")
    args = parser.parse_args()
    from services.core import workspace as ws

    tmp = Path(tempfile.mkdtemp())
    work = ws.Workspace(name="bench")
    for kind in (ws.EnvironmentKind.DEVELOPMENT, ws.EnvironmentKind.STAGING, ws.EnvironmentKind.PRODUCTION):
        work.environments[kind.value] = ws.seed_environment(kind.value, kind)
    ws_path = tmp / "ws.toml"
    ws.save(work, ws_path)
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               XDG_CONFIG_HOME=str(tmp / "c"), XDG_DATA_HOME=str(tmp / "d"), XDG_STATE_HOME=str(tmp / "s"))
    if args.frozen:
        bare_exe = freeze_bare_window(HERE.parent / "build" / "bench-bare")
        frozen_env = dict(env, REALTOR_BENCH_FIRST_PAINT="1")

        def run_bare() -> float:
            return frozen_run([str(bare_exe)], frozen_env)

        def run_console() -> float:
            return frozen_run([args.frozen, "--workspace", str(ws_path)], frozen_env)
    else:
        def run_bare() -> float:
            return one_run(["bare"], env)

        def run_console() -> float:
            return one_run(["console", str(ws_path)], env)
    run_bare()  # warm the OS file cache for both
    run_console()
    bare, console = [], []
    for _ in range(args.rounds):
        bare.append(run_bare())
        console.append(run_console())
    b, c = statistics.median(bare), statistics.median(console)
    kind = "frozen " if args.frozen else ""
    print(f"{kind}bare PySide6 window: median {b * 1000:.0f} ms  (runs: {', '.join(f'{x * 1000:.0f}' for x in bare)})")
    print(f"{kind}console main window: median {c * 1000:.0f} ms  (runs: {', '.join(f'{x * 1000:.0f}' for x in console)})")
    print(f"ratio console/bare: {c / b:.2f}x  (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

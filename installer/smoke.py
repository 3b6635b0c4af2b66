"""Smoke test of an installed (or just built) frozen app; stdlib only, so CI runs it on every OS.

    python installer/smoke.py PREFIX [--deb FILE --root DIR] [--exit-after S] [--no-backup]

PREFIX holds ``realtor-console`` and ``realtor-ops`` (``.exe`` on Windows; on macOS the .app's
``Contents/MacOS``). With ``--deb`` the package is first installed into the throwaway root DIR with
``dpkg --root`` (its own dpkg database, no system file touched) and PREFIX is read inside that root;
after the smoke it is removed again and the root must hold none of its files.

Steps: ``--version`` of both; ``realtor-console --self-test`` (Qt, keyring, imports, every sandbox part
started once); on Linux with ``xvfb-run``, the main window painted on a real X display through Qt's xcb
plugin (offscreen hides a broken xcb plugin); ``realtor-ops --json sandbox up --exit-after S`` with every bundled part available; while
it runs, ``backup create`` and ``backup verify --restore-test`` on its production environment. Exit 0
when all of that held. The keyring must be reachable (scripts/installer-smoke starts one on Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

EXE = ".exe" if sys.platform == "win32" else ""
PACKAGE = "realtor-ops-console"
# Parts the frozen sandbox must have running; Redis is the system's redis-server, when there is one.
REQUIRED_PARTS = ("PostgreSQL", "S3 endpoint", "Provider APIs", "Platform stand-ins")


class SmokeFailure(Exception):
    pass


def log(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def run(cmd: list[str], *, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    log("$ " + " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def dpkg_root(root: Path) -> list[str]:
    """dpkg working on a throwaway root: its own database, no scripts run, no dependency checks."""
    admin = root / "var/lib/dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True, exist_ok=True)
    for name in ("status", "available"):
        (admin / name).touch()
    return ["dpkg", f"--root={root}", f"--admindir={admin}", "--force-depends", "--force-not-root",
            "--force-script-chrootless", "--no-triggers", "--log=/dev/null"]


def install_deb(deb: Path, root: Path) -> Path:
    result = subprocess.run([*dpkg_root(root), "--install", str(deb)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SmokeFailure(f"dpkg --install failed: {result.stderr[-2000:]}")
    prefix = root / "opt" / PACKAGE
    for program in ("realtor-console", "realtor-ops"):
        link = root / "usr/bin" / program
        target = os.readlink(link)
        if target != f"/opt/{PACKAGE}/{program}" or not (root / target.lstrip("/")).exists():
            raise SmokeFailure(f"/usr/bin/{program} points to {target!r}, which the package does not hold")
    desktop = root / "usr/share/applications/realtor-console.desktop"
    if not desktop.is_file() or not (root / "usr/share/icons/hicolor/256x256/apps/realtor-console.png").is_file():
        raise SmokeFailure("the .desktop entry or the hicolor icon is missing")
    log(f"installed {deb.name} into {root}")
    return prefix


def remove_deb(root: Path) -> None:
    listed = subprocess.run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-L", PACKAGE],
                            capture_output=True, text=True).stdout.split()
    result = subprocess.run([*dpkg_root(root), "--purge", PACKAGE], capture_output=True, text=True)
    if result.returncode != 0:
        raise SmokeFailure(f"dpkg --purge failed: {result.stderr[-2000:]}")
    left = [p for p in listed if (root / p.lstrip("/")).is_file() or (root / p.lstrip("/")).is_symlink()]
    if left or (root / "opt" / PACKAGE).exists():
        raise SmokeFailure(f"removal left files behind: {left[:5] or [f'/opt/{PACKAGE}']}")
    log("removed cleanly (no file of the package is left)")


class SandboxProcess:
    """``realtor-ops --json sandbox up`` in the background; its first JSON document, parsed."""

    def __init__(self, program: Path, data: Path, exit_after: float, env: dict[str, str]) -> None:
        cmd = [str(program), "--json", "sandbox", "up", "--dir", str(data), "--no-redis",
               "--exit-after", str(exit_after)]
        log("$ realtor-ops " + " ".join(cmd[1:]))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.stderr: list[str] = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr or []), daemon=True).start()

    def endpoints(self, timeout: float) -> dict[str, Any]:
        decoder, buffer = json.JSONDecoder(), ""
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            buffer += line
            try:
                value, _ = decoder.raw_decode(buffer.strip())
                return dict(value)
            except json.JSONDecodeError:
                continue
        raise SmokeFailure(f"sandbox up printed no endpoints: {buffer[-1000:]} {''.join(self.stderr)[-2000:]}")

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)


def paint_on_x11(console: Path, scratch: Path, env: dict[str, str]) -> None:
    workspace = scratch / "x11-workspace.toml"
    workspace.write_text('name = "X11 smoke"\nschema_version = 1\nprofile = "viewer"\n', encoding="utf-8")
    x11 = dict(env, QT_QPA_PLATFORM="xcb", REALTOR_BENCH_FIRST_PAINT="1")
    for attempt in range(2):  # a display number another run took at the same moment: once more, elsewhere
        server = str(random.randint(200, 9000))
        result = run(["xvfb-run", "-n", server, str(console), "--workspace", str(workspace)], env=x11, timeout=120)
        if "PAINTED" in result.stdout or attempt:
            break
    if "PAINTED" not in result.stdout:
        raise SmokeFailure("the main window did not paint on an X display (xcb plugin): "
                           f"{result.stdout[-500:]}{result.stderr[-1500:]}")
    log("main window painted on X11 (xcb)")


def smoke(prefix: Path, *, exit_after: float, backup: bool, scratch: Path) -> None:
    console, ops = prefix / f"realtor-console{EXE}", prefix / f"realtor-ops{EXE}"
    home = scratch / "home"
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    if sys.platform.startswith("linux"):  # keep the user's own config, data and logs out of it
        env |= {"XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
                "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache")}
    for program in (console, ops):
        result = run([str(program), "--version"], env=env, timeout=60)
        # Windows gives a GUI executable no stdout: there realtor-console answers by its exit code only.
        silent_gui = sys.platform == "win32" and program == console and result.stdout == ""
        if result.returncode != 0 or not (silent_gui or re.search(r"\d+\.\d+", result.stdout)):
            raise SmokeFailure(f"{program.name} --version: {result.stdout}{result.stderr[-1000:]}")
        log(result.stdout.strip())
    result = run([str(console), "--self-test"], env=env, timeout=300)
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        raise SmokeFailure(f"--self-test failed (exit {result.returncode}): {result.stderr[-2000:]}")
    if sys.platform.startswith("linux") and shutil.which("xvfb-run"):
        paint_on_x11(console, scratch, env)
    sandbox = SandboxProcess(ops, scratch / "sandbox", exit_after, env)
    try:
        info = sandbox.endpoints(timeout=240)
        parts = {p["name"]: p for p in info["parts"]}
        for name in REQUIRED_PARTS:
            part = parts.get(name, {})
            if not part.get("available"):
                raise SmokeFailure(f"sandbox part {name} is unavailable: {part.get('error')}")
        log("sandbox up: " + ", ".join(f"{n} {'up' if p['available'] else 'down'}" for n, p in parts.items()))
        if backup:
            workspace = info["workspace"]
            created = run([str(ops), "--workspace", workspace, "--json", "backup", "create", "--env", "production"],
                          env=env, timeout=300)
            if created.returncode != 0:
                raise SmokeFailure(f"backup create failed: {created.stdout[-1000:]}{created.stderr[-2000:]}")
            backup_id = json.loads(created.stdout)["id"]
            log(f"backup {backup_id} created")
            verified = run([str(ops), "--workspace", workspace, "--json", "backup", "verify", backup_id, "--env",
                            "production", "--restore-test"], env=env, timeout=300)
            if verified.returncode != 0 or not json.loads(verified.stdout).get("ok"):
                raise SmokeFailure(f"backup verify failed: {verified.stdout[-1500:]}{verified.stderr[-1500:]}")
            log(f"backup {backup_id} verified, test restore ok")
        code = sandbox.wait(timeout=exit_after + 120)
        if code != 0:
            raise SmokeFailure(f"sandbox up exited with {code}: {''.join(sandbox.stderr)[-2000:]}")
        log("sandbox stopped by --exit-after, exit code 0")
    finally:
        if sandbox.proc.poll() is None:
            sandbox.proc.terminate()
            sandbox.proc.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefix", type=Path, nargs="?", help="folder with realtor-console and realtor-ops")
    parser.add_argument("--deb", type=Path, help="install this .deb into --root first (and remove it after)")
    parser.add_argument("--root", type=Path, help="the throwaway root for --deb (default: a temporary folder)")
    parser.add_argument("--exit-after", type=float, default=60.0)
    parser.add_argument("--no-backup", action="store_true", help="skip the backup and verify")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="realtor-smoke-"))
    scratch.chmod(0o755)  # the embedded PostgreSQL may run as another user (when we are root)
    root = args.root or scratch / "root"
    started = time.monotonic()
    try:
        prefix = install_deb(args.deb, root) if args.deb else args.prefix
        if prefix is None:
            parser.error("give PREFIX or --deb")
        smoke(prefix, exit_after=args.exit_after, backup=not args.no_backup, scratch=scratch)
        if args.deb:
            remove_deb(root)
    except (SmokeFailure, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as exc:
        print(f"smoke FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

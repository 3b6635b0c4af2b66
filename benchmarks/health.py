"""Health polling: 50 endpoints that each take 200 ms, and the Qt thread while the console polls them.

1. One round of the platform check over 50 environments (each endpoint answering in 200 ms) against a
   sequential baseline of the same 50 checks, in the same run. Target: the round takes at most 1.5×
   the slowest single check.
2. The console's own poller (the Health view's monitor in a real main window) polling the same 50
   environments (platform and header checks, results stored in the history and shown on the board)
   while a QTimer ticks every 5 ms on the Qt thread: the longest gap beyond 5 ms is the longest stall.
   Target: ≤ 50 ms. The idle heartbeat of the same window is the baseline.

The endpoints are served by a separate process (this file with ``--serve``): a threaded HTTP server
answering the seed's /api/health JSON and the seed's security headers after 200 ms, with a listen
backlog large enough for 100 simultaneous connections. In-process, its threads would compete with
the Qt thread for the GIL, which a real platform never does.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/health.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from benchmarks._platform import answer_like_the_platform
from benchmarks.qt_heartbeat import Heartbeat, report
from sandbox.ports import free_port, wait_for_port
from services.core import workspace as ws
from services.core.credentials import CredentialStore
from services.health import CheckContext, run_check, run_once
from services.health.checks.platform import PlatformCheck

ENDPOINTS = 50
DELAY_S = 0.2


def environments(url: str) -> list[ws.Environment]:
    envs = []
    for i in range(ENDPOINTS):
        env = ws.Environment(name=f"env{i:02d}", kind=ws.EnvironmentKind.OTHER, app_url=url,
                             health_path=f"/api/health?endpoint={i}")
        env.health.timeout_s = 10
        env.health.retries = 0
        env.health.interval_s = 1
        envs.append(env)
    return envs


async def one_round(envs: list[ws.Environment]) -> dict[str, float]:
    ctx = CheckContext(CredentialStore("bench", from_env={}))
    await ctx.aprepare()
    check = PlatformCheck()
    await run_check(check, envs[0], ctx)  # warm the connection pool's first connection
    singles = []
    started = time.perf_counter()
    for env in envs:
        t = time.perf_counter()
        res = await run_check(check, env, ctx)
        singles.append(time.perf_counter() - t)
        assert res.status.value == "degraded" or res.status.value == "up", res.detail
    sequential = time.perf_counter() - started
    rounds = []
    for _ in range(3):
        t = time.perf_counter()
        results = await run_once(envs, ctx, only=["platform"])
        rounds.append(time.perf_counter() - t)
        assert len(results) == ENDPOINTS and all(r.status.value in ("up", "degraded") for r in results)
    await ctx.aclose()
    slowest = max(singles)
    best, median = min(rounds), statistics.median(rounds)
    print(f"{ENDPOINTS} endpoints × {DELAY_S * 1000:.0f} ms, platform /api/health check")
    print(f"  sequential baseline       {sequential:7.3f} s   (slowest single check {slowest * 1000:.0f} ms)")
    print(f"  one concurrent round      {median:7.3f} s   median of 3 (best {best:.3f} s; "
          + ", ".join(f"{r:.3f}" for r in rounds) + ")")
    ratio = median / slowest
    print(f"  round / slowest single    {ratio:7.2f} ×   target ≤ 1.5 ×: {'ok' if ratio <= 1.5 else 'OVER TARGET'}")
    print(f"  speed-up over sequential  {sequential / median:7.1f} ×")
    return {"ratio": ratio}


async def polling(url: str, tmp: Path) -> None:
    from console.error_presenter import ErrorPresenter
    from console.session import Session
    from console.window import MainWindow
    from services.core.app_context import AppPaths, build_context
    from views.health.view import HealthView

    session = Session(ErrorPresenter())
    window = MainWindow(session)
    window.show()
    view = window.show_view("health")
    assert isinstance(view, HealthView)
    beat = Heartbeat()
    await asyncio.sleep(1.0)
    beat.take()
    await asyncio.sleep(2.0)
    idle = report("idle window (baseline)", beat.take())

    workspace = ws.Workspace(name="Benchmark")
    for env in environments(url):
        workspace.environments[env.name] = env
    paths = AppPaths(tmp / "config", tmp / "data", tmp / "logs", tmp / "cache")
    for p in paths.all():
        p.mkdir(parents=True, exist_ok=True)
    ctx = build_context(workspace, tmp / "ws.toml", paths=paths)
    ctx.credentials = CredentialStore("bench", from_env={})
    session.set_context(ctx)
    await view.monitor.ready()
    start_gaps = beat.take()
    started = time.perf_counter()
    poller = view.monitor.poller
    assert poller is not None
    while time.perf_counter() - started < 8.0:
        await asyncio.sleep(0.1)
    runs = sum(s.runs for s in poller.states.values())
    gaps = beat.take()
    print(f"  polling: {len(poller.states)} checks ({ENDPOINTS} environments × platform + headers), "
          f"{runs} results in 8 s, every one stored in the history and shown on the board")
    worst_start = report("poller start (restore + first round)", start_gaps)
    worst = report("polling 8 s", gaps)
    await session.tasks.shutdown()
    window.close()
    overall = max(worst, worst_start)
    print(f"  longest Qt-thread stall while polling {overall:.1f} ms vs idle {idle:.1f} ms "
          f"(target ≤ 50 ms): {'ok' if overall <= 50 else 'OVER TARGET'}")


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        time.sleep(DELAY_S)
        answer_like_the_platform(self)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the console closing its connections at the end is not news


def serve(port: int) -> int:
    _Server(("127.0.0.1", port), _Slow).serve_forever()
    return 0


def main() -> int:
    from console.async_bridge import close_loop, make_loop

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    if not wait_for_port("127.0.0.1", port, 15):
        server.kill()
        raise SystemExit("the endpoint server did not start")
    url = f"http://127.0.0.1:{port}"
    print(f"Health benchmark on {os.cpu_count()} CPU(s); {ENDPOINTS} endpoints at {url} (another process), "
          f"every answer after {DELAY_S * 1000:.0f} ms\n")
    try:
        asyncio.run(one_round(environments(url)))
        print("\nQt thread while the console's poller runs")
        app = QApplication(sys.argv[:1])
        loop = make_loop(app)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory(prefix="health-bench-") as tmp:
            os.environ["XDG_DATA_HOME"] = tmp
            loop.run_until_complete(polling(url, Path(tmp)))
        close_loop(loop)
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        raise SystemExit(serve(int(sys.argv[2])))
    raise SystemExit(main())

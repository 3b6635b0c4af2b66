"""The Overview on launch: a workspace of three environments whose providers and platform answer in
200–800 ms each (every provider stand-in, the platform's /api/health and the backup bucket, served from
another process, each answer after a random delay in that range).

Each launch is a fresh ``python`` process running the console's own ``main()`` on the workspace, as
``python main.py --workspace PATH --secrets-from-env`` starts it; the clock runs from spawning it to
  - the first paint of the main window,
  - every Overview card *filled*: a live or a last-known value, never a placeholder. A live value may
    still lack the part that comes from a read that waits for another's answer (the Supabase
    organization's plan after the project, the failed runs' jobs after the runs, the backups' manifests
    after the listing); the card then names that part as still being read;
  - every card *fresh*: all it shows read live in this launch.
The last answer any stand-in sent before the cards were all fresh is logged by the stand-ins' process:
"fresh after the last answer" is how long the console took to show it. Baseline, in the same run and
measured the same way: a bare PySide6 window's first paint (benchmarks/_first_paint.py).

Each bucket holds the backups the seed's retention keeps (23 in production, 7 in staging, 3 in development),
each with its manifest and verification, as the nightly job leaves them.

A *cold* launch starts with an empty data folder (nothing known: each card waits for its live answer),
each of several in a folder of its own; the *warm* launches start from the history the launches before
them (in the first cold launch's folder) left (health history, catalog cache,
last deployment summaries, cost snapshots, timeline cache). Targets: every card filled ≤ 2 s after
launch; every card fresh ≤ 1 s after the last answer.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/overview.py [--rounds 3] [--cold 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
LOW_S, HIGH_S = 0.2, 0.8
ENVS = ("production", "staging", "development")
TIMEOUT_S = 120.0


# What the seed's retention keeps (7 daily, 4 weekly, 12 monthly) in production; fewer elsewhere.
BACKUPS = {"production": 23, "staging": 7, "development": 3}


def seed_backups(client: object, bucket: str, env: str, count: int) -> None:
    """``count`` finished backups of ``env`` (archive, manifest, verification), as ``backup create`` and
    ``backup verify`` leave them: nightly at 02:00, the newest last night, then weekly, then monthly."""
    import hashlib
    from datetime import UTC, datetime, timedelta

    from services.backup import manifest as mf

    night = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    if night > datetime.now(UTC):
        night -= timedelta(days=1)
    ages = [timedelta(days=d) for d in range(7)] + [timedelta(weeks=w) for w in range(1, 5)] + \
        [timedelta(days=30 * m) for m in range(2, 14)]
    for index, age in enumerate(ages[:count]):
        at = night - age
        bid = f"{at:%Y%m%dT%H%M%SZ}-{index:04x}"
        archive = hashlib.sha256(bid.encode()).digest() * 32
        key = mf.archive_key("database", env, bid)
        manifest = mf.Manifest(
            id=bid, environment=env, database="postgres", key=key, created_at=at,
            finished_at=at + timedelta(seconds=41), duration_s=41.0, created_by="github-actions", trigger="scheduled",
            server_version="15.8", client_version="15.8", client_major=15, bytes=len(archive), dump_bytes=4 * len(archive),
            database_bytes=64 * len(archive), sha256=hashlib.sha256(archive).hexdigest(), compression="zstd",
            compression_level=3, part_size=8 << 20, parts=1, storage_class="STANDARD")
        verification = mf.Verification(bid, at + timedelta(minutes=20), True, True, True, 120, index % 7 == 0,
                                       True if index % 7 == 0 else None, checked_by="github-actions")
        for name, body in ((key, archive), (mf.manifest_key("database", env, bid), manifest.to_json().encode()),
                           (mf.verification_key("database", env, bid), verification.to_json().encode())):
            client.put_object(Bucket=bucket, Key=name, Body=body)  # type: ignore[attr-defined]


# --- the stand-ins' process ---------------------------------------------------------------------------

class AnswerLog:
    """Every answer's wall-clock time, one line each, in a file the benchmark reads."""

    def __init__(self, path: Path, seed: int) -> None:
        self._file = path.open("a", buffering=1)
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def delay(self) -> None:
        with self._lock:
            wait = self._random.uniform(LOW_S, HIGH_S)
        time.sleep(wait)

    def answered(self, what: str) -> None:
        with self._lock:
            self._file.write(f"{time.time():.6f} {what}\n")


def _platform_handler(log: AnswerLog) -> type[BaseHTTPRequestHandler]:
    from benchmarks._platform import answer_like_the_platform

    class Platform(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            log.delay()
            answer_like_the_platform(self)
            log.answered("platform")

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    return Platform


def _s3_proxy_handler(log: AnswerLog, port: int) -> type[BaseHTTPRequestHandler]:
    """The local S3 endpoint (moto), each answer delayed like the providers'."""

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            log.delay()
            upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            upstream.close()
            log.answered("s3")

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        def log_message(self, *args: object) -> None:
            pass

    return Proxy


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def serve(log_path: Path, seed: int) -> int:
    from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, LocalS3
    from sandbox.provider_standins.catalog import StandinGroup
    from services.core.object_storage import S3Location, make_client

    log = AnswerLog(log_path, seed)
    group = StandinGroup()
    for name, server in group.servers.items():
        def slow(request, response, name=name):  # type: ignore[no-untyped-def]
            log.delay()
            log.answered(name)
            return response

        server.answer_transform = slow
    group.start()
    s3 = LocalS3().start()
    client = make_client(S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY))
    for env in ENVS:
        client.create_bucket(Bucket=f"bench-{env}-backups")
        seed_backups(client, f"bench-{env}-backups", env, BACKUPS[env])
    platform = _Server(("127.0.0.1", 0), _platform_handler(log))
    proxy = _Server(("127.0.0.1", 0), _s3_proxy_handler(log, s3.port))
    for server in (platform, proxy):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"api_base": group.api_base, "platform": f"http://127.0.0.1:{platform.server_address[1]}",
                      "s3": f"http://127.0.0.1:{proxy.server_address[1]}"}), flush=True)
    sys.stdin.read()  # until the benchmark closes it
    for server in (platform, proxy):
        server.shutdown()
    group.stop()
    s3.stop()
    return 0


# --- the console's process ----------------------------------------------------------------------------

def child(ws_path: str) -> int:
    """The console's own main(), with a watcher printing when the window painted and when every
    Overview card was filled, then fresh."""
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    marks: dict[str, float] = {}

    class Watcher(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
                marks["painted"] = time.time()
                print(f"PAINTED {marks['painted']:.6f}", flush=True)
                app.removeEventFilter(self)  # one Python call per Qt event costs the console's thread
            return False

    def card_changed(view: QObject) -> None:
        """On every card's change (a signal: the watcher costs the console nothing in between)."""
        now = time.time()
        cards = view.cards  # type: ignore[attr-defined]
        for key, card in cards.items():
            if card.filled and f"filled:{key}" not in marks:
                marks[f"filled:{key}"] = now
                print(f"CARD {key} {now:.6f}", flush=True)
        if "filled" not in marks and all(c.filled for c in cards.values()):
            marks["filled"] = now
            print(f"FILLED {now:.6f}", flush=True)
        if "fresh" not in marks and all(c.fresh for c in cards.values()):
            marks["fresh"] = now
            print(f"FRESH {now:.6f}", flush=True)
            QTimer.singleShot(0, app.quit)

    def find_view() -> None:
        """Until the Overview exists (the window builds it after its first paint), then its cards' signals."""
        windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and hasattr(w, "views")]
        view = windows[0].views.get("overview") if windows else None  # type: ignore[attr-defined]
        if view is None:
            return
        finder.stop()
        for card in view.cards.values():
            card.changed.connect(lambda view=view: card_changed(view))
        card_changed(view)

    def give_up() -> None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and hasattr(w, "views")]
        view = windows[0].views.get("overview") if windows else None  # type: ignore[attr-defined]
        stale = [k for k, c in view.cards.items() if not c.fresh] if view is not None else ["(no Overview)"]
        print("STALE " + ",".join(stale), flush=True)
        app.quit()

    watcher = Watcher()
    app.installEventFilter(watcher)
    finder = QTimer()
    finder.timeout.connect(find_view)
    finder.start(5)
    QTimer.singleShot(int(TIMEOUT_S * 1000), give_up)
    from console.app import main as console_main

    return console_main(["--workspace", ws_path, "--secrets-from-env"])


# --- the benchmark ------------------------------------------------------------------------------------

def workspace(tmp: Path, endpoints: dict[str, object]) -> tuple[Path, dict[str, str]]:
    from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
    from sandbox.provider_standins.catalog import SANDBOX_SECRETS, sandbox_identities
    from services.core import workspace as ws

    work = ws.Workspace(name="Overview benchmark", profile=ws.Profile.ADMIN)
    secrets = dict(SANDBOX_SECRETS)
    api_base = endpoints["api_base"]
    for name in ENVS:
        env = ws.Environment(name=name, kind=ws.EnvironmentKind(name), app_url=str(endpoints["platform"]))
        ids = {k: v for k, v in sandbox_identities(name).items() if k in ws.ProviderSettings.__dataclass_fields__}
        env.providers = ws.ProviderSettings(**ids, api_base=dict(api_base))  # type: ignore[arg-type]
        env.health = ws.HealthSettings(interval_s=3600, timeout_s=15, retries=0)
        env.backup.endpoint_url = str(endpoints["s3"])
        env.backup.bucket = f"bench-{name}-backups"
        env.backup.region = "us-east-1"
        env.backup.credentials = "aws"
        secrets[f"{name.upper()}_AWS_ACCESS_KEY_ID"] = SANDBOX_ACCESS_KEY
        secrets[f"{name.upper()}_AWS_SECRET_ACCESS_KEY"] = SANDBOX_SECRET_KEY
        work.environments[name] = env
    path = tmp / "ws.toml"
    ws.save(work, path)
    return path, secrets


def launch(args: list[str], env: dict[str, str]) -> dict[str, float]:
    start = time.time()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=TIMEOUT_S + 60)
    marks = {"start": start}
    for line in proc.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PAINTED", "FILLED", "FRESH"):
            marks[word.lower()] = float(rest)
        elif word == "CARD":
            key, _, t = rest.partition(" ")
            marks[f"card:{key}"] = float(t)
        elif word == "STALE":
            raise RuntimeError(f"cards never fresh within {TIMEOUT_S:.0f} s: {rest}")
    if "painted" not in marks:
        raise RuntimeError(f"no paint: {proc.stdout[-500:]} {proc.stderr[-2000:]}")
    return marks


def answers_between(log_path: Path, start: float, end: float) -> list[tuple[float, str]]:
    found = []
    for line in log_path.read_text().splitlines():
        t, _, what = line.partition(" ")
        if start <= float(t) <= end:
            found.append((float(t), what))
    return sorted(found)


def last_card(marks: dict[str, float]) -> str:
    cards = {k.split(":", 1)[1]: t for k, t in marks.items() if k.startswith("card:")}
    return max(cards, key=lambda k: cards[k]) if cards else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="warm launches (and bare windows)")
    parser.add_argument("--cold", type=int, default=3, help="cold launches, each with a data folder of its own")
    parser.add_argument("--seed", type=int, default=7, help="seed of the stand-ins' random delays")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="overview-bench-"))
    log_path = tmp / "answers.log"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(log_path), str(args.seed)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        endpoints = json.loads(server.stdout.readline())
        ws_path, secrets = workspace(tmp, endpoints)
        def folders(name: str) -> dict[str, str]:
            """A launch's own settings, data, state and cache folders (empty the first time)."""
            return dict(os.environ, **secrets, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                        **{var: str(tmp / name / var) for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME",
                                                                  "XDG_STATE_HOME", "XDG_CACHE_HOME")})

        env = folders("first")
        bare_args = [str(HERE / "_first_paint.py"), "bare"]
        console_args = [__file__, "--child", str(ws_path)]
        print(f"Overview benchmark on {os.cpu_count()} CPU(s): 3 environments; every provider stand-in, the "
              f"platform and the bucket answer after {LOW_S * 1000:.0f}–{HIGH_S * 1000:.0f} ms (another process)\n")
        launch(bare_args, env)  # warm the OS file cache
        runs: list[tuple[str, dict[str, float], list[tuple[float, str]]]] = []
        bare: list[float] = []
        for index in range(max(1, args.cold)):  # cold: an empty data folder each (the first one's is kept)
            marks = launch(console_args, env if index == 0 else folders(f"cold-{index}"))
            runs.append(("cold", marks, answers_between(log_path, marks["start"], marks["fresh"])))
        for _ in range(args.rounds):
            b = launch(bare_args, env)
            bare.append(b["painted"] - b["start"])
            marks = launch(console_args, env)
            runs.append(("warm", marks, answers_between(log_path, marks["start"], marks["fresh"])))
        base = statistics.median(bare)
        print(f"bare PySide6 window, first paint: median {base * 1000:.0f} ms "
              f"(runs: {', '.join(f'{x * 1000:.0f}' for x in bare)})\n")
        print(f"{'launch':6} {'paint':>7} {'filled':>8} {'fresh':>8} {'last answer':>12} {'fresh after it':>15} "
              f"{'answers':>8}   filled/bare-paint   last card filled")
        for kind, m, answers in runs:
            last = answers[-1][0] if answers else m["start"]
            print(f"{kind:6} {(m['painted'] - m['start']) * 1000:6.0f}ms {(m['filled'] - m['start']) * 1000:7.0f}ms "
                  f"{(m['fresh'] - m['start']) * 1000:7.0f}ms {(last - m['start']) * 1000:11.0f}ms "
                  f"{(m['fresh'] - last) * 1000:14.0f}ms {len(answers):8d}   {(m['filled'] - m['start']) / base:5.1f}x            {last_card(m)}")
            if kind == "cold" or os.environ.get("BENCH_VERBOSE"):
                # Each card's fill time, and which stand-ins answered last before the last one filled: the
                # end of the chain of requests the slowest card waited on.
                print("        cards: " + ", ".join(f"{k[5:]} {(t - m['start']) * 1000:.0f}" for k, t in sorted(
                    m.items(), key=lambda kv: kv[1]) if k.startswith("card:")))
                tail = [(t, what) for t, what in answers if t <= m["filled"]][-4:]
                print("        last answers before every card was filled: "
                      + ", ".join(f"{what} {(t - m['start']) * 1000:.0f}" for t, what in tail))
        warm = [m for kind, m, _ in runs if kind == "warm"]
        filled = statistics.median(m["filled"] - m["start"] for m in warm)
        lags = [m["fresh"] - (a[-1][0] if a else m["start"]) for _, m, a in runs]
        print(f"\nwarm launch → every card filled (live or last known): median {filled * 1000:.0f} ms, "
              f"{filled / base:.1f}x a bare window's first paint; target ≤ 2000 ms: {'ok' if filled <= 2 else 'OVER TARGET'}")
        cold = [m["filled"] - m["start"] for kind, m, _ in runs if kind == "cold"]
        print(f"cold launch (nothing known) → every card filled: median {statistics.median(cold) * 1000:.0f} ms, "
              f"worst {max(cold) * 1000:.0f} ms ({len(cold)} launches); target ≤ 2000 ms: "
              f"{'ok' if max(cold) <= 2 else 'OVER TARGET (worst)' if statistics.median(cold) <= 2 else 'OVER TARGET'}")
        print(f"every card fresh after the last answer it needed: worst {max(lags) * 1000:.0f} ms, median "
              f"{statistics.median(lags) * 1000:.0f} ms; target ≤ 1000 ms: {'ok' if max(lags) <= 1 else 'OVER TARGET'}")
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        raise SystemExit(serve(Path(sys.argv[2]), int(sys.argv[3])))
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        raise SystemExit(child(sys.argv[2]))
    raise SystemExit(main())

"""The sandbox as a whole: parts start together, and each broken part fails alone with its reason."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from sandbox.runtime import SandboxRuntime
from services.core import workspace as ws


def by_name(runtime: SandboxRuntime) -> dict[str, object]:
    return {p.name: p for p in runtime.parts}


def test_full_sandbox_starts_and_stops(tmp_path: Path) -> None:
    runtime = SandboxRuntime(tmp_path / "sbx")
    try:
        runtime.start()
        parts = by_name(runtime)
        for name in ("PostgreSQL", "S3 endpoint", "Platform stand-ins"):
            assert parts[name].available, parts[name].status  # type: ignore[attr-defined]
        saved = ws.load(runtime.workspace_path)
        assert saved.sandbox and set(saved.environments) == {"development", "staging", "production"}
        prod = saved.environments["production"]
        with psycopg.connect(f"postgresql://postgres@{prod.database.host}:{prod.database.port}/{prod.database.name}") as c:
            assert c.execute("SELECT count(*) FROM listings").fetchone()[0] > 1000  # type: ignore[index]
        import httpx

        answer = httpx.get(prod.health_url, timeout=10)
        assert answer.status_code in (200, 503) and "status" in answer.json()
        pg_port = prod.database.port
        # Another process opening the sandbox workspace sees its dummy credentials too.
        import json

        out = subprocess.run([sys.executable, "-m", "cli.main", "--json", "--workspace", str(runtime.workspace_path),
                              "env", "list"], capture_output=True, text=True, timeout=60,
                             cwd=Path(__file__).resolve().parents[1])
        assert out.returncode == 0, out.stderr
        listed = {row["name"]: row for row in json.loads(out.stdout)}
        assert {"VERCEL_TOKEN", "AWS_SECRET_ACCESS_KEY"} <= set(listed["staging"]["secrets"])
        assert all(p.available for p in runtime.parts if p.name != "Redis"), runtime.endpoints()
        # The banner's truth: a part that stops answering is shown unavailable (issue 11: it said
        # "S3: running" while S3 was down), and running again once it answers.
        assert all(p.available for p in runtime.check_parts() if p.name != "Redis")
        assert runtime.s3 is not None
        s3_port = runtime.s3.port
        runtime.s3.stop()
        checked = {p.name: p for p in runtime.check_parts()}
        assert not checked["S3 endpoint"].available
        assert f":{s3_port}" in checked["S3 endpoint"].status and "stopped answering" in checked["S3 endpoint"].status
        assert checked["PostgreSQL"].available
        runtime.s3.start()
        assert {p.name: p for p in runtime.check_parts()}["S3 endpoint"].available
    finally:
        runtime.stop()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", pg_port)) != 0, "PostgreSQL still listens after stop"


def test_missing_postgres_binaries_leave_the_rest_running(tmp_path: Path) -> None:
    empty = tmp_path / "no-bin"
    empty.mkdir()
    runtime = SandboxRuntime(tmp_path / "sbx", pg_bin_dir=empty, include_redis=False)
    try:
        runtime.start()
        parts = by_name(runtime)
        pg = parts["PostgreSQL"]
        assert not pg.available  # type: ignore[attr-defined]
        assert "PostgreSQL" in pg.status and str(empty) in pg.status  # type: ignore[attr-defined]
        assert parts["S3 endpoint"].available  # type: ignore[attr-defined]
        assert "left out" in parts["Redis"].status  # type: ignore[attr-defined]
    finally:
        runtime.stop()


def test_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        runtime = SandboxRuntime(tmp_path / "sbx", s3_port=port, include_redis=False)
        try:
            runtime.start()
            s3 = by_name(runtime)["S3 endpoint"]
            assert not s3.available and f"port {port}" in s3.status  # type: ignore[attr-defined]
            assert by_name(runtime)["PostgreSQL"].available  # type: ignore[attr-defined]
        finally:
            runtime.stop()


def test_missing_redis_server_is_reported(tmp_path: Path) -> None:
    # A real PATH without redis-server, in a child process so this test's PATH stays intact.
    code = (
        "import sys; from pathlib import Path; from sandbox.runtime import SandboxRedis\n"
        "from services.core.errors import SandboxPartUnavailable\n"
        "try:\n    SandboxRedis(Path(sys.argv[1])).start()\n"
        "except SandboxPartUnavailable as e:\n    print(e.sentence()); sys.exit(0)\n"
        "sys.exit(1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         env={"PATH": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "no redis-server program was found" in out.stdout


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_sandbox_up_stops_everything_on_signal(tmp_path: Path, signal_name: str) -> None:
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--json", "sandbox", "up", "--dir", str(tmp_path),
                             "--no-redis"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    import json

    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("}"):
            break
    info = json.loads("".join(lines))
    pg = next(p for p in info["parts"] if p["name"] == "PostgreSQL")
    port = int(pg["endpoint"].split(":")[1].split()[0])
    proc.send_signal(getattr(signal, signal_name))
    assert proc.wait(30) in (0, 1)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    assert "sandbox stopped" in proc.stderr.read()  # type: ignore[union-attr]


def test_killed_sandbox_leaves_no_server_behind(tmp_path: Path) -> None:
    """kill -9 gives no chance to clean up: the children must still go (PR_SET_PDEATHSIG)."""
    import json
    import signal
    import time

    if not sys.platform.startswith("linux"):
        pytest.skip("the death signal is Linux's; elsewhere atexit and a watchdog stand in")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "--json", "sandbox", "up", "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    lines = []
    while True:
        line = proc.stdout.readline()
        assert line, "sandbox up ended early"
        lines.append(line)
        if line.startswith("}"):
            break
    parts = {p["name"]: p for p in json.loads("".join(lines))["parts"]}
    ports = [int(parts["PostgreSQL"]["endpoint"].split(":")[1].split()[0]),
             int(parts["S3 endpoint"]["endpoint"].rsplit(":", 1)[1])]
    if parts["Redis"]["available"]:
        ports.append(int(parts["Redis"]["endpoint"].rsplit(":", 1)[1]))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    deadline = time.monotonic() + 15
    still = ports
    while still and time.monotonic() < deadline:
        time.sleep(0.2)
        still = [p for p in ports if socket.socket().connect_ex(("127.0.0.1", p)) == 0]
    assert still == [], f"servers still listening after kill -9: {still}"

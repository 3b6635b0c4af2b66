"""Longest stall of the Qt thread while the sandbox starts and while a long job runs.

A QTimer ticks every 5 ms on the Qt thread; the longest gap between ticks (minus the interval) is
the longest time the thread could not paint or react. Target: ≤ 50 ms. The baseline is the same
heartbeat with the console idle, measured in the same run.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/heartbeat.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
tmp = Path(tempfile.mkdtemp(prefix="heartbeat-"))
for var, sub in (("XDG_CONFIG_HOME", "c"), ("XDG_DATA_HOME", "d"), ("XDG_STATE_HOME", "s"), ("XDG_CACHE_HOME", "k")):
    os.environ[var] = str(tmp / sub)

from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.qt_heartbeat import Heartbeat, report  # noqa: E402


async def scenario(window, session, beat: Heartbeat) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from console.app import start_sandbox
    from console.warm_up import warm_up
    from services.core.object_storage import S3Location, make_client
    from services.core.progress import Progress

    results = {}
    await asyncio.to_thread(warm_up)  # as the console's boot does after the first paint
    await asyncio.sleep(1.0)
    beat.take()  # start-up itself is not part of the idle baseline
    await asyncio.sleep(2.0)
    results["idle (baseline)"] = report("idle (baseline)", beat.take())
    await start_sandbox(session, window)
    results["sandbox start"] = report("sandbox start", beat.take())
    env = session.ctx.workspace.environments["production"]

    async def upload(progress: Progress) -> None:
        # A long job: 256 MB streamed to the local S3 endpoint by boto3, off the Qt thread.
        creds = session.ctx.credentials
        loc = S3Location(env.backup.endpoint_url, env.backup.region,
                         await creds.aget("production", "AWS_ACCESS_KEY_ID"),
                         await creds.aget("production", "AWS_SECRET_ACCESS_KEY"))
        client = await asyncio.to_thread(make_client, loc)
        total = 256 * 1024 * 1024
        progress.set_total(total)

        block = os.urandom(1 << 20)

        class Source:
            sent = 0

            def read(self, n: int = -1) -> bytes:
                n = min(n if n > 0 else 8 << 20, total - self.sent)
                self.sent += n
                progress.advance(n)
                return (block * (n // len(block) + 1))[:n] if n else b""

        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(max_concurrency=int(os.environ.get("HEARTBEAT_THREADS", "10")))
        await asyncio.to_thread(client.upload_fileobj, Source(), env.backup.bucket, "heartbeat/blob", Config=config)

    # Baseline: the same upload from another process. Whatever stall the Qt thread shows then is the
    # machine itself (moto and the upload competing for 2 cores), not the console.
    code = (
        "import os,sys; sys.path.insert(0, sys.argv[1]); from services.core.object_storage import S3Location, make_client\n"
        "c = make_client(S3Location(sys.argv[2], 'us-east-1', 'k', 's'))\n"
        "block = os.urandom(1 << 20)\n"
        "class S:\n    sent = 0\n    def read(self, n=-1):\n"
        "        n = min(n if n > 0 else 8 << 20, (256 << 20) - self.sent); self.sent += n\n"
        "        return (block * (n // len(block) + 1))[:n] if n else b''\n"
        "c.upload_fileobj(S(), sys.argv[3], 'heartbeat/baseline')\n"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, str(Path(__file__).resolve().parent.parent),
                                                env.backup.endpoint_url, env.backup.bucket)
    await proc.wait()
    results["baseline: upload in another process"] = report("upload in another process", beat.take())
    job = session.jobs.start("Upload 256 MB", upload, environment="production")
    while not job.task.done():
        await asyncio.sleep(0.1)
    results["job (256 MB upload)"] = report("job (256 MB upload)", beat.take())

    from services.backup.dump_stream import create_backup

    async def backup(progress: Progress) -> object:
        return await create_backup(session.ctx, "production", progress)

    job = session.jobs.start("Back up production", backup, environment="production")
    while not job.task.done():
        await asyncio.sleep(0.1)
    if job.error is not None:
        print(f"  backup job failed: {job.error.sentence}")
    results["job (backup of production)"] = report("job (backup of production)", beat.take())
    return results


def main() -> int:
    from console.async_bridge import make_loop
    from console.error_presenter import ErrorPresenter
    from console.session import Session
    from console.window import MainWindow

    app = QApplication(sys.argv[:1])
    loop = make_loop(app)  # type: ignore[arg-type]
    session = Session(ErrorPresenter())
    window = MainWindow(session)
    window.show()
    beat = Heartbeat()
    try:
        results = loop.run_until_complete(scenario(window, session, beat))
    finally:
        loop.run_until_complete(session.tasks.shutdown())
    base = results.pop("idle (baseline)")
    machine = results.pop("baseline: upload in another process")
    for name, worst in results.items():
        verdict = "ok" if worst <= 50 else "OVER TARGET"
        print(f"{name}: {worst:.1f} ms (idle {base:.1f} ms; same upload from another process {machine:.1f} ms)"
              f" target <= 50 ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

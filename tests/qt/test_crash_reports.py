"""Opt-in crash reports reach a (local) Sentry ingest with secrets scrubbed; typed errors are not sent."""

from __future__ import annotations

import gzip
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sentry_sdk

from console.app import enable_crash_reports_if_opted_in
from console.error_presenter import ErrorPresenter
from console.session import Session
from services.core import workspace as ws
from services.core.app_context import build_context
from services.core.console_settings import CONSOLE_SCOPE, DSN_SECRET, ConsoleSettings, save_settings
from services.core.credentials import CredentialStore
from services.core.errors import ConnectionFailure, FailureKind
from tests.qt.conftest import wait_for


class Ingest(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        Ingest.bodies.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_opted_in_crash_report_is_scrubbed(qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    planted = f"planted-{uuid.uuid4().hex}"
    store = CredentialStore(f"test-{uuid.uuid4().hex}")
    session = Session(ErrorPresenter())
    try:
        ctx = build_context(ws.Workspace(name="crash"), tmp_path / "ws.toml")
        ctx.credentials = store
        session.set_context(ctx)
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/42"

        async def scenario() -> None:
            assert not await enable_crash_reports_if_opted_in(session)  # not opted in yet
            store.set(CONSOLE_SCOPE, DSN_SECRET, dsn)
            store.set("production", "VERCEL_TOKEN", planted)
            assert store.get("production", "VERCEL_TOKEN") == planted
            save_settings(ConsoleSettings(crash_reports=True))
            assert await enable_crash_reports_if_opted_in(session)
            session.errors.report(ConnectionFailure("wrong password", kind=FailureKind.AUTH), "typed")
            try:
                raise RuntimeError(f"bug while using token {planted}")
            except RuntimeError as exc:
                session.errors.report(exc, "bug")
            sentry_sdk.flush(5)
            await wait_for(lambda: any(b"RuntimeError" in b for b in Ingest.bodies), timeout=10)

        qloop.run_until_complete(scenario())
        sent = b"".join(Ingest.bodies)
        assert b"RuntimeError" in sent
        assert planted.encode() not in sent
        # Typed errors are the user's business, not a bug: never sent as an event of their own.
        assert b'"type":"ConnectionFailure"' not in sent and b'"type":"RuntimeError"' in sent
    finally:
        sentry_sdk.init(dsn=None)
        server.shutdown()
        store.delete_environment("production")
        store.delete_environment(CONSOLE_SCOPE)

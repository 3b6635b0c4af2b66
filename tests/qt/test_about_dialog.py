"""Help → About: version, folders, keyring, PostgreSQL clients; the update check only when opted in."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from console.about_dialog import AboutDialog
from console.error_presenter import ErrorPresenter
from console.session import Session
from services.core import update_check
from services.core.app_version import app_version
from services.core.console_settings import ConsoleSettings, save_settings


@pytest.fixture
def releases(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = json.dumps({"tag_name": "v99.0.0", "html_url": "https://example.invalid/v99?a=1&b=\"<x>"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(update_check, "GITHUB_API", f"http://127.0.0.1:{server.server_address[1]}")
    yield hits
    server.shutdown()
    server.server_close()


def test_about_shows_version_folders_and_pg_clients_and_no_check_unless_opted_in(  # type: ignore[no-untyped-def]
        qtbot, qloop, releases, app_dirs: dict[str, Path]) -> None:
    dialog = AboutDialog(Session(ErrorPresenter()))
    qtbot.addWidget(dialog)
    qloop.run_until_complete(dialog.load())
    assert app_version() in dialog.title.text()
    assert dialog.rows["Logs"].text().startswith(str(app_dirs["state"]))
    assert "bundled" in dialog.rows["PostgreSQL clients"].text()
    assert dialog.rows["Keyring"].text()
    assert not dialog.check_button.isEnabled() and "off" in dialog.update_label.text()
    assert releases == []  # nothing leaves the machine without the opt-in


def test_about_tells_of_a_newer_release_when_opted_in(qtbot, qloop, releases) -> None:  # type: ignore[no-untyped-def]
    save_settings(ConsoleSettings(update_check=True))
    dialog = AboutDialog(Session(ErrorPresenter()))
    qtbot.addWidget(dialog)
    qloop.run_until_complete(dialog.load())
    assert len(releases) == 1
    assert "99.0.0 is available" in dialog.update_label.text()
    assert 'href="https://example.invalid/v99?a=1&amp;b=&quot;&lt;x&gt;"' in dialog.update_label.text()
    assert dialog.check_button.isEnabled()

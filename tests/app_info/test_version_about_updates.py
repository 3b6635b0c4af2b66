"""--version from one source, what About gathers, and the opt-in update check against a local stand-in
of GitHub's releases API (real HTTP on loopback: good answers, no release, rate limits, junk, no network)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.core import update_check
from services.core.about import about_lines, gather_about
from services.core.app_version import app_version, version_line
from services.core.update_check import UpdateCheckError, check_for_update, version_key

REPO = Path(__file__).resolve().parents[2]


def pyproject_version() -> str:
    with open(REPO / "pyproject.toml", "rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def test_both_programs_print_the_pyproject_version() -> None:
    expected = pyproject_version()
    assert app_version() == expected
    cli = subprocess.run([sys.executable, "-m", "cli.main", "--version"], cwd=REPO, capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout.strip() == f"realtor-ops {expected}"
    console = subprocess.run([sys.executable, "main.py", "--version"], cwd=REPO, capture_output=True, text=True,
                             env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert console.returncode == 0 and console.stdout.strip() == f"realtor-console {expected}"


def test_frozen_fallback_reads_the_bundles_version_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    (tmp_path / "VERSION").write_text("7.8.9\n")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert app_version() == "7.8.9"
    assert version_line("realtor-ops") == "realtor-ops 7.8.9 (frozen)"
    (tmp_path / "VERSION").unlink()
    assert app_version() == "0+unknown"


def test_about_names_version_folders_keyring_and_bundled_pg_clients(app_dirs: dict[str, Path]) -> None:
    info = gather_about()
    rows = dict(about_lines(info))
    assert rows["Version"].startswith(pyproject_version())
    assert rows["Settings and workspace"].startswith(str(app_dirs["config"]))
    assert rows["Data and audit log"].startswith(str(app_dirs["data"]))
    assert rows["Logs"].startswith(str(app_dirs["state"]))
    assert "16." in rows["PostgreSQL clients"] and "18." in rows["PostgreSQL clients"]  # the wheel's two
    assert "bundled" in rows["PostgreSQL clients"]
    assert info.keyring_backend.startswith("keyring.backends.")


@pytest.mark.parametrize(("older", "newer"), [("0.1.0", "0.2.0"), ("0.9.9", "0.10.0"), ("1.2.0rc1", "1.2.0"),
                                              ("1.2", "1.2.1"), ("v1.0.0", "v1.0.1"), ("1.0.0+local", "1.0.1")])
def test_version_order(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)
    assert version_key("1.2") == version_key("1.2.0.0")


class Releases:
    """A stand-in of GET /repos/OWNER/REPO/releases/latest that answers what a test sets."""

    def __init__(self) -> None:
        self.status, self.body, self.requests = 200, b"{}", []  # type: ignore[var-annotated]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, dict(self.headers)))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, status: int, payload: object) -> None:
        self.status = status
        self.body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()


@pytest.fixture
def releases() -> Iterator[Releases]:
    stand_in = Releases()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


async def test_a_newer_release_is_told_with_its_page(releases: Releases) -> None:
    releases.answer(200, {"tag_name": "v0.3.0", "html_url": "https://github.com/o/r/releases/tag/v0.3.0"})
    result = await check_for_update("0.2.9", api_base=releases.url)
    assert result.newer and result.latest == "0.3.0" and result.url.endswith("/v0.3.0")
    assert "0.3.0 is available" in result.sentence
    path, headers = releases.requests[0]
    assert path == f"/repos/{update_check.RELEASES_REPO}/releases/latest"
    assert "Authorization" not in headers  # anonymous: no token ever leaves for an update check


async def test_a_link_that_is_not_https_is_dropped(releases: Releases) -> None:
    releases.answer(200, {"tag_name": "v5.0.0", "html_url": "javascript:alert(1)"})
    result = await check_for_update("0.1.0", api_base=releases.url)
    assert result.newer and result.url == ""


async def test_the_same_or_an_older_release_is_not_an_update(releases: Releases) -> None:
    for tag in ("v0.2.9", "0.2.8", "0.2.9rc2"):
        releases.answer(200, {"tag_name": tag, "html_url": "https://example.invalid"})
        assert not (await check_for_update("0.2.9", api_base=releases.url)).newer


@pytest.mark.parametrize(("status", "payload", "words"), [
    (404, {"message": "Not Found"}, "has no published release yet"),
    (403, {"message": "rate limited"}, "GitHub answered 403"),
    (200, b"<html>captive portal</html>", "not JSON"),
    (200, {"name": "no tag"}, "has no tag_name"),
    (200, {"tag_name": "nightly"}, "is not a version number"),
    (200, [1, 2], "has no tag_name"),
])
async def test_bad_answers_are_plain_sentences(releases: Releases, status: int, payload: object, words: str) -> None:
    releases.answer(status, payload)
    with pytest.raises(UpdateCheckError) as caught:
        await check_for_update("0.1.0", api_base=releases.url)
    assert words in caught.value.sentence()


async def test_no_network_is_a_plain_sentence(releases: Releases) -> None:
    releases.server.shutdown()
    releases.server.server_close()
    with pytest.raises(UpdateCheckError, match="Could not reach GitHub"):
        await check_for_update("0.1.0", api_base=releases.url, timeout=2)


async def test_a_fork_can_point_the_check_at_its_own_releases(releases: Releases,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    releases.answer(200, {"tag_name": "v9.0.0"})
    monkeypatch.setenv(update_check.REPO_ENV, "our-org/console-fork")
    await check_for_update("0.1.0", api_base=releases.url)
    assert releases.requests[-1][0] == "/repos/our-org/console-fork/releases/latest"
    monkeypatch.setenv(update_check.REPO_ENV, "../../etc")
    with pytest.raises(UpdateCheckError, match="OWNER/REPO"):
        await check_for_update("0.1.0", api_base=releases.url)

"""An http:// app URL has no TLS check: the Health board says "not applicable", not "down" or "not set up"."""

from __future__ import annotations

from datetime import UTC, datetime

from services.core import workspace as ws
from services.health.checks.tls import TlsCheck
from views.health.models import Cell


def _cell(app_url: str) -> Cell:
    env = ws.Environment(name="qa", kind=ws.EnvironmentKind.STAGING, app_url=app_url)
    check = TlsCheck()
    return Cell(env.name, check.name, check.configured(env), check.not_configured_reason(env))


def test_http_app_url_reads_not_applicable() -> None:
    cell = _cell("http://127.0.0.1:3000")
    assert not cell.configured
    assert cell.text(datetime.now(UTC)) == "— not applicable"
    assert "http://" in cell.tooltip()


def test_no_app_url_reads_not_set_up() -> None:
    assert _cell("").text(datetime.now(UTC)) == "— not set up"


def test_https_app_url_is_checked() -> None:
    assert _cell("https://staging.example.org").configured

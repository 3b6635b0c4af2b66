"""Storage against the real local S3 endpoint (moto server), external APIs against a local HTTP server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from services.core import workspace as ws
from services.core.object_storage import make_client
from services.health.checks.external import ExternalApisCheck
from services.health.checks.storage import PROBE_PREFIX, StorageCheck
from services.health.model import Status
from services.health.runner import run_check
from tests.health.conftest import bare_env, closed_port, context

S3_SECRETS = {"CLOUDFLARE_R2_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY, "CLOUDFLARE_R2_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY}


def _storage_env(endpoint: str, prefix: str) -> ws.Environment:
    return bare_env(storage=ws.StorageSettings(endpoint_url=endpoint, region="us-east-1",
                                               files_bucket=f"{prefix}-files", images_bucket=f"{prefix}-images",
                                               documents_bucket=f"{prefix}-documents", credentials="r2"))


async def test_storage_up_degraded_and_down(s3_location) -> None:  # type: ignore[no-untyped-def]
    prefix = f"h{uuid.uuid4().hex[:10]}"
    client = make_client(s3_location)
    for role in ("files", "images", "documents"):
        client.create_bucket(Bucket=f"{prefix}-{role}")
    env = _storage_env(s3_location.endpoint_url, prefix)
    ctx = context(**S3_SECRETS)

    res = await run_check(StorageCheck(), env, ctx)
    assert res.status is Status.UP, res.detail
    assert [p.value for p in res.parts] == ["reachable, writable"] * 3
    # The write probe cleaned up after itself.
    assert client.list_objects_v2(Bucket=f"{prefix}-files", Prefix=PROBE_PREFIX).get("KeyCount", 0) == 0

    client.delete_bucket(Bucket=f"{prefix}-images")
    res = await run_check(StorageCheck(), env, ctx)
    assert res.status is Status.DEGRADED
    assert res.detail == f"2 of 3 buckets fine; images: {prefix}-images missing"
    assert res.part(f"images: {prefix}-images").status is Status.DOWN

    for role in ("files", "documents"):
        client.delete_bucket(Bucket=f"{prefix}-{role}")
    res = await run_check(StorageCheck(), env, ctx)
    assert res.status is Status.DOWN and "No bucket is reachable" in res.detail

    # Read-only where asked: no object is written.
    ctx.storage_write_probe = False
    client.create_bucket(Bucket=f"{prefix}-files")
    res = await run_check(StorageCheck(), env, ctx)
    assert res.part(f"files: {prefix}-files").value == "reachable"
    await ctx.aclose()


async def test_storage_endpoint_stopped_is_down() -> None:
    env = _storage_env(f"http://127.0.0.1:{closed_port()}", "nothing")
    env.health.timeout_s = 8
    res = await run_check(StorageCheck(), env, context(**S3_SECRETS))
    assert res.status is Status.DOWN
    assert "refused the connection" in res.detail


class _Handler(BaseHTTPRequestHandler):
    codes = {"/mls": 200, "/email": 200, "/sms": 500, "/phone": 404, "/auth": 401}

    def do_GET(self) -> None:
        code = self.codes.get(self.path, 404)
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_external_apis_each_part_and_overall_state(api_server: str) -> None:
    ctx = context()
    env = bare_env(external_apis=ws.ExternalApis(mls=f"{api_server}/mls", email=f"{api_server}/auth"))
    res = await run_check(ExternalApisCheck(), env, ctx)
    assert res.status is Status.UP, res.detail
    assert res.part("Email (Resend)").detail.endswith("asks for credentials")

    env.external_apis = ws.ExternalApis(mls=f"{api_server}/mls", email=f"{api_server}/email",
                                        sms=f"{api_server}/sms", phone=f"{api_server}/phone")
    res = await run_check(ExternalApisCheck(), env, ctx)
    assert res.status is Status.DEGRADED
    assert res.part("SMS (Twilio)").status is Status.DOWN and res.part("Phone (3CX)").status is Status.DEGRADED
    assert res.part("MLS").status is Status.UP
    assert "SMS (Twilio): 500" in res.detail and "Phone (3CX): 404" in res.detail

    gone = f"http://127.0.0.1:{closed_port()}"
    env.external_apis = ws.ExternalApis(mls=f"{gone}/mls", sms=f"{api_server}/sms")
    res = await run_check(ExternalApisCheck(), env, ctx)
    assert res.status is Status.DOWN and "No external service answers" in res.detail
    await ctx.aclose()


def test_unconfigured_checks_say_so() -> None:
    env = bare_env()
    assert not ExternalApisCheck().configured(env) and not StorageCheck().configured(env)
    assert ExternalApisCheck().not_configured_reason(env) == "no external API status URLs are set"

"""The shared HTTP layer: Retry-After and Link parsing, protocol surprises, TLS with an untrusted
certificate, the origin guard, and the spec validator's own teeth."""

from __future__ import annotations

import datetime as dt
import email.utils
import ssl
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.provider_standins import supabase
from sandbox.provider_standins.server import StandinServer
from services.core.errors import ConnectionFailure, FailureKind
from services.providers import SupabaseClient
from services.providers.answer_fields import as_float, as_id, as_int, from_millis, from_seconds, parse_time
from services.providers.http_headers import (
    next_link,
    parse_link_header,
    parse_retry_after,
    ratelimit_header_wait,
    reset_wait,
)
from tests.providers.conftest import FAST_RETRY, Standins

REF = supabase.PRODUCTION_REF


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("0.5") == 0.5
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None and parse_retry_after("nan") is None
    assert parse_retry_after(None) is None


def test_link_header_sentry_and_github_styles() -> None:
    sentry = (
        '<https://sentry.io/api/0/organizations/acme/issues/?project=1&cursor=0:0:1>; rel="previous"; '
        'results="false"; cursor="0:0:1", '
        '<https://sentry.io/api/0/organizations/acme/issues/?project=1&cursor=0:100:0>; rel="next"; '
        'results="true"; cursor="0:100:0"'
    )
    links = parse_link_header(sentry)
    assert [link.rel for link in links] == ["previous", "next"]
    assert links[1].params["cursor"] == "0:100:0" and links[1].params["results"] == "true"
    github = '<https://api.github.com/x?a=1,2&page=2>; rel="next", <https://api.github.com/x?a=1,2&page=5>; rel="last"'
    assert [(link.rel, link.url[-6:]) for link in parse_link_header(github)] == [
        ("next", "page=2"),
        ("last", "page=5"),
    ]
    assert parse_link_header("") == ()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_header_parsers_never_raise(text: str) -> None:
    wait = parse_retry_after(text)
    assert wait is None or wait >= 0
    for link in parse_link_header(text):
        assert isinstance(link.url, str) and link.rel


async def test_retry_after_as_http_date_is_honoured(standins: Standins) -> None:
    server, _ = standins.start("supabase")
    server.inject(status=429, retry_after=email.utils.formatdate(time.time() + 0.5, usegmt=True), times=1)
    async with standins.client("supabase", server) as client:
        assert isinstance(client, SupabaseClient)
        await client.project(REF)
    assert [status for _, _, status in server.log] == [429, 200]


async def test_non_json_answer_is_protocol_and_the_validator_notices(standins: Standins) -> None:
    standins.expect_violations()
    server, validator = standins.start("supabase")
    server.inject(status=200, body=b"<html><body>Gateway login</body></html>", times=1)
    async with standins.client("supabase", server) as client:
        assert isinstance(client, SupabaseClient)
        with pytest.raises(ConnectionFailure) as info:
            await client.project(REF)
    assert info.value.kind is FailureKind.PROTOCOL
    assert info.value.message.startswith("Supabase sent an answer the console does not understand")
    if validator.active:
        assert validator.violations, "a stand-in answer that breaks the spec is caught"


async def test_schema_surprise_is_protocol_and_the_validator_notices(standins: Standins) -> None:
    standins.expect_violations()
    server, validator = standins.start("supabase")
    server.inject(status=200, body={"id": REF, "name": "x"}, times=1)  # no ref, status, ...
    async with standins.client("supabase", server) as client:
        assert isinstance(client, SupabaseClient)
        with pytest.raises(ConnectionFailure) as info:
            await client.project(REF)
    assert info.value.kind is FailureKind.PROTOCOL
    assert "field 'ref' is missing" in info.value.message
    if validator.active:
        assert any("required" in v for v in validator.violations)


@pytest.mark.needs_specs("supabase")
async def test_validator_flags_requests_outside_the_spec(standins: Standins) -> None:
    standins.expect_violations()
    server, validator = standins.start("supabase")
    async with standins.client("supabase", server) as client:
        assert isinstance(client, SupabaseClient)
        await client.get_json(f"/v1/projects/{REF}", params={"include_secrets": "yes"})
        with pytest.raises(ConnectionFailure):
            await client.get_json("/v1/not-an-endpoint")
    text = "\n".join(validator.violations + validator.undocumented)
    assert "query parameter 'include_secrets' is not declared" in text
    assert "request not in the" in text  # "... published spec" (noted) with whole upstream files


async def test_validator_flags_the_wrong_auth_scheme(standins: Standins) -> None:
    standins.expect_violations()
    server, validator = standins.start("upstash")
    async with SupabaseClient(
        "bearer-instead-of-basic", base_url=server.base_url, retry=FAST_RETRY
    ) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.get_json("/redis/databases")
    assert info.value.kind is FailureKind.AUTH
    if validator.active:
        assert any("auth scheme is 'bearer', expected 'basic'" in v for v in validator.violations)


async def test_next_link_to_another_host_is_not_followed(standins: Standins) -> None:
    server, _ = standins.start("betterstack")
    monitors = server.data.monitors
    body = {
        "data": monitors[:1],
        "pagination": {
            "first": "x",
            "last": "y",
            "prev": None,
            "next": "https://evil.example/api/v2/monitors?page=2",
        },
    }
    server.inject(status=200, body=body, times=1)
    async with standins.client("betterstack", server) as client:
        with pytest.raises(ConnectionFailure) as info:
            await client.list_monitors()  # type: ignore[attr-defined]
    assert info.value.kind is FailureKind.PROTOCOL
    assert "the token was not sent there" in info.value.message
    assert len(server.log) == 1


def test_next_link_requires_results_true() -> None:
    import httpx

    request = httpx.Request("GET", "https://sentry.io/x")
    header = '<https://sentry.io/x?cursor=0:5:0>; rel="next"; results="false"; cursor="0:5:0"'
    response = httpx.Response(200, headers={"Link": header}, request=request)
    assert next_link(response, require_results=True) is None
    assert next_link(response) == "https://sentry.io/x?cursor=0:5:0"


def _self_signed(tmp: Path) -> ssl.SSLContext:
    crypto = pytest.importorskip("cryptography")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context


async def test_self_signed_certificate_is_tls(tmp_path: Path, standins: Standins) -> None:
    context = _self_signed(tmp_path)
    plain = supabase.create()
    server = StandinServer(
        "supabase", plain.routes, tokens=plain.tokens, error_body=plain.error_body, ssl_context=context
    ).start()
    try:
        assert server.base_url.startswith("https://")
        async with standins.client("supabase", base_url=server.base_url) as client:
            assert isinstance(client, SupabaseClient)
            with pytest.raises(ConnectionFailure) as info:
                await client.project(REF)
    finally:
        server.stop()
    assert info.value.kind is FailureKind.TLS
    assert (
        info.value.message
        == "The secure connection to 127.0.0.1 failed (TLS): its certificate is not trusted"
    )


def test_wait_signals_of_the_providers() -> None:
    now = 1_800_000_000.0
    assert ratelimit_header_wait('"default";r=0;t=30') == 30  # Cloudflare
    assert ratelimit_header_wait('"burst";r=5;t=2, "day";r=0;t=600') == 600  # the exhausted policy
    assert ratelimit_header_wait('"default";r=0;t=soon') is None and ratelimit_header_wait(None) is None
    assert reset_wait("30", now=now) == 30  # Supabase: seconds left
    assert reset_wait(str(int(now) + 45), now=now) == 45  # Vercel, GitHub, Sentry: a Unix time
    assert reset_wait(str(int(now * 1000) + 5000), now=now) == pytest.approx(5)  # milliseconds
    assert reset_wait(str(int(now) - 10), now=now) == 0  # already past
    for garbled in (None, "", "-1", "inf", "1e400", "nan", "x", [1]):
        assert reset_wait(garbled, now=now) is None


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8))
def test_value_readers_raise_only_what_parsers_catch(value: object) -> None:
    for reader in (from_millis, from_seconds, parse_time, as_int, as_float, as_id):
        try:
            reader(value)  # type: ignore[operator]
        except (TypeError, ValueError):
            pass  # a parser turns these into a typed failure or a skipped item


def test_out_of_range_timestamps_are_unknown() -> None:
    for value in (1.7976931348623157e308, float("inf"), 2**63 - 1, 10**400, -(10**30)):
        assert from_millis(value) is None
        assert from_seconds(value) is None
    assert from_millis(0) is not None and from_millis(0).year == 1970  # type: ignore[union-attr]

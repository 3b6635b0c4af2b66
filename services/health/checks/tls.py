"""TLS certificates of each environment's domains: days until expiry, warning at 21, 14 and 7 days.

The certificate is read even when it is not trusted (so an expired or self-signed one still shows
its dates), and trust is reported separately: a certificate browsers refuse counts as down.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from services.core.concurrency import settle
from services.core.workspace import Environment
from services.health.checks.base import Check, CheckContext, Stopwatch
from services.health.model import CheckResult, Part, Status, result, worst

WARN_DAYS = (21, 14, 7)


def domains_of(env: Environment) -> list[tuple[str, int]]:
    """``host[:port]`` entries of ``health.tls_domains``, else the app URL's host when it is https."""
    out: list[tuple[str, int]] = []
    entries = list(env.health.tls_domains)
    if not entries and env.app_url.startswith("https://"):
        entries = [urlsplit(env.app_url).netloc]
    for entry in entries:
        entry = entry.strip()
        if "//" in entry:
            entry = urlsplit(entry).netloc
        host, sep, port = entry.rpartition(":")
        if sep and port.isdigit() and "]" not in port:
            out.append((host.strip("[]"), int(port)))
        else:
            out.append((entry.strip("[]"), 443))
    return out


def expiry_status(days_left: float) -> tuple[Status, str]:
    whole = int(days_left) if days_left >= 0 else -int(-days_left) - 1
    if days_left <= 0:
        return Status.DOWN, f"expired {abs(whole)} day{'s' if abs(whole) != 1 else ''} ago"
    plural = "s" if whole != 1 else ""
    for limit in sorted(WARN_DAYS):
        if days_left <= limit:
            return Status.DEGRADED, f"expires in {whole} day{plural} (under {limit} days: renew now)"
    return Status.UP, f"valid for {whole} more day{plural}"


async def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> bytes:
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout)
    try:
        sslobj = writer.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        if not der:
            raise ssl.SSLError("the server sent no certificate")
        return bytes(der)
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 2)
        except (OSError, TimeoutError, ssl.SSLError):
            pass


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


class TlsCheck(Check):
    name = "tls"

    def configured(self, env: Environment) -> bool:
        return bool(domains_of(env))

    def not_configured_reason(self, env: Environment) -> str:
        if env.app_url.startswith("http://"):
            return "not applicable: the app URL is http://, so there is no certificate to check"
        return "no TLS domains are set and the app URL is not https"

    async def _domain(self, host: str, port: int, ctx: CheckContext, limit: float,
                      now: datetime) -> tuple[Part, float, float]:
        label = host if port == 443 else f"{host}:{port}"
        clock = Stopwatch()
        trusted_problem = ""
        try:
            der = await _handshake(host, port, ctx.ssl_context(), limit)
        except ssl.SSLCertVerificationError as exc:
            trusted_problem = exc.verify_message or "not trusted"
            try:
                der = await _handshake(host, port, _unverified_context(), limit)
            except (OSError, TimeoutError, ssl.SSLError) as inner:
                return Part(label, Status.DOWN, "TLS handshake failed", detail=str(inner)), clock.ms, -1
        except TimeoutError:
            return Part(label, Status.DOWN, "no answer in time (timeout)", detail=label), clock.ms, -1
        except ssl.SSLError as exc:
            return Part(label, Status.DOWN, "TLS handshake failed", detail=str(exc)), clock.ms, -1
        except OSError as exc:
            reason = "refused the connection" if isinstance(exc, ConnectionRefusedError) else f"cannot be reached ({exc})"
            return Part(label, Status.DOWN, reason, detail=str(exc)), clock.ms, -1
        ms = clock.ms
        cert = x509.load_der_x509_certificate(der)
        not_after = cert.not_valid_after_utc
        days_left = (not_after - now).total_seconds() / 86400
        status, words = expiry_status(days_left)
        detail = f"{_name(cert)}, issued by {cert.issuer.rfc4514_string()[:80]}, until {not_after:%Y-%m-%d %H:%M} UTC"
        if trusted_problem and status is not Status.DOWN:
            status = Status.DOWN
            words = f"not trusted ({trusted_problem}); {words}"
        return Part(label, status, words, detail=detail), ms, days_left

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        now = datetime.now(UTC)
        answers = await settle(*(self._domain(h, p, ctx, ctx.timeout(env), now) for h, p in domains_of(env)))
        parts = tuple(a[0] for a in answers)
        latency = max(a[1] for a in answers)
        known = [a[2] for a in answers if a[2] != -1]
        metrics = {"days_left": min(known)} if known else {}
        status = worst([p.status for p in parts])
        shown = parts if status is Status.UP else tuple(p for p in parts if p.status is not Status.UP)
        detail = "; ".join(f"{p.name}: {p.value}" for p in shown)
        return result(env.name, self.name, status, detail, latency_ms=latency, parts=parts, metrics=metrics)

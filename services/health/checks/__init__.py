"""Every health check, by its stable name (the board's column order)."""

from __future__ import annotations

from services.health.checks.base import Check, CheckContext
from services.health.checks.database import DatabaseCheck
from services.health.checks.external import ExternalApisCheck
from services.health.checks.headers import HeadersCheck
from services.health.checks.platform import PlatformCheck
from services.health.checks.providers import BetterStackCheck, SentryCheck
from services.health.checks.redis_check import RedisCheck
from services.health.checks.storage import StorageCheck
from services.health.checks.tls import TlsCheck


def all_checks() -> dict[str, Check]:
    checks: list[Check] = [PlatformCheck(), DatabaseCheck(), RedisCheck(), StorageCheck(), ExternalApisCheck(),
                           TlsCheck(), HeadersCheck(), SentryCheck(), BetterStackCheck()]
    return {c.name: c for c in checks}


__all__ = ["Check", "CheckContext", "all_checks"]

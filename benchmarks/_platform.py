"""The platform's answers as the benchmarks' own stand-ins send them (a healthy /api/health, a page
otherwise, the seed's security headers), after whatever delay the benchmark chose."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from services.core.seed_policy import SECURITY_HEADERS


def answer_like_the_platform(handler: BaseHTTPRequestHandler) -> None:
    if handler.path.startswith("/api/health"):
        body = json.dumps({"status": "healthy", "timestamp": datetime.now(UTC).isoformat(),
                           "services": {"database": "up", "redis": "up", "external_apis": "up"},
                           "version": "bench", "uptime": time.monotonic(), "response_time_ms": 3}).encode()
        kind = "application/json"
    else:
        body, kind = b"<!DOCTYPE html><title>Harbor Point Realty</title>", "text/html"
    handler.send_response(200)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in SECURITY_HEADERS:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)

"""The platform's security headers as the seed sets them (next.config.js ``securityHeaders`` and the
deployment config's Permissions-Policy). One source: the sandbox's stand-in serves them and the
health check grades real responses against them."""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' https://vercel.live",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "connect-src 'self' https://api.vercel.com https://*.supabase.co",
    "frame-ancestors 'none'",
])

# In next.config.js's order, then the deployment config's Permissions-Policy.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-DNS-Prefetch-Control", "on"),
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
    ("X-XSS-Protection", "1; mode=block"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)

# The six the Observatory grades (or the seed's policy names), as a header → value map.
GRADED = ("Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
          "Referrer-Policy", "Permissions-Policy")
SEED_POLICY: dict[str, str] = {name: value for name, value in SECURITY_HEADERS if name in GRADED}

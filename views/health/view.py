"""Health: planned until its issue lands; says what it will hold."""

from views.base import PlannedView


class HealthView(PlannedView):
    key = "health"
    title = "Health"
    planned = ("The platform's /api/health, database, Redis, storage, external APIs, TLS expiry, security headers, Sentry and Better Stack, with history",)

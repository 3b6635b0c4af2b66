"""Environments: planned until its issue lands; says what it will hold."""

from views.base import PlannedView


class EnvironmentsView(PlannedView):
    key = "environments"
    title = "Environments"
    planned = ("Each environment's settings, secrets (masked; kept in the OS keyring), .env import, connection tests and drift",)

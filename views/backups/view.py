"""Backups: planned until its issue lands; says what it will hold."""

from views.base import PlannedView


class BackupsView(PlannedView):
    key = "backups"
    title = "Backups"
    planned = ("Backups streamed to S3/R2, the catalog with freshness, verification, guarded restore, retention and the schedule",)

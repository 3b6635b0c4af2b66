"""Costs: planned; says what it will hold until its issue is built."""

from views.base import PlannedView


class CostsView(PlannedView):
    key = "costs"
    title = "Costs"
    planned = (
        "Month-to-date and forecast per provider and per category (hosting, database, storage, "
        "monitoring, external)",
        "Measured usage (database size, bucket bytes and objects, Redis memory and commands) priced by "
        "a versioned, editable price table",
        "A budget with days until it is exceeded",
        "The seed's recommendations: smaller database tier under 20 average connections, unused files over 30%, "
        "logs past 90 days, temp files past 7 days, backups past retention",
        "Charts and a CSV export of the monthly report",
    )

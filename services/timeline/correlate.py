"""Link each health incident to what changed shortly before it in the same environment.

An incident that opens within ``window`` after a deployment went live, a promotion or rollback, or a
migration was applied, is linked to the latest such change (both ways). The incident then offers what
undoes that change: for a deployment, a rollback to the live deployment before it; for a migration,
a restore of the last good backup taken before it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from services.timeline.model import Event, Kind


def correlate(events: list[Event], window: timedelta) -> list[Event]:
    links: dict[str, list[str]] = {}
    offers: dict[str, list[tuple[str, str]]] = {}
    changes = sorted((e for e in events if e.change), key=lambda e: e.time)
    for incident in (e for e in events if e.kind is Kind.INCIDENT):
        before = [c for c in changes if c.environment == incident.environment
                  and timedelta(0) <= incident.time - c.time <= window]
        if not before:
            continue
        cause = before[-1]
        links.setdefault(incident.id, []).append(cause.id)
        links.setdefault(cause.id, []).append(incident.id)
        if cause.kind is Kind.DEPLOYMENT:
            earlier = [c for c in changes if c.environment == cause.environment and c.kind is Kind.DEPLOYMENT
                       and c.time < cause.time]
            if earlier:
                offers.setdefault(incident.id, []).append(("rollback", earlier[-1].id))
        elif cause.kind is Kind.MIGRATION:
            backups = sorted((b for b in events if b.kind is Kind.BACKUP and b.environment == cause.environment
                              and not b.attention and b.time < cause.time), key=lambda b: b.time)
            if backups:
                offers.setdefault(incident.id, []).append(("restore", backups[-1].id))
    out = []
    for e in events:
        if e.id in links or e.id in offers:
            related = tuple(dict.fromkeys((*e.related, *links.get(e.id, ()))))
            e = replace(e, related=related, offers=(*e.offers, *offers.get(e.id, ())))
        out.append(e)
    return out

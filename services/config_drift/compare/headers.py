"""Security headers: the graded response of the app's front page against the seed's headers."""

from __future__ import annotations

from services.config_drift import seed
from services.config_drift.compare.read import Read, blocked_item, status_of
from services.config_drift.model import ConfigItem, Kind, Status
from services.core.seed_policy import GRADED
from services.health.security_headers import HeaderReport


def header_items(page: Read) -> list[ConfigItem]:
    k = Kind.HEADERS
    items: list[ConfigItem] = []
    for name, want in seed.HEADERS:
        blocked = blocked_item(k, name, want, page)
        if blocked:
            items.append(blocked)
            continue
        report: HeaderReport = page.value[0]
        raw: dict[str, str] = page.value[1]
        received = raw.get(name.lower())
        finding = report.finding(name) if name in GRADED else None
        if finding is not None:
            items.append(ConfigItem(k, name, want, finding.received or "", _header_status(finding.verdict),
                                    finding.explanation, page.source))
            continue
        if received is None:
            items.append(ConfigItem(k, name, want, "", Status.NOT_CONFIGURED,
                                    f"The site does not send {name}.", page.source))
        else:
            same = received.strip().lower() == want.lower()
            items.append(ConfigItem(k, name, want, received, status_of(same),
                                    f"The site sends the seed's {name}." if same else
                                    f"The site sends {name} '{received[:60]}' instead of the seed's value.",
                                    page.source))
    return items


def _header_status(verdict: str) -> Status:
    if verdict == "ok":
        return Status.MATCHES
    if verdict == "missing":
        return Status.NOT_CONFIGURED
    return Status.DIFFERS

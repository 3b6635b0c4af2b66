"""One timeline of everything that happened to an environment: deployments, backups, verifications,
restores, health incidents, environment edits, production changes — merged in time order, with
incidents linked to the deployment or migration that went live shortly before them."""

from services.timeline.model import Event, Gap, Kind, Timeline
from services.timeline.service import TimelineRequest, build_timeline

__all__ = ["Event", "Gap", "Kind", "Timeline", "TimelineRequest", "build_timeline"]

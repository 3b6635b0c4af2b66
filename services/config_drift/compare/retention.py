"""Retention: the scheduled backup workflow and the expiry rules of the backup and files buckets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from services.config_drift import seed
from services.config_drift.compare.read import Read, as_dict, blocked_item, status_of
from services.config_drift.model import ConfigItem, Kind, Status


def _crons(workflow_text: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"""^\s*-\s*cron:\s*["']([^"']+)["']""", workflow_text, re.M)]


def _expiry_days(rules: Iterable[Any], prefixes: Iterable[str]) -> tuple[int | None, str]:
    """The expiration (days) that applies to objects under ``prefixes``, and which rule sets it: of the
    enabled rules covering them, the soonest (S3 expires an object at the first rule that says so)."""
    found: list[tuple[int, str]] = []
    for rule in rules:
        if not isinstance(rule, dict) or rule.get("Status") != "Enabled":
            continue
        flt = as_dict(rule.get("Filter"))
        prefix = str(flt.get("Prefix", rule.get("Prefix", "")) or "")
        if isinstance(flt.get("And"), dict):
            prefix = str(flt["And"].get("Prefix", "") or "")
        if any(p.startswith(prefix) for p in prefixes):
            days = as_dict(rule.get("Expiration")).get("Days")
            if isinstance(days, int) and not isinstance(days, bool):
                found.append((days, str(rule.get("ID") or prefix or "whole bucket")))
    return min(found) if found else (None, "")


def backup_items(workflow: Read, backup_rules: Read, backup_prefix: str) -> list[ConfigItem]:
    k = Kind.BACKUP
    items: list[ConfigItem] = []
    cron_seed = f"{seed.BACKUP_CRON} (daily 02:00 UTC)"
    blocked = blocked_item(k, "schedule", cron_seed, workflow)
    if blocked:
        items.append(blocked)
    else:
        crons = _crons(str(workflow.value))
        if not crons:
            items.append(ConfigItem(k, "schedule", cron_seed, "no schedule", Status.NOT_CONFIGURED,
                                    "The backup workflow has no cron schedule, so backups run only by hand.",
                                    workflow.source))
        else:
            same = seed.BACKUP_CRON in crons
            why = ("The backup workflow runs daily at 02:00 UTC, as the seed says." if same else
                   f"The backup workflow runs on '{', '.join(crons)}' instead of daily at 02:00 UTC.")
            items.append(ConfigItem(k, "schedule", cron_seed, ", ".join(crons), status_of(same), why, workflow.source))
    keep_seed = f"{seed.BACKUP_RETENTION_DAYS} d (7 years)"
    blocked = blocked_item(k, "retention", keep_seed, backup_rules)
    if blocked:
        items.append(blocked)
        return items
    prefix = backup_prefix.strip("/") + "/" if backup_prefix.strip("/") else ""
    days, rule = _expiry_days(backup_rules.value, [prefix])
    if days is None:
        items.append(ConfigItem(k, "retention", keep_seed, "kept forever", Status.NOT_CONFIGURED,
                                "No lifecycle rule expires the backups, so they are kept (and paid for) forever; "
                                "`backup lifecycle --apply` sets the seed's.", backup_rules.source))
    else:
        same = days == seed.BACKUP_RETENTION_DAYS
        why = ("Backups are deleted after the seed's 7 years." if same else
               f"Rule '{rule}' deletes backups after {days} days, "
               f"{'sooner' if days < seed.BACKUP_RETENTION_DAYS else 'later'} than the seed's 7 years.")
        items.append(ConfigItem(k, "retention", keep_seed, f"{days} d", status_of(same), why, backup_rules.source))
    return items


def storage_items(files_rules: Read) -> list[ConfigItem]:
    k = Kind.STORAGE
    items: list[ConfigItem] = []
    for item, want, prefixes, what in (("logs expiry", seed.LOGS_DAYS, seed.LOG_PREFIXES, "logs"),
                                       ("temp files expiry", seed.TEMP_DAYS, seed.TEMP_PREFIXES, "temporary files")):
        seed_text = f"{want} d"
        blocked = blocked_item(k, item, seed_text, files_rules)
        if blocked:
            items.append(blocked)
            continue
        days, rule = _expiry_days(files_rules.value, prefixes)
        if days is None:
            items.append(ConfigItem(k, item, seed_text, "kept forever", Status.NOT_CONFIGURED,
                                    f"No lifecycle rule on {'/'.join(prefixes)} deletes {what}, so they pile up.",
                                    files_rules.source))
            continue
        same = days == want
        why = (f"Rule '{rule}' deletes {what} after the seed's {want} days." if same else
               f"Rule '{rule}' deletes {what} after {days} days instead of {want}.")
        items.append(ConfigItem(k, item, seed_text, f"{days} d", status_of(same), why, files_rules.source))
    return items

"""Functions: vercel.json in the repository, then the Vercel project's defaults (memory, max duration,
regions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.config_drift import seed
from services.config_drift.compare.read import Read, blocked_item, status_of
from services.config_drift.model import ConfigItem, Kind, Status


def _function_settings(vercel_json: dict[str, Any] | None, key: str) -> list[tuple[str, Any]]:
    """(pattern, value) of each function pattern that sets ``key``; a value that is not a number is kept
    as text (Vercel refuses such a vercel.json, so it never equals the seed's)."""
    functions = (vercel_json or {}).get("functions")
    if not isinstance(functions, dict):
        return []
    found = []
    for pattern, cfg in functions.items():
        if isinstance(cfg, dict) and key in cfg:
            value = cfg[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                value = repr(value)[:30]
            found.append((str(pattern)[:80], value))
    return found


def _resource_config(project: dict[str, Any]) -> dict[str, Any]:
    config = project.get("resourceConfig")
    return config if isinstance(config, dict) else {}


def functions_items(vercel_json: Read, project: Read) -> list[ConfigItem]:
    k = Kind.FUNCTIONS
    items: list[ConfigItem] = []

    memory_seed = f"{seed.FUNCTION_MEMORY_MB} MB"
    blocked = blocked_item(k, "memory", memory_seed, vercel_json)
    if blocked and not vercel_json.unset:
        items.append(blocked)
    else:
        settings = _function_settings(vercel_json.value if vercel_json.ok else None, "memory")
        if settings:
            wrong = [(p, v) for p, v in settings if v != seed.FUNCTION_MEMORY_MB]
            live = "; ".join(f"{p}: {v} MB" for p, v in settings)
            why = ("Every function pattern in vercel.json has the seed's 1024 MB." if not wrong else
                   "vercel.json gives " + ", ".join(f"{p} {v} MB" for p, v in wrong) + " instead of the seed's "
                   "1024 MB.")
            items.append(ConfigItem(k, "memory", memory_seed, live, status_of(not wrong), why, vercel_json.source))
        else:
            items.append(_project_memory(project, memory_seed))

    duration_seed = f"{seed.FUNCTION_MAX_DURATION_S} s"
    if vercel_json.failure:
        items.append(blocked_item(k, "max duration", duration_seed, vercel_json))  # type: ignore[arg-type]
    else:
        settings = _function_settings(vercel_json.value if vercel_json.ok else None, "maxDuration")
        if settings:
            wrong = [(p, v) for p, v in settings if v != seed.FUNCTION_MAX_DURATION_S]
            live = "; ".join(f"{p}: {v} s" for p, v in settings)
            why = ("Every function pattern in vercel.json stops at the seed's 30 s." if not wrong else
                   "vercel.json lets " + ", ".join(f"{p} run {v} s" for p, v in wrong)
                   + " instead of stopping at the seed's 30 s.")
            items.append(ConfigItem(k, "max duration", duration_seed, live, status_of(not wrong), why,
                                    vercel_json.source))
        else:
            items.append(_project_value(
                project, "max duration", duration_seed, "functionDefaultTimeout",
                lambda v: f"project default: {v} s", lambda v: v == seed.FUNCTION_MAX_DURATION_S,
                lambda v: f"vercel.json sets no maxDuration, so functions stop at the project's {v} s, not 30 s."))

    regions_seed = ", ".join(seed.FUNCTION_REGIONS)
    if vercel_json.failure:
        items.append(blocked_item(k, "regions", regions_seed, vercel_json))  # type: ignore[arg-type]
    else:
        regions = (vercel_json.value or {}).get("regions") if vercel_json.ok else None
        if isinstance(regions, list) and regions:
            items.append(_regions_item([str(r) for r in regions], regions_seed, vercel_json.source, "vercel.json"))
        else:
            block = blocked_item(k, "regions", regions_seed, project)
            if block:
                items.append(block)
            else:
                live_regions = _resource_config(project.value).get("functionDefaultRegions")
                if isinstance(live_regions, list) and live_regions:
                    items.append(_regions_item([str(r) for r in live_regions], regions_seed, project.source,
                                               "the project's default"))
                else:
                    items.append(ConfigItem(k, "regions", regions_seed, "", Status.NOT_CONFIGURED,
                                            "Neither vercel.json nor the project names function regions.",
                                            project.source))
    return items


def _project_memory(project: Read, memory_seed: str) -> ConfigItem:
    k = Kind.FUNCTIONS
    blocked = blocked_item(k, "memory", memory_seed, project)
    if blocked:
        return blocked
    memory_type = _resource_config(project.value).get("functionDefaultMemoryType")
    if not memory_type:
        return ConfigItem(k, "memory", memory_seed, "", Status.NOT_CONFIGURED,
                          "Neither vercel.json nor the project sets function memory, so Vercel's default applies.",
                          project.source)
    return ConfigItem(k, "memory", memory_seed, f"project default: '{memory_type}' memory type", Status.DIFFERS,
                      f"vercel.json sets no memory, so functions get the project's '{memory_type}' memory type "
                      "rather than the seed's fixed 1024 MB.", project.source)


def _project_value(project: Read, item: str, seed_text: str, key: str, show: Callable[[Any], str],
                   same: Callable[[Any], bool], differs: Callable[[Any], str]) -> ConfigItem:
    k = Kind.FUNCTIONS
    blocked = blocked_item(k, item, seed_text, project)
    if blocked:
        return blocked
    value = _resource_config(project.value).get(key)
    if value is None:
        return ConfigItem(k, item, seed_text, "", Status.NOT_CONFIGURED,
                          f"Neither vercel.json nor the project sets the {item}, so Vercel's plan default applies.",
                          project.source)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if same(value):
        return ConfigItem(k, item, seed_text, show(value), Status.MATCHES,
                          f"The project's default {item} is the seed's.", project.source)
    return ConfigItem(k, item, seed_text, show(value), Status.DIFFERS, differs(value), project.source)


def _regions_item(live: list[str], seed_text: str, source: str, where: str) -> ConfigItem:
    missing = [r for r in seed.FUNCTION_REGIONS if r not in live]
    extra = [r for r in live if r not in seed.FUNCTION_REGIONS]
    if not missing and not extra:
        why = f"Functions run in the seed's three regions ({where})."
    else:
        bits = []
        if missing:
            bits.append(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing")
        if extra:
            bits.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not in the seed")
        why = f"In {where}, " + " and ".join(bits) + ", so functions do not run where the seed places them."
    return ConfigItem(Kind.FUNCTIONS, "regions", seed_text, ", ".join(live), status_of(not missing and not extra),
                      why, source)

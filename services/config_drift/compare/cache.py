"""Cache: Cloudflare's cache rules (phase http_request_cache_settings) against the seed's TTLs."""

from __future__ import annotations

import re
from typing import Any

from services.config_drift import seed
from services.config_drift.compare.read import Read, as_dict, blocked_item, status_of
from services.config_drift.model import ConfigItem, Kind, Status

_CATEGORY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("images", re.compile(r"_next/image|/images?/|\b(?:jpe?g|png|webp|avif|gif)\b|\bimages?\b", re.I)),
    ("api", re.compile(r"/api/|\bapi\b", re.I)),
    ("static", re.compile(r"_next/static|/static/|\b(?:js|css|woff2?)\b|\bstatic\b", re.I)),
)
_CATEGORY_NAMES = {"static": "static assets", "api": "API responses", "images": "images"}


def _category(rule: dict[str, Any]) -> str | None:
    """Which of the seed's TTLs a rule is about, from its expression, else its description."""
    for text in (str(rule.get("expression", "")), str(rule.get("description", ""))):
        for name, pattern in _CATEGORY_PATTERNS:
            if pattern.search(text):
                return name
    return None


def cache_items(rules: Read) -> list[ConfigItem]:
    k = Kind.CACHE
    items: list[ConfigItem] = []
    for name, ttl in seed.CACHE_TTLS.items():
        label = f"{_CATEGORY_NAMES[name]} TTL"
        seed_text = seed.duration_text(ttl)
        blocked = blocked_item(k, label, seed_text, rules)
        if blocked:
            items.append(blocked)
            continue
        matching = [r for r in rules.value if isinstance(r, dict) and r.get("enabled", True) is not False
                    and r.get("action") == "set_cache_settings" and _category(r) == name]
        if not matching:
            items.append(ConfigItem(k, label, seed_text, "", Status.NOT_CONFIGURED,
                                    f"No cache rule covers {_CATEGORY_NAMES[name]}, so Cloudflare follows the "
                                    "origin's Cache-Control headers.", rules.source))
            continue
        rule = matching[-1]  # of several matching cache rules, the later one's settings win
        params = as_dict(rule.get("action_parameters"))
        edge = as_dict(params.get("edge_ttl"))
        where = f"rule '{rule.get('description') or rule.get('id', '?')}'"
        if params.get("cache") is False:
            items.append(ConfigItem(k, label, seed_text, "not cached", Status.DIFFERS,
                                    f"The {where} turns caching off for {_CATEGORY_NAMES[name]}.", rules.source))
            continue
        if edge.get("mode") != "override_origin" or not isinstance(edge.get("default"), int):
            mode = edge.get("mode") or "no edge TTL"
            items.append(ConfigItem(k, label, seed_text, f"{mode}", Status.DIFFERS,
                                    f"The {where} sets no fixed edge TTL ({mode}), so the origin decides how long "
                                    f"{_CATEGORY_NAMES[name]} stay cached.", rules.source))
            continue
        live = int(edge["default"])
        same = live == ttl
        why = (f"The {where} caches {_CATEGORY_NAMES[name]} for the seed's {seed_text}." if same else
               f"The {where} caches {_CATEGORY_NAMES[name]} for {seed.duration_text(live)} instead of {seed_text}.")
        items.append(ConfigItem(k, label, seed_text, seed.duration_text(live), status_of(same), why, rules.source))
    return items

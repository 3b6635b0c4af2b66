"""The page's tags the Observatory reads: ``<meta>`` (http-equiv CSP, name=referrer) and ``<script>``.

Like htmlparser2 as v1.6.3 uses it (``src/utils/html-parser.js``, ``src/retriever/utils.js``): tag
and attribute names lower-cased, entities decoded, a repeated attribute keeps its first value, a
valueless attribute is "", and script/style bodies are not parsed for tags.
"""

from __future__ import annotations

from html.parser import HTMLParser

Attributes = dict[str, str]


class _Collector(HTMLParser):
    def __init__(self, tags: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.tags = tags
        self.found: list[tuple[str, Attributes]] = []

    def _take(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.tags:
            out: Attributes = {}
            for name, value in attrs:
                out.setdefault(name, value or "")
            self.found.append((tag, out))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._take(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._take(tag, attrs)


def collect(html: str, *tags: str) -> list[tuple[str, Attributes]]:
    parser = _Collector(frozenset(tags))
    parser.feed(html)
    parser.close()
    return parser.found


def http_equiv(html: str) -> dict[str, list[str]]:
    """CSP policies from ``<meta http-equiv>`` and the referrer policy from ``<meta name=referrer>``
    (the last such tag wins), keyed by the header they stand for."""
    out: dict[str, list[str]] = {"content-security-policy": []}
    for _, meta in collect(html, "meta"):
        if "http-equiv" in meta and "content" in meta:
            if meta["content"] and meta["http-equiv"].lower().strip() == "content-security-policy":
                out["content-security-policy"].append(meta["content"])
        elif meta.get("name", "").lower().strip() == "referrer" and meta.get("content"):
            out["referrer-policy"] = [meta["content"]]
    return out

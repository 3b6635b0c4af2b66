"""Content-Security-Policy as the Observatory v1.6.3 reads and grades it.

Rules from ``src/analyzer/cspParser.js`` and ``src/analyzer/tests/csp.js`` at
22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8 (re-implemented, not copied):

- Every header value and every ``<meta http-equiv>`` tag is split at commas into policies (since
  1.6.2), and all policies are enforced together: a directive keeps only the sources that two
  policies share (by source and path part); a directive that only a later policy names ends up
  ``'none'``.
- A policy shorter than six characters (an empty one from a trailing comma, say) makes the whole CSP
  invalid; so does a directive repeated within one policy (``report-uri``/``report-to`` excepted: they
  only downgrade a passing result to ``csp-implemented-but-duplicate-directives``).
- Sources are lower-cased, so ``'NONCE-…'`` and ``'SHA256-…'`` count as nonces and hashes; a source
  list with no sources (``default-src;``) is ``'none'``.
- ``frame-ancestors``, ``report-uri`` and ``sandbox`` do not count in a meta tag; frame-ancestors is
  read from headers only for clickjacking, but from both for the X-Frame-Options test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

SHORTEST_POLICY = len("img-src") - 1
DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})

DANGEROUSLY_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"})
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
BROAD_OR_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCES_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")

# JavaScript's idea of whitespace (String.prototype.trim, /\s/), which differs from Python's.
_JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
         "\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_WS_RUN = re.compile(f"[{_JS_WS}]+")

# Intl.Collator("en") order of ASCII (CLDR root collation): punctuation, then symbols, digits, letters.
_COLLATION = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_WEIGHT = {ch: i for i, ch in enumerate(_COLLATION)}


def js_trim(text: str) -> str:
    return text.strip(_JS_WS)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def collation_key(text: str) -> tuple[int, ...]:
    """Sort key close to Intl.Collator("en") for CSP sources (exact for lower-case ASCII)."""
    return tuple(_WEIGHT.get(ch, _WEIGHT.get(ch.lower(), 1000 + ord(ch))) for ch in text)


class CspInvalid(ValueError):
    pass


@dataclass
class _Source:
    source: str
    index: int
    keep: bool


def _decode_uri_component(text: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise CspInvalid("malformed percent-escape")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError as exc:
        raise CspInvalid("malformed percent-escape") from exc


def _path_part_match(a: str, b: str) -> bool:
    if not a:
        return True
    if a == "/" and not b:
        return True
    exact = not a.endswith("/")
    parts_a, parts_b = a.split("/"), b.split("/")
    if len(parts_a) > len(parts_b):
        return False
    if exact and len(parts_a) != len(parts_b):
        return False
    if not exact:
        parts_a.pop()
    return all(_decode_uri_component(pa) == _decode_uri_component(parts_b[i]) for i, pa in enumerate(parts_a))


@dataclass
class ParsedCsp:
    directives: dict[str, set[str]] = field(default_factory=dict)
    duplicates: set[str] = field(default_factory=set)

    def get(self, name: str) -> set[str] | None:
        return self.directives.get(name)

    def __len__(self) -> int:
        return len(self.directives)


def parse_csp(policies: list[str]) -> ParsedCsp:
    """Parse and combine policies; raises :class:`CspInvalid` as the Observatory's parser throws."""
    clean = [js_trim(p.replace("\r", "").replace("\n", "")) for p in policies]
    if not clean:
        return ParsedCsp()
    for policy in clean:
        if not policy or _utf16_len(policy) < SHORTEST_POLICY:
            raise CspInvalid(f"policy too short: {policy!r}")
    combined_map: dict[str, list[_Source]] = {}
    duplicates: set[str] = set()
    for index, policy in enumerate(clean):
        seen: set[str] = set()
        for entry in policy.split(";"):
            tokens = _JS_WS_RUN.split(js_trim(entry))
            if not tokens[0]:
                continue
            directive, raw_values = tokens[0].lower(), tokens[1:]
            if directive in seen:
                if directive not in ALLOWED_DUPLICATES:
                    raise CspInvalid(f"directive {directive} repeated in policy {index + 1}")
                duplicates.add(directive)
            seen.add(directive)
            keep = index == 0
            values = [_Source(js_trim(v).lower(), index, keep) for v in raw_values]
            if not values and directive.endswith("-src"):
                values = [_Source("'none'", index, keep)]
            combined = list(values) if index == 0 else [*combined_map.get(directive, []), *values]
            combined.sort(key=lambda s: collation_key(s.source))
            for i in range(1, len(combined)):
                cur, prev = combined[i], combined[i - 1]
                if cur.index == prev.index and cur.source.startswith(prev.source):
                    cur.keep = False  # superfluous: a shorter source of the same policy covers it
                if cur.index != prev.index and _path_part_match(prev.source, cur.source):
                    cur.keep = True  # present in both policies
            combined_map[directive] = [s for s in combined if s.keep]
            if index == 0 and len(policies) > 1:
                for s in combined_map[directive]:
                    s.keep = False
    parsed = ParsedCsp(duplicates=duplicates)
    for directive, sources in combined_map.items():
        parsed.directives[directive] = {s.source for s in sources} if sources else {"'none'"}
    return parsed


def parse_csp_meta(policies: list[str]) -> ParsedCsp:
    parsed = parse_csp(policies)
    for name in DISALLOWED_IN_META:
        parsed.directives.pop(name, None)
    return parsed


def split_policies(values: list[str]) -> list[str]:
    """Header values (or meta contents) → policies: every comma separates two (CSP3 §2.2)."""
    return [js_trim(p) for v in values for p in v.split(",")]


@dataclass(frozen=True)
class CspOutcome:
    result: str
    # The combined policy (directive → sorted sources); None when not implemented or unparseable.
    data: dict[str, tuple[str, ...]] | None = None
    policies: int = 0
    http: bool = False
    meta: bool = False
    strict_dynamic: bool = False


def _first(*candidates: set[str] | None) -> set[str]:
    return next(c for c in candidates if c is not None)


def _has_nonce_or_hash(sources: set[str]) -> bool:
    return any(s.startswith(NONCES_HASHES) for s in sources)


def csp_test(header_values: list[str], meta_values: list[str], report_only: str | None, https: bool) -> CspOutcome:
    """The content-security-policy test on the graded response (https: the scan's session URL)."""
    http_policies = split_policies(header_values)
    meta_policies = split_policies(meta_values)
    count = len(http_policies) + len(meta_policies)
    try:
        csp = parse_csp(http_policies + meta_policies)
    except CspInvalid:
        return CspOutcome("csp-header-invalid", policies=count)
    try:
        header_only = parse_csp(http_policies)
    except CspInvalid:
        header_only = ParsedCsp()
    try:
        meta_csp = parse_csp_meta(meta_policies)
    except CspInvalid:
        meta_csp = ParsedCsp()
    if len(header_only) + len(meta_csp) == 0:
        result = "csp-not-implemented-but-reporting-enabled" if report_only else "csp-not-implemented"
        return CspOutcome(result, policies=count)

    result: str | None = None  # type: ignore[no-redef]
    default = csp.get("default-src")
    # The same set objects as the parsed policy: what is removed below is removed for every alias.
    object_src = _first(csp.get("object-src"), default, {"*"})
    script_src = _first(csp.get("script-src"), default, {"*"})
    style_src = _first(csp.get("style-src"), default, {"*"})
    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources) and "'unsafe-inline'" in sources:
            sources.discard("'unsafe-inline'")
    strict_dynamic = False
    if _has_nonce_or_hash(script_src) and "'strict-dynamic'" in script_src:
        for source in list(script_src):
            if source.startswith(tuple(DANGEROUSLY_BROAD)) or source in ("'self'", "'unsafe-inline'"):
                script_src.discard(source)
        strict_dynamic = True
    elif "'strict-dynamic'" in script_src:
        result = "csp-header-invalid"

    active = [s for name, sources in csp.directives.items()
              if name not in PASSIVE_DIRECTIVES and name != "script-src" for s in sources]
    active += list(script_src)
    passive = [s for name in PASSIVE_DIRECTIVES for s in _first(csp.get(name), csp.get("default-src"), set())]

    def worse(candidate: str) -> None:
        nonlocal result
        if result is None:
            result = candidate

    if script_src & BROAD_OR_INLINE or object_src & DANGEROUSLY_BROAD:
        worse("csp-implemented-with-unsafe-inline")
    if https and any(s.startswith(("http:", "ftp:")) for s in active):
        worse("csp-implemented-with-insecure-scheme")
    if "'unsafe-eval'" in script_src | style_src:
        worse("csp-implemented-with-unsafe-eval")
    if https and any(s.startswith(("http:", "ftp:")) for s in passive):
        worse("csp-implemented-with-insecure-scheme-in-passive-content-only")
    if style_src & BROAD_OR_INLINE:
        worse("csp-implemented-with-unsafe-inline-in-style-src-only")
    default = csp.get("default-src")
    if default is not None and default == {"'none'"}:
        worse("csp-implemented-with-no-unsafe-default-src-none")
    else:
        worse("csp-implemented-with-no-unsafe")
    assert result is not None
    passing = ("csp-implemented-with-no-unsafe", "csp-implemented-with-no-unsafe-default-src-none",
               "csp-implemented-with-unsafe-inline-in-style-src-only",
               "csp-implemented-with-insecure-scheme-in-passive-content-only")
    if result in passing and csp.duplicates:
        result = "csp-implemented-but-duplicate-directives"
    data = {name: tuple(sorted(sources)) for name, sources in csp.directives.items()}
    return CspOutcome(result, data, count, bool(http_policies), bool(meta_policies), strict_dynamic)

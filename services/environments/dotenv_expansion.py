"""dotenv-expand 10.0.0's expansion of ``$`` references (``expand({parsed})``, as Next.js calls it), within
the console's bounds, and the usual ``${...}`` reading beside it, to tell where dotenv-expand 10 is broken.

Expansion is bounded (substitutions per value, growth per value, total size and work) so that a small
file of nested references cannot take minutes or gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from services.environments.dotenv_syntax import js_key_order

# dotenv-expand 10.0.0's reference, anchored where its search can only ever match.
_REF = re.compile(r"\$\{?([\w]+)(?::-([^}\\]*))?\}?", re.ASCII)

# Names every JavaScript object inherits from Object.prototype. dotenv-expand looks names up with
# obj[name], so `$toString` finds a built-in function, which String#replace then calls; and Next.js never
# sets a variable of such a name. The console refuses them rather than model that.
JS_BUILTIN_NAMES = frozenset({
    "constructor", "__defineGetter__", "__defineSetter__", "hasOwnProperty", "__lookupGetter__",
    "__lookupSetter__", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf", "__proto__",
    "toLocaleString"})

# Bounds on expansion. dotenv-expand recurses once per substitution (Node gives up near 10,000).
MAX_SUBSTITUTIONS = 1000          # per value
MAX_VALUE_GROWTH = 1024 * 1024    # characters a value may gain by expansion
TOTAL_SLACK = 16 * 1024 * 1024    # all values together may exceed the file's size by this much
WORK_FACTOR = 64                  # characters scanned while expanding, per character of the file


# --- dotenv-expand 10.0.0 ---------------------------------------------------------------------------


class ExpansionRunaway(Exception):
    """dotenv-expand would not finish (a cycle) or would grow beyond the console's bounds."""

    def __init__(self, key: str, why: Literal["steps", "size", "total", "work", "builtin"]) -> None:
        super().__init__(key, why)
        self.key = key
        self.why = why


def _last_unescaped_dollar(s: str) -> int:
    i = s.rfind("$")
    while i > 0 and s[i - 1] == "\\":
        i = s.rfind("$", 0, i)
    return i


def _substitution(replacement: str, s: str, position: int, matched: str) -> str:
    """JavaScript's GetSubstitution for String#replace(string, string): $$, $&, $` and $' are special."""
    if "$" not in replacement:
        return replacement
    out: list[str] = []
    i = 0
    n = len(replacement)
    while i < n:
        c = replacement[i]
        if c == "$" and i + 1 < n:
            nxt = replacement[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "&":
                out.append(matched)
                i += 2
                continue
            if nxt == "`":
                out.append(s[:position])
                i += 2
                continue
            if nxt == "'":
                out.append(s[position + len(matched):])
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


class _Budget:
    def __init__(self, text_size: int) -> None:
        self.work_left = WORK_FACTOR * text_size + TOTAL_SLACK
        self.total_left = text_size + TOTAL_SLACK


def _interpolate(value: str, key: str, environ: Mapping[str, str], parsed: Mapping[str, str],
                 budget: _Budget) -> str:
    """dotenv-expand 10's _interpolate, iteratively and within bounds (same result where it finishes)."""
    if "$" not in value:
        return value
    s = value
    limit = len(value) + MAX_VALUE_GROWTH
    for _ in range(MAX_SUBSTITUTIONS + 1):
        i = _last_unescaped_dollar(s)
        if i < 0:
            return s
        match = _REF.match(s, i)
        if match is None:
            return s
        group, name, default = match.group(0), match.group(1), match.group(2)
        if name in JS_BUILTIN_NAMES and name not in environ:
            raise ExpansionRunaway(key, "builtin")
        replacement = environ.get(name) or default or parsed.get(name) or ""
        j = s.find(group)
        budget.work_left -= len(s) + len(replacement)
        if budget.work_left < 0:
            raise ExpansionRunaway(key, "work")
        s = s[:j] + _substitution(replacement, s, j, group) + s[j + len(group):]
        if len(s) > limit:
            raise ExpansionRunaway(key, "size")
    raise ExpansionRunaway(key, "steps")


def dotenv_expand(parsed: Mapping[str, str], environ: Mapping[str, str] | None = None,
                  *, text_size: int | None = None) -> dict[str, str]:
    """``expand({parsed})`` of dotenv-expand 10.0.0 with ``process.env`` = ``environ`` (empty by default).

    Raises :class:`ExpansionRunaway` where dotenv-expand never finishes (Next.js then skips the file) or
    where the result would pass the console's bounds.
    """
    env = dict(environ or {})
    out = dict(parsed)
    budget = _Budget(text_size if text_size is not None else sum(len(k) + len(v) + 2 for k, v in parsed.items()))
    for key in js_key_order(list(out)):
        start = env[key] if key in env else out[key]
        expanded = _interpolate(start, key, env, out, budget)
        out[key] = expanded.replace("\\$", "$") if "$" in expanded else expanded
        budget.total_left -= len(out[key])
        if budget.total_left < 0:
            raise ExpansionRunaway(key, "total")
    return out


# --- the usual reading of references, to tell where dotenv-expand 10 is broken ---------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)


class _Unclear(Exception):
    pass


def _usual_expand(value: str, lookup: object) -> str:
    """POSIX-like reading: ``\\$`` is ``$``; $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, nested."""
    get = lookup  # (name) -> str | None
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if c == "\\" and i + 1 < n and value[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if c != "$":
            out.append(c)
            i += 1
            continue
        if i + 1 < n and value[i + 1] == "{":
            name_match = _NAME.match(value, i + 2)
            if name_match:
                j = name_match.end()
                name = name_match.group(0)
                if j < n and value[j] == "}":
                    out.append(get(name) or "")  # type: ignore[operator]
                    i = j + 1
                    continue
                op = ":-" if value.startswith(":-", j) else "-" if value.startswith("-", j) else ""
                if op:
                    depth, k = 1, j + len(op)
                    while k < n and depth:
                        depth += {"{": 1, "}": -1}.get(value[k], 0)
                        k += 1
                    if depth == 0:
                        default = value[j + len(op): k - 1]
                        current = get(name)  # type: ignore[operator]
                        use_default = (not current) if op == ":-" else current is None
                        out.append(_usual_expand(default, lookup) if use_default else current)
                        i = k
                        continue
            out.append("$")
            i += 1
            continue
        name_match = _NAME.match(value, i + 1)
        if name_match:
            out.append(get(name_match.group(0)) or "")  # type: ignore[operator]
            i = name_match.end()
            continue
        out.append("$")
        i += 1
    return "".join(out)


def usual_reading(parsed: Mapping[str, str], environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Each value as the usual ${...} rules read it (None where that reading is circular or too large)."""
    env = dict(environ or {})
    done: dict[str, str | None] = {}
    active: set[str] = set()

    def resolve(name: str) -> str | None:
        if name in env:
            return env[name]
        if name not in parsed:
            return None
        if name in done:
            value = done[name]
            if value is None:
                raise _Unclear
            return value
        if name in active:
            raise _Unclear
        if "$" not in parsed[name]:
            done[name] = parsed[name]
            return parsed[name]
        active.add(name)
        try:
            value = _usual_expand(parsed[name], resolve)
            if len(value) > len(parsed[name]) + MAX_VALUE_GROWTH:
                raise _Unclear
        finally:
            active.discard(name)
        done[name] = value
        return value

    result: dict[str, str | None] = {}
    for key in parsed:
        try:
            result[key] = resolve(key)
        except (_Unclear, RecursionError):
            done[key] = None
            result[key] = None
    return result


_REFERENCE = re.compile(r"(?<!\\)\$\{?([\w]+)", re.ASCII)


def references(value: str) -> list[str]:
    """Names dotenv-expand would look up in a value (unescaped ``$name`` / ``${name...``), in order."""
    names: list[str] = []
    if "$" not in value:
        return names
    for match in _REFERENCE.finditer(value):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def find_cycle(start: str, parsed: Mapping[str, str]) -> list[str] | None:
    """A chain of references from ``start`` back to a key already on it (``A → B → A``), if any."""
    path: list[str] = []
    on_path: set[str] = set()
    finished: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in on_path:
            return [*path[path.index(name):], name]
        if name in finished or name not in parsed:
            return None
        path.append(name)
        on_path.add(name)
        for ref in references(parsed[name]):
            found = visit(ref)
            if found:
                return found
        path.pop()
        on_path.discard(name)
        finished.add(name)
        return None

    try:
        return visit(start)
    except RecursionError:
        return None

"""A parser for real-world ``.env`` files.

Understands what dotenv tools in the wild accept: ``#`` comments (whole lines, and after an unquoted
value when preceded by a space), an optional ``export`` prefix, single quotes (literal, no
expansion), double quotes (``\\n \\t \\r \\" \\\\ \\$`` escapes and ``${VAR}`` expansion), values
spanning lines inside either quote, ``$VAR`` / ``${VAR}`` / ``${VAR:-default}`` references to
earlier variables of the same file, a UTF-8 BOM and CRLF line ends. A duplicate key keeps its last
value and says so in a warning.

Values are secrets more often than not: they never appear in an error, a warning or a ``repr``.
Every rejection names the line (and the key, where there is one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.errors import ConfigError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_REF = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$", "'": "'", "`": "`"}


class DotenvError(ConfigError):
    """A ``.env`` file cannot be read. Names the file and the line; never quotes a value."""

    title = "The .env file cannot be read"

    def __init__(self, message: str, *, source: str, line: int, key: str | None = None,
                 hint: str | None = None) -> None:
        where = f"{source}, line {line}" + (f" ({key})" if key else "")
        super().__init__(f"{where}: {message}", hint=hint)
        self.source = source
        self.line = line
        self.key = key


@dataclass(frozen=True)
class DotenvWarning:
    line: int
    key: str
    message: str

    def sentence(self) -> str:
        return f"line {self.line} ({self.key}): {self.message}"


@dataclass(frozen=True)
class DotenvEntry:
    key: str
    value: str = field(repr=False)
    line: int


@dataclass
class DotenvFile:
    """The parsed file: the last value of each key (in first-seen order), and what looked odd."""

    source: str
    entries: dict[str, DotenvEntry] = field(default_factory=dict)
    warnings: list[DotenvWarning] = field(default_factory=list)

    def values(self) -> dict[str, str]:
        return {k: e.value for k, e in self.entries.items()}

    def line_of(self, key: str) -> int | None:
        entry = self.entries.get(key)
        return entry.line if entry else None

    def __repr__(self) -> str:
        return f"DotenvFile(source={self.source!r}, keys={list(self.entries)!r}, warnings={len(self.warnings)})"


class _Cursor:
    """The text as lines, consumed left to right; knows the current line number."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.index = 0

    @property
    def lineno(self) -> int:
        return self.index + 1

    def done(self) -> bool:
        return self.index >= len(self.lines)

    def take(self) -> str:
        line = self.lines[self.index]
        self.index += 1
        return line


def parse_dotenv(text: str, *, source: str = ".env", environ: Mapping[str, str] | None = None) -> DotenvFile:
    """Parse ``text``; raise :class:`DotenvError` naming the line on anything it cannot read.

    ``environ`` is what ``${VAR}`` may refer to besides the file's own earlier variables (nothing by
    default: an import must not pick up the console's own process environment by accident).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DotenvError("contains a NUL byte; this is not a text .env file", source=source, line=line)
    result = DotenvFile(source)
    known: dict[str, str] = dict(environ or {})
    cursor = _Cursor(text)
    while not cursor.done():
        start = cursor.lineno
        raw = cursor.take()
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        body = stripped
        if body.startswith("export ") or body.startswith("export\t"):
            body = body[len("export"):].lstrip()
        match = _KEY.match(body)
        if not match:
            raise DotenvError(
                "expected NAME=value; a name starts with a letter or '_' and holds letters, digits, "
                "'_', '.' or '-'",
                source=source, line=start)
        key = match.group(0)
        rest = body[match.end():].lstrip(" \t")
        if not rest.startswith("="):
            if stripped.startswith("export") and not rest:
                # "export NAME" on its own marks an earlier variable for export: nothing to set.
                continue
            raise DotenvError("has no '=' after the name", source=source, line=start, key=key,
                              hint="Write NAME=value; quote values that contain spaces")
        value = _read_value(rest[1:].lstrip(" \t"), cursor, source=source, start=start, key=key,
                            known=known, warnings=result.warnings)
        previous = result.entries.get(key)
        if previous is not None:
            result.warnings.append(DotenvWarning(
                start, key, f"set again (first on line {previous.line}); the last value wins"))
            del result.entries[key]
        result.entries[key] = DotenvEntry(key, value, start)
        known[key] = value
    return result


def _read_value(text: str, cursor: _Cursor, *, source: str, start: int, key: str, known: dict[str, str],
                warnings: list[DotenvWarning]) -> str:
    if text[:1] in ("'", '"', "`"):
        quote = text[0]
        content, after = _read_quoted(text[1:], quote, cursor, source=source, start=start, key=key)
        trailing = after.strip()
        if trailing and not trailing.startswith("#"):
            raise DotenvError(f"has text after the closing {quote} quote", source=source, line=cursor.lineno - 1,
                              key=key,
                              hint="Put the whole value inside the quotes, or start a comment with ' #'")
        if quote == "'":
            return content
        return _expand(_unescape(content) if quote == '"' else content, key=key, line=start, known=known,
                       warnings=warnings)
    # Unquoted: up to a " #" comment; surrounding spaces dropped.
    if text.startswith("#"):
        warnings.append(DotenvWarning(start, key, "the value starts with '#', so it was read as a comment "
                                      "and the value is empty; quote it if '#' belongs to the value"))
        return ""
    value = re.split(r"\s#", text, maxsplit=1)[0].strip()
    if value[:1] in ("'", '"'):
        raise DotenvError("has an unbalanced quote", source=source, line=start, key=key)
    return _expand(value, key=key, line=start, known=known, warnings=warnings)


def _read_quoted(text: str, quote: str, cursor: _Cursor, *, source: str, start: int, key: str
                 ) -> tuple[str, str]:
    """Content up to the matching unescaped quote (across lines); returns (content, rest of line)."""
    parts: list[str] = []
    current = text
    while True:
        i = 0
        while i < len(current):
            char = current[i]
            if char == "\\" and quote == '"' and i + 1 < len(current):
                i += 2
                continue
            if char == quote:
                parts.append(current[:i])
                return "\n".join(parts), current[i + 1:]
            i += 1
        parts.append(current)
        if cursor.done():
            raise DotenvError(f"the {quote} quote opened here is never closed", source=source, line=start,
                              key=key, hint="Close the quote; values may span lines only inside quotes")
        current = cursor.take()


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                # Keep "\$" as a marker so that expansion skips it; restored below.
                out.append("\x00$" if nxt == "$" else _ESCAPES[nxt])
                i += 2
                continue
            if nxt == "\n":  # a backslash at the end of a line joins the lines
                i += 2
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _expand(value: str, *, key: str, line: int, known: Mapping[str, str], warnings: list[DotenvWarning]
            ) -> str:
    def replace(match: re.Match[str]) -> str:
        start = match.start()
        if start > 0 and value[start - 1] == "\x00":
            return match.group(0)
        ref = match.group("braced") if match.group("braced") is not None else match.group("bare")
        name, default = ref, None
        for op in (":-", "-"):
            if op in ref:
                name, default = ref.split(op, 1)
                break
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name or ""):
            warnings.append(DotenvWarning(line, key, "has a ${...} reference that is not a variable name; "
                                          "kept as written"))
            return match.group(0)
        if name in known and (known[name] or default is None):
            return known[name]
        if default is not None:
            return default
        warnings.append(DotenvWarning(line, key, f"refers to ${{{name}}}, which is not set above; "
                                      "it was replaced by nothing"))
        return ""

    if "$" not in value:
        return value.replace("\x00$", "$")
    return _REF.sub(replace, value).replace("\x00$", "$")

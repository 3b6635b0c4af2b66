"""``.env`` files read exactly as Next.js reads them, with the console's own refusals on top.

Next.js loads ``.env`` with ``@next/env``, which bundles **dotenv 16.3.1** (``parse``) and
**dotenv-expand 10.0.0** (``expand({parsed})``, default options). This module reproduces both, quirks
included, so that the value the console imports is the value the platform will run with (dotenv's line
grammar is in ``dotenv_syntax``, dotenv-expand and the bounds on expansion in ``dotenv_expansion``):

- an unquoted value ends at the first ``#`` (``https://x/app#part`` is ``https://x/app``);
- in double quotes only ``\\n`` and ``\\r`` are escapes; other backslashes stay;
- every value is expanded, single-quoted ones too; ``\\$`` outside any quote is a literal ``$``;
- references are expanded right to left, forward references resolve, the last definition wins.

Where dotenv-expand 10 is itself broken (``${A:-d}`` ignores a set ``A``, ``${X-d}``, ``$ONE$TWO``,
``$5``, ...) the reading is still Next's, and a warning says so. A self-reference or a cycle makes
Next.js skip the whole file; the console refuses such a file, as it refuses what dotenv silently
skips or misreads (a line without ``=``, an unclosed quote, a NUL byte): every refusal names the line
and never quotes its text, because the text of a ``.env`` line is a secret more often than not.

Expansion is bounded (substitutions per value, growth per value, total size and work) so that a small
file of nested references cannot take minutes or gigabytes; the whole reading is linear in the size
of the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from services.core.errors import ConfigError
from services.environments.dotenv_expansion import (
    JS_BUILTIN_NAMES,
    MAX_SUBSTITUTIONS,
    MAX_VALUE_GROWTH,
    TOTAL_SLACK,
    ExpansionRunaway,
    dotenv_expand,
    find_cycle,
    references,
    usual_reading,
)
from services.environments.dotenv_syntax import (
    EXPORT_ONLY,
    JS_SPACE,
    LINE,
    SPACE,
    LineCounter,
    dotenv_value,
    end_of_line,
    js_trim,
    line_number,
    normalise,
)

NEXT_ENV_REFERENCE = "@next/env (dotenv 16.3.1 + dotenv-expand 10.0.0)"


class DotenvError(ConfigError):
    """A ``.env`` file cannot be read. Names the file and the line; never quotes a value or a line."""

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


Quote = Literal["", "'", '"', "`"]


@dataclass(frozen=True)
class DotenvEntry:
    """One variable: Next's reading (``value``), the text as written (``literal``) and why they differ."""

    key: str
    value: str = field(repr=False)
    line: int
    literal: str = field(default="", repr=False)
    quote: Quote = ""
    reasons: tuple[str, ...] = ()  # how Next's reading differs from the literal text; no part of the value
    # Names dotenv-expand looked up in this value, and those the file does not set. Taken from the value's
    # text, so they are shown only for values that are not secret (in a hash, "$2b" is no name).
    references: tuple[str, ...] = field(default=(), repr=False)
    unset: tuple[str, ...] = field(default=(), repr=False)

    @property
    def differs(self) -> bool:
        return self.value != self.literal

    def reading_note(self, *, secret: bool) -> str:
        """"Next.js will read this as ..." for a value whose reading differs from its text ("" if not).

        A secret's reading is never shown: the note says how it differs (length, what changed).
        """
        if not self.differs:
            return ""
        reasons = list(self.reasons)
        if self.references and secret:
            unset = f", {len(self.unset)} of them not set in this file" if self.unset else ""
            reasons.append(f"{len(self.references)} $-reference(s) replaced{unset}")
        elif self.references:
            unset = (f"; {', '.join(self.unset)} not set in this file: empty unless the build machine's "
                     "environment has it") if self.unset else ""
            reasons.append("references replaced: " + ", ".join(f"${n}" for n in self.references) + unset)
        why = "; ".join(reasons)
        if secret:
            return (f"Next.js will read a different value than the text in the file: {len(self.value)} "
                    f"character(s) instead of {len(self.literal)}" + (f" ({why})" if why else ""))
        return f"Next.js will read this as {shown_value(self.value)}" + (f" ({why})" if why else "")


def shown_value(value: str, limit: int = 80) -> str:
    """A non-secret value for a sentence: quoted, escapes visible, long ones shortened."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…'"


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


# --- the console's reading: structure, refusals, notes ---------------------------------------------


def _refuse_line(body: str, *, source: str, line: int) -> DotenvError:
    """Why dotenv would skip this line, in words that never repeat the line's text."""
    stripped = body.strip(JS_SPACE)
    head = stripped.split("=", 1)[0]
    if head.startswith("export") and head[6:7] in tuple(JS_SPACE):
        head = head[6:].strip(JS_SPACE)
    if "=" not in stripped:
        return DotenvError(
            "has no '=' (each line must be NAME=value; the line's text is not shown, it may be a secret)",
            source=source, line=line, hint="Write NAME=value, or start the line with '#' to make it a comment")
    if not head.strip(JS_SPACE):
        return DotenvError("has no name before '='", source=source, line=line, hint="Write NAME=value")
    for column, char in enumerate(head, start=1):
        if not char.isascii():
            return DotenvError(
                f"the name holds a character Next.js does not accept in a name (U+{ord(char):04X}, column "
                f"{column}); Next.js would skip this line",
                source=source, line=line,
                hint="Names may hold only ASCII letters, digits, '_', '.' and '-'")
    return DotenvError(
        "the name before '=' holds a character Next.js does not accept (a space, or a symbol); Next.js would "
        "skip this line", source=source, line=line,
        hint="Names may hold only ASCII letters, digits, '_', '.' and '-'")


def _refuse_quote(text: str, quote_pos: int, *, source: str, line: int, key: str) -> DotenvError:
    quote = text[quote_pos]
    line_end = end_of_line(text, quote_pos)
    nxt = text.find(quote, quote_pos + 1)
    if nxt == -1:
        return DotenvError(f"the {quote} quote opened here is never closed", source=source, line=line, key=key,
                           hint="Close the quote; values may span lines only inside quotes")
    if nxt < line_end:
        return DotenvError(f"has text after the closing {quote} quote", source=source, line=line, key=key,
                           hint="Put the whole value inside the quotes, or start a comment with ' #'")
    later = line_number(text, nxt)
    return DotenvError(
        f"the {quote} quote opened here is not closed on this line; the next {quote} is on line {later}, and text "
        f"follows it there, so Next.js would keep this value as written, quote and all",
        source=source, line=line, key=key,
        hint=f"Close the quote on line {line} (or on line {later}, with nothing after it but a comment)")


_COMMENT_START = re.compile(SPACE + "#")


def _literal_unquoted(text: str, start: int) -> str:
    """The value as most people read an unquoted value: up to a ' #' comment, trimmed."""
    end = end_of_line(text, start)
    rest = text[start:end]
    cut = _COMMENT_START.search(rest) if "#" in rest else None
    return js_trim(rest[: cut.start()] if cut else rest)


def parse_dotenv(text: str, *, source: str = ".env", environ: Mapping[str, str] | None = None) -> DotenvFile:
    """Read ``text`` as Next.js does; raise :class:`DotenvError` naming the line where the console refuses.

    ``environ`` is Next's ``process.env`` at load time (nothing by default: an import must not pick up
    the console's own process environment by accident).
    """
    text = normalise(text)
    if "\x00" in text:
        raise DotenvError("contains a NUL byte; this is not a text .env file", source=source,
                          line=line_number(text, text.index("\x00")))
    result = DotenvFile(source)
    raw: dict[str, str] = {}
    meta: dict[str, tuple[int, str, Quote, list[str]]] = {}
    first_line: dict[str, int] = {}
    line_at = LineCounter(text)
    pos = 0  # always the start of a line
    size = len(text)
    while pos < size:
        line_start, line_end = pos, end_of_line(text, pos)
        body = text[line_start:line_end]
        stripped = body.strip(JS_SPACE)
        if not stripped or stripped.startswith("#") or EXPORT_ONLY.match(body):
            pos = line_end + 1
            continue
        match = LINE.match(text, line_start)
        if match is None:
            raise _refuse_line(body, source=source, line=line_at(line_start))
        key = match.group(1)
        key_line = line_at(match.start(1))
        prefix = text[line_start:match.start(1)]
        if "\ufeff" in prefix and line_start + prefix.index("\ufeff") > 0:
            raise DotenvError(
                "starts with an invisible byte-order mark (U+FEFF), which belongs only at the very start of a "
                "file; Next.js skips it, other tools read it as part of the name",
                source=source, line=key_line,
                hint="This usually comes from joining two files; delete the invisible character at the start "
                     "of the line")
        sep = match.group("sep")
        if "\n" in sep or "\n" in prefix:
            raise DotenvError("has no '=' after the name on the same line", source=source,
                              line=key_line, hint="Write NAME=value on one line")
        notes: list[str] = []
        if sep.strip(JS_SPACE).startswith(":"):
            result.warnings.append(DotenvWarning(key_line, key, "is written 'NAME: value'; Next.js reads it as "
                                                 "NAME=value, but most other tools do not: write NAME=value"))
        quote: Quote = ""
        literal = ""
        group_name = next((g for g in ("sq", "dq", "bq", "uq") if match.group(g) is not None), None)
        if group_name in ("sq", "dq", "bq"):
            value_text = match.group(group_name)
            lead = len(value_text) - len(value_text.lstrip(JS_SPACE))
            if "\n" in value_text[:lead]:
                raise DotenvError(
                    f"the value is empty on this line, but Next.js takes the quoted text on line "
                    f"{line_number(text, match.start(group_name) + lead)} as its value",
                    source=source, line=key_line, key=key, hint="Put the quoted value on the same line as NAME=")
            quote = value_text[lead]  # type: ignore[assignment]
            literal = value_text[lead + 1:-1]
            if "\n" in literal:
                inner = literal.split("\n")[1:]
                if any(re.match(SPACE + "*(?:export" + SPACE + "+)?[A-Za-z_][\\w.-]*" + SPACE + "*=", ln, re.ASCII)
                       for ln in inner):
                    result.warnings.append(DotenvWarning(
                        key_line, key,
                        f"the {quote} quote opened here closes only on line {key_line + len(inner)}: the lines "
                        f"between, which look like NAME=value, are part of this value, and Next.js reads them so"))
            if quote == '"' and ("\\n" in literal or "\\r" in literal):
                notes.append("\\n and \\r inside double quotes become line breaks")
            if quote == "'" and "$" in literal:
                notes.append("single quotes do not stop ${...} expansion in Next.js")
        elif group_name == "uq":
            value_text = match.group("uq")
            stripped_value = value_text.lstrip(JS_SPACE)
            if stripped_value[:1] in ("'", '"', "`"):
                quote_pos = match.start("uq") + (len(value_text) - len(stripped_value))
                raise _refuse_quote(text, quote_pos, source=source, line=key_line, key=key)
            literal = _literal_unquoted(text, match.start("uq"))
        else:
            literal = _literal_unquoted(text, match.end("sep"))
        value = dotenv_value(match.group("value") or "")
        if not quote and literal != value and "#" in literal:
            notes.append("an unquoted value ends at '#' in Next.js; quote the value to keep the rest")
        if key in JS_BUILTIN_NAMES:
            raise DotenvError(
                "is a name every JavaScript object already has, so Next.js never sets it", source=source,
                line=key_line, key=key, hint="Rename the variable")
        builtin = next((n for n in references(value) if n in JS_BUILTIN_NAMES), None)
        if builtin:
            raise DotenvError(
                f"refers to ${builtin}, which Next.js reads as JavaScript's built-in {builtin}, not a variable",
                source=source, line=key_line, key=key, hint="Rename the variable, or escape the $ as \\$")
        if key in first_line:
            result.warnings.append(DotenvWarning(
                key_line, key, f"set again (first on line {first_line[key]}); the last value wins"))
        else:
            first_line[key] = key_line
        raw[key] = value
        meta[key] = (key_line, literal, quote, notes)
        # A match ends at an end of line (perhaps after more lines: a quoted value, a comment).
        pos = end_of_line(text, match.end()) + 1

    try:
        expanded = dotenv_expand(raw, environ, text_size=len(text))
    except ExpansionRunaway as runaway:
        raise _runaway_error(runaway, raw, meta, source) from None
    usual = usual_reading(raw, environ)
    env = dict(environ or {})
    for key in raw:
        line, literal, quote, notes = meta[key]
        value = expanded[key]
        reasons = list(notes)
        names = references(raw[key])
        if "\\$" in raw[key]:
            reasons.append("\\$ is read as $")
        unset = tuple(n for n in names if n not in raw and n not in env)
        _broken_expand_warnings(result, key, line, raw, value, usual.get(key), env)
        differs = value != literal
        result.entries[key] = DotenvEntry(key, value, line, literal, quote, tuple(reasons) if differs else (),
                                          tuple(names) if differs else (), unset if differs else ())
    return result


def _broken_expand_warnings(result: DotenvFile, key: str, line: int, raw: Mapping[str, str], value: str,
                            usual: str | None, env: Mapping[str, str]) -> None:
    """Warnings where dotenv-expand 10 reads references differently from the usual rules. No values."""
    text = raw[key]
    if "$" not in text or usual is None or usual == value:
        return
    # The sentences name no part of the value: it may be a secret (a bcrypt hash's "$2b" is no name).
    reasons: list[str] = []
    if any(raw.get(m.group(1)) or env.get(m.group(1))
           for m in re.finditer(r"(?<!\\)\$\{(\w+):-", text, re.ASCII)):
        reasons.append("a ${NAME:-default} takes its default although NAME is set in this file "
                       "(dotenv-expand 10 uses any default first)")
    if re.search(r"(?<!\\)\$\{\w+-", text, re.ASCII):
        reasons.append("a ${NAME-default} is not understood: dotenv-expand 10 reads ${NAME and keeps "
                       "'-default}' as text")
    if re.search(r"(?<!\\)\$\{?[A-Za-z_]\w*\}?(?=\$)", text, re.ASCII):
        reasons.append("a reference followed directly by another ($ONE$TWO): dotenv-expand 10 expands the "
                       "right one first and then reads the joined name")
    if re.search(r"(?<!\\)\$\{?[0-9]", text, re.ASCII):
        reasons.append("a $ followed by a digit ($5, $2b) is read as a reference to a variable of that name "
                       "(escape the $ as \\$ to keep it)")
    if not reasons:
        reasons.append("dotenv-expand 10 expands references in its own way here")
    lengths = (f". Next.js's reading is {len(value)} character(s) long, the usual one {len(usual)}"
               if len(value) != len(usual) else "")
    result.warnings.append(DotenvWarning(
        line, key, "Next.js reads this value differently from the usual ${...} rules: " + "; ".join(reasons)
        + lengths))


def _runaway_error(runaway: ExpansionRunaway, raw: Mapping[str, str],
                   meta: Mapping[str, tuple[int, str, Quote, list[str]]], source: str) -> DotenvError:
    key = runaway.key
    line = meta[key][0] if key in meta else 1
    cycle = find_cycle(key, raw)
    if cycle and runaway.why in ("steps", "size", "work"):
        chain = " → ".join(cycle)
        return DotenvError(
            f"refers to itself ({chain}): dotenv-expand 10 would expand it forever, Node.js stops it, and Next.js "
            "then skips every variable of this file. The file was not imported",
            source=source, line=line, key=key,
            hint="Break the loop (escape a $ as \\$ where it is meant literally)")
    if runaway.why == "builtin":
        return DotenvError("expands to a reference to one of JavaScript's built-in names (such as $toString), "
                           "which Next.js does not read as a variable", source=source, line=line, key=key,
                           hint="Escape the $ as \\$ where it is meant literally")
    if runaway.why == "steps":
        what = f"needs more than {MAX_SUBSTITUTIONS:,} substitutions (references nested too deep)"
    elif runaway.why == "size":
        what = f"grows by more than {MAX_VALUE_GROWTH // 1024:,} KiB through nested references"
    elif runaway.why == "total":
        what = (f"brings the file's expanded values to more than {TOTAL_SLACK // (1024 * 1024)} MiB beyond "
                "the file's own size")
    else:
        what = "takes too much work to expand (too many references, or references nested too deep)"
    return DotenvError(f"{what}; the file was not imported", source=source, line=line, key=key,
                       hint="A .env file this size does not need references this deep; check where it came from")

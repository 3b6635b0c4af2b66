"""dotenv 16.3.1's reading of a ``.env`` file (its ``parse``), and where its lines begin and end.

The line grammar is dotenv's regular expression translated from JavaScript (its ``\\s``, and ``^`` and
``$`` under the m flag). ``dotenv_parse`` is the reference reading, skipping silently what dotenv skips;
the console's own reading, with its refusals, is ``dotenv_parser.parse_dotenv``.
"""

from __future__ import annotations

import re

# JavaScript's \s (WhiteSpace + LineTerminator): what dotenv's regular expressions and String#trim see.
JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000\ufeff"
SPACE = "[" + JS_SPACE.replace("\\", "\\\\") + "]"
_LT = "[\n\r\u2028\u2029]"
_BOL = f"(?:^|(?<={_LT}))"  # JavaScript's ^ under the m flag
EOL = f"(?={_LT}|\\Z)"     # JavaScript's $ under the m flag

# dotenv 16.3.1's LINE, translated: the four value alternatives are named so that we know which matched.
LINE = re.compile(
    _BOL + SPACE + "*(?:export" + SPACE + "+)?([\\w.-]+)(?P<sep>" + SPACE + "*=" + SPACE + "*?|:" + SPACE + "+?)"
    "(?P<value>(?P<sq>" + SPACE + "*'(?:\\\\'|[^'])*')|(?P<dq>" + SPACE + "*\"(?:\\\\\"|[^\"])*\")"
    "|(?P<bq>" + SPACE + "*`(?:\\\\`|[^`])*`)|(?P<uq>[^#\r\n]+))?"
    + SPACE + "*(?:#[^\n\r\u2028\u2029]*)?" + EOL,
    re.ASCII)
_STRIP_QUOTES = re.compile(_BOL + "(['\"`])([\\s\\S]*)\\1" + EOL)


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def js_trim(value: str) -> str:
    return value.strip(JS_SPACE)


def dotenv_value(raw: str) -> str:
    """dotenv's treatment of the matched value: trim, strip matching quotes, \\n and \\r in double quotes."""
    value = js_trim(raw)
    first = value[:1]
    value = _STRIP_QUOTES.sub(lambda m: m.group(2), value)
    if first == '"':
        value = value.replace("\\n", "\n").replace("\\r", "\r")
    return value


def dotenv_parse(text: str) -> dict[str, str]:
    """``dotenv.parse`` of dotenv 16.3.1, silently skipping what it skips (the reference reading)."""
    out: dict[str, str] = {}
    for match in LINE.finditer(normalise(text)):
        key = match.group(1)
        if key == "__proto__":
            continue  # obj["__proto__"] = "..." sets nothing in JavaScript
        out[key] = dotenv_value(match.group("value") or "")
    return out


def js_key_order(keys: list[str]) -> list[str]:
    """The order of a JavaScript object's keys: array indices ascending, then insertion order."""
    def is_index(key: str) -> bool:
        return key.isdigit() and key.isascii() and (key == "0" or not key.startswith("0")) and int(key) < 2**32 - 1
    indices = sorted((k for k in keys if is_index(k)), key=int)
    return indices + [k for k in keys if not is_index(k)]


# --- lines and positions (JavaScript's line terminators) -------------------------------------------


def line_number(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


_LINE_END = re.compile("[\n\u2028\u2029]")


def end_of_line(text: str, pos: int) -> int:
    """Where the (JavaScript) line holding ``pos`` ends; scans only that line."""
    found = _LINE_END.search(text, pos)
    return found.start() if found else len(text)


class LineCounter:
    """Line numbers of increasing positions, counted incrementally (linear over a whole file)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def __call__(self, pos: int) -> int:
        if pos < self.pos:
            return line_number(self.text, pos)
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


# A line that only says `export NAME`: dotenv skips it, and so does the console.
EXPORT_ONLY = re.compile(SPACE + "*export" + SPACE + "+[\\w.-]+" + SPACE + "*" + EOL, re.ASCII)

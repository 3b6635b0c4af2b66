"""The workspace as TOML: schema-versioned, written atomically; a malformed file is reported with its line
and field and is never overwritten."""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import tomli_w

from services.core.atomic_file import write_atomically
from services.core.errors import ConfigError, WorkspaceFileError
from services.core.workspace_checks import FieldProblem as _FieldProblem
from services.core.workspace_model import (
    SCHEMA_VERSION,
    Environment,
    Profile,
    Workspace,
    check_fields,
    profile_note,
    shown_field,
    validate,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# --- (de)serialisation -----------------------------------------------------------------------


def to_dict(ws: Workspace) -> dict[str, Any]:
    def clean(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    data: dict[str, Any] = clean(dataclasses.asdict(ws))
    for name, env in data["environments"].items():
        env.pop("name", None)
        data["environments"][name] = env
    return data


def dumps(ws: Workspace) -> str:
    header = (
        "# Realtor Ops Console workspace. Holds no secrets: those live in the OS keyring.\n"
        f"# schema_version {SCHEMA_VERSION}\n"
        f"# {profile_note(ws.profile)}.\n"
    )
    return header + tomli_w.dumps(to_dict(ws))


_TOML_LINE = re.compile(r"at line (\d+)")


def _line_of(text: str, path: list[str]) -> int | None:
    """Best-effort line number of a dotted field in TOML text (table header, then key)."""
    lines = text.splitlines()
    if not path:
        return None
    # Look for the deepest table header that prefixes the path, then the key under it.
    for cut in range(len(path), 0, -1):
        header_parts = path[:cut]
        header_pattern = re.compile(
            r"^\s*\[\s*" + r"\s*\.\s*".join(f'(?:{re.escape(p)}|"{re.escape(p)}")' for p in header_parts)
            + r"\s*\]\s*(#.*)?$"
        )
        for i, line in enumerate(lines):
            if header_pattern.match(line):
                if cut == len(path):
                    return i + 1
                key = path[cut]
                key_pattern = re.compile(rf'^\s*(?:{re.escape(key)}|"{re.escape(key)}")\s*=')
                for j in range(i + 1, len(lines)):
                    if lines[j].lstrip().startswith("["):
                        break
                    if key_pattern.match(lines[j]):
                        return j + 1
                return i + 1
    key_pattern = re.compile(rf'^\s*(?:{re.escape(path[-1])}|"{re.escape(path[-1])}")\s*=')
    for i, line in enumerate(lines):
        if key_pattern.match(line):
            return i + 1
    # Inline tables, arrays of tables: the first line that mentions the field's name at all.
    word = re.compile(rf'(?:^|[\s.\[{{,"]){re.escape(path[-1])}(?:[\s.\]}}=,"]|$)')
    for i, line in enumerate(lines):
        if word.search(line):
            return i + 1
    return None


def _toml_error_line(text: str, exc: tomllib.TOMLDecodeError) -> int | None:
    """The line of a TOML syntax error. tomllib reports some (a duplicate key, a key without '=') only
    "at end of document"; then the first prefix of the text that fails the same way names the line."""
    found = _TOML_LINE.search(str(exc))
    if found:
        return int(found.group(1))
    lines = text.split("\n")
    if "end of document" not in str(exc) or len(lines) > 2000:
        return None
    message = str(exc).split(" (at", 1)[0]
    for count in range(1, len(lines) + 1):
        try:
            tomllib.loads("\n".join(lines[:count]))
        except tomllib.TOMLDecodeError as prefix_exc:
            if str(prefix_exc).split(" (at", 1)[0] == message:
                return count
    return len(lines)


def _convert(tp: Any, value: Any, path: list[str]) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise _FieldProblem(path, f"expected a table, found {_kind_of(value)}")
        return _from_table(tp, value, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise _FieldProblem(path, f"is not one of: {allowed}") from None
    if origin is dict:
        _key_tp, val_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise _FieldProblem(path, f"expected a table, found {_kind_of(value)}")
        return {str(k): _convert(val_tp, v, [*path, str(k)]) for k, v in value.items()}
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise _FieldProblem(path, f"expected an array, found {_kind_of(value)}")
        return [_convert(item_tp, v, [*path, str(i)]) for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _convert(arg, value, path)
            except _FieldProblem:
                continue
        raise _FieldProblem(path, f"unexpected {_kind_of(value)}")
    if tp is bool:
        if not isinstance(value, bool):
            raise _FieldProblem(path, f"expected true or false, found {_kind_of(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _FieldProblem(path, f"expected a whole number, found {_kind_of(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _FieldProblem(path, f"expected a number, found {_kind_of(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _FieldProblem(path, f"expected a string, found {_kind_of(value)}")
        return value
    return value


_D = TypeVar("_D", bound="DataclassInstance")


def _from_table(cls: type[_D], table: dict[str, Any], path: list[str]) -> _D:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise _FieldProblem([*path, key], "unknown field")
        kwargs[key] = _convert(hints[key], value, [*path, key])
    return cls(**kwargs)


def _kind_of(value: Any) -> str:
    """What a TOML value is, in words; never the value itself (it may be a pasted secret)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time" if hasattr(value, "isoformat") else type(value).__name__


_BOM = "\ufeff"
# tomllib recurses once per nesting level of arrays and inline tables; a hostile file nests thousands deep.
# Refuse far above anything a workspace needs and far below Python's recursion limit.
MAX_NESTING = 64


def _nesting_problem(text: str) -> int | None:
    """The line where brackets/braces nest deeper than MAX_NESTING (outside strings and comments), else None.
    A quick scan so the parser never runs into Python's recursion limit."""
    depth = 0
    line = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "\"'":
            triple = text.startswith(c * 3, i)
            quote = c * 3 if triple else c
            j = i + len(quote)
            while j < n:
                if text[j] == "\\" and c == '"':
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if text[j] == "\n":
                    if not triple:
                        break  # unterminated: the parser will say so; go on counting lines from here
                    line += 1
                j += 1
            i = j if j < n and text[j] == "\n" and not triple else j + len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def loads(text: str, *, path: str = "<workspace>") -> Workspace:
    """Parse workspace TOML; raise WorkspaceFileError naming the line and field on any problem.

    A leading UTF-8 byte order mark (Windows editors write one) is accepted."""
    text = text.removeprefix(_BOM)
    deep = _nesting_problem(text)
    if deep is not None:
        raise WorkspaceFileError(
            f"not valid TOML (arrays or tables nested more than {MAX_NESTING} deep)",
            path=path, line=deep, hint="Fix the file by hand or restore it; it was not changed",
        )
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, MemoryError) as exc:
        # tomllib's messages name the place (line, column), never the offending text.
        reason = str(exc).split(" (at", 1)[0] if isinstance(exc, tomllib.TOMLDecodeError) else "nested too deeply"
        line = _toml_error_line(text, exc) if isinstance(exc, tomllib.TOMLDecodeError) else None
        raise WorkspaceFileError(
            f"not valid TOML ({reason})",
            path=path,
            line=line,
            hint="Fix the file by hand or restore it; it was not changed",
        ) from None
    version = raw.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise WorkspaceFileError(
            f"schema_version {version if isinstance(version, int) else _kind_of(version)} is not one this version "
            "of the console understands "
            f"(it reads 1 to {SCHEMA_VERSION})",
            path=path,
            line=_line_of(text, ["schema_version"]),
            field="schema_version",
            hint="Update the console, or fix the field",
        )
    try:
        envs_raw = raw.get("environments", {})
        if not isinstance(envs_raw, dict):
            raise _FieldProblem(["environments"], "expected a table of environments")
        top = {k: v for k, v in raw.items() if k != "environments"}
        ws = _from_table(Workspace, top, [])
        for name, env_raw in envs_raw.items():
            if not isinstance(env_raw, dict):
                raise _FieldProblem(["environments", name], "expected a table")
            env = _from_table(Environment, {**env_raw, "name": name}, ["environments", name])
            ws.environments[name] = env
        check_fields(ws)
    except _FieldProblem as problem:
        dotted = shown_field(problem.path)
        raise WorkspaceFileError(
            problem.message,
            path=path,
            line=_line_of(text, problem.path),
            field=dotted,
            hint="Fix the field by hand; the file was not changed",
        ) from None
    ws.schema_version = SCHEMA_VERSION
    return ws


def load(path: Path) -> Workspace:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No workspace file at {path}",
            hint="Create one with 'realtor-ops workspace init' (or start the console once), or pass --workspace",
        ) from None
    except UnicodeDecodeError:
        raise WorkspaceFileError("the file is not UTF-8 text", path=str(path)) from None
    except OSError as exc:
        raise WorkspaceFileError(f"cannot be read ({exc.strerror})", path=str(path)) from None
    return loads(text, path=str(path))


def save(ws: Workspace, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, fsync, then rename over the old one."""
    validate(ws)
    text = dumps(ws)
    # Round-trip before writing so that a model bug can never leave an unreadable file behind.
    loads(text, path=str(path))
    write_atomically(path, text)


def create(path: Path, *, name: str = "Realtor platform", profile: Profile = Profile.ADMIN) -> Workspace:
    """A new, empty workspace file at ``path``. Never overwrites: an existing file (or anything else at that
    path) is refused and left as it is."""
    ws = Workspace(name=name, profile=profile)
    validate(ws)
    text = dumps(ws)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: refused when anything exists at the path, a dangling symlink included; no check-then-write race.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ConfigError(f"There is already a workspace at {path}; it was not changed",
                          hint="Pass --workspace with another path, or edit that file") from None
    except OSError as exc:
        raise ConfigError(f"Cannot create a workspace at {path} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ws

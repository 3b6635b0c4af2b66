"""Connection URLs of a ``.env`` (DATABASE_URL, DIRECT_URL, REDIS_URL) split into settings and a password.
A URL that cannot be read is a DotenvError naming the variable and the line, never quoting the URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from services.environments.dotenv_parser import DotenvError

_URL_HINT = "If the password holds @ : / # ? or %, URL-encode it (# is %23, / is %2F, ? is %3F, % is %25)"


def _url_problem(message: str, *, key: str, line: int, source: str) -> DotenvError:
    return DotenvError(message, source=source, line=line, key=key, hint=_URL_HINT)


def _checked_url(value: str, schemes: tuple[str, ...], prefix: str, what: str, example: str, *, key: str,
                 line: int, source: str) -> tuple[SplitResult, int | None]:
    """The URL's parts and port, once its scheme, host and port are known to be usable."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise _url_problem(f"is not a valid {prefix} URL (its host or port cannot be read)",
                           key=key, line=line, source=source) from None
    if parts.scheme.lower() not in schemes:
        raise DotenvError(f"is not {what}", source=source, line=line, key=key, hint=example)
    if parts.fragment:
        raise _url_problem("has a '#' that is not URL-encoded", key=key, line=line, source=source)
    if not parts.hostname:
        raise _url_problem("has no host", key=key, line=line, source=source)
    if port == 0:
        raise DotenvError("has port 0", source=source, line=line, key=key)
    return parts, port


def split_database_url(value: str, *, key: str = "DATABASE_URL", line: int = 0, source: str = ".env"
                       ) -> tuple[dict[str, Any], str | None]:
    """Settings of a postgres:// URL and its password (URL-decoded), or DotenvError naming the line."""
    parts, port = _checked_url(value, ("postgres", "postgresql"), "postgresql://", "a postgresql:// URL",
                               "Write it as postgresql://user:password@host:5432/database",
                               key=key, line=line, source=source)
    name = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if "/" in name:
        raise _url_problem("has a database name with '/' in it", key=key, line=line, source=source)
    query = parse_qsl(parts.query, keep_blank_values=True)
    settings: dict[str, Any] = {
        "host": parts.hostname,
        "port": port or 5432,
        "name": name or "postgres",
        "user": unquote(parts.username) if parts.username else "postgres",
        "sslmode": "prefer",
        "params": {},
    }
    params: dict[str, str] = {}
    for k, v in query:
        if k == "sslmode":
            settings["sslmode"] = v
        else:
            params[k] = v
    settings["params"] = params
    password = unquote(parts.password) if parts.password else None
    return settings, password


def split_redis_url(value: str, *, key: str = "REDIS_URL", line: int = 0, source: str = ".env"
                    ) -> tuple[dict[str, Any], str | None, list[str]]:
    """Settings of a redis:// or rediss:// URL, its password, and notes on what was ignored."""
    notes: list[str] = []
    parts, port = _checked_url(value, ("redis", "rediss"), "redis://", "a redis:// or rediss:// URL",
                               "Write it as rediss://default:password@host:6379", key=key, line=line, source=source)
    scheme = parts.scheme.lower()
    path = parts.path.strip("/")
    db = 0
    if path:
        if not path.isdigit():
            raise DotenvError("has a path where a database number belongs (redis://host:6379/0)", source=source,
                              line=line, key=key)
        db = int(path)
    if parts.query:
        notes.append(f"{key} (line {line}): query parameters are not used by the console and were ignored")
    settings = {
        "host": parts.hostname,
        "port": port or 6379,
        "username": unquote(parts.username) if parts.username else "",
        "db": db,
        "tls": scheme == "rediss",
    }
    password = unquote(parts.password) if parts.password else None
    return settings, password, notes

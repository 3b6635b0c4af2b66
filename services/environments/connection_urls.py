"""Connection URLs of a ``.env`` (DATABASE_URL, DIRECT_URL, REDIS_URL) split into settings and a password.
A URL that cannot be read is a DotenvError naming the variable and the line, never quoting the URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from services.environments.dotenv_parser import DotenvError

_URL_HINT = "If the password holds @ : / # ? or %, URL-encode it (# is %23, / is %2F, ? is %3F, % is %25)"


def _url_problem(message: str, *, key: str, line: int, source: str) -> DotenvError:
    return DotenvError(message, source=source, line=line, key=key, hint=_URL_HINT)


def split_database_url(value: str, *, key: str = "DATABASE_URL", line: int = 0, source: str = ".env"
                       ) -> tuple[dict[str, Any], str | None]:
    """Settings of a postgres:// URL and its password (URL-decoded), or DotenvError naming the line."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise _url_problem("is not a valid postgresql:// URL (its host or port cannot be read)",
                           key=key, line=line, source=source) from None
    if parts.scheme.lower() not in ("postgres", "postgresql"):
        raise DotenvError("is not a postgresql:// URL", source=source, line=line, key=key,
                          hint="Write it as postgresql://user:password@host:5432/database")
    if parts.fragment:
        raise _url_problem("has a '#' that is not URL-encoded", key=key, line=line, source=source)
    if not parts.hostname:
        raise _url_problem("has no host", key=key, line=line, source=source)
    if port == 0:
        raise DotenvError("has port 0", source=source, line=line, key=key)
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
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise _url_problem("is not a valid redis:// URL (its host or port cannot be read)",
                           key=key, line=line, source=source) from None
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss"):
        raise DotenvError("is not a redis:// or rediss:// URL", source=source, line=line, key=key,
                          hint="Write it as rediss://default:password@host:6379")
    if parts.fragment:
        raise _url_problem("has a '#' that is not URL-encoded", key=key, line=line, source=source)
    if not parts.hostname:
        raise _url_problem("has no host", key=key, line=line, source=source)
    if port == 0:
        raise DotenvError("has port 0", source=source, line=line, key=key)
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

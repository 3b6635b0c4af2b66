"""Exports: the workspace as TOML without secrets, and an environment as a ``.env`` template.

The template has every variable of the seed's template (and the provider variables the environment
uses) with its settings filled in and every secret value left empty, including the password slot of
the connection URLs. Importing it back changes nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from services.core import workspace as ws_mod
from services.core.workspace import DatabaseSettings, Environment, RedisSettings, Workspace
from services.environments.env_variables import (
    PROVIDER_SECTIONS,
    SETTING_VARIABLES,
    TEMPLATE_SECTIONS,
    URL_VARIABLES,
)
from services.environments.setting_paths import get_setting

# AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3 hold the same setting; the general one is written.
_SKIP_ON_EXPORT = {"AWS_ENDPOINT_URL_S3"}


def export_workspace_toml(workspace: Workspace) -> str:
    """The workspace file's text. It holds no secret by construction (secrets live in the keyring)."""
    return ws_mod.dumps(workspace)


def write_export(path: str | Path, text: str) -> Path:
    """Write an export (the console's views never open files themselves)."""
    target = Path(path)
    target.write_text(text, encoding="utf-8")
    return target


async def awrite_export(path: str | Path, text: str) -> Path:
    return await asyncio.to_thread(write_export, path, text)


def _host(host: str) -> str:
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            return f"[{host}]"
    except ValueError:
        pass
    return host


def database_url(db: DatabaseSettings, password: str | None = None) -> str:
    """A postgresql:// URL of the settings; the password slot is empty unless one is given."""
    if not db.configured:
        return ""
    # sslmode=prefer is libpq's default: left out, so the URL reads as people write it.
    query = {"sslmode": db.sslmode, **db.params} if db.sslmode not in ("", "prefer") else dict(db.params)
    secret = quote(password, safe="") if password else ""
    return (f"postgresql://{quote(db.user, safe='')}:{secret}@{_host(db.host)}:{db.port}/{quote(db.name, safe='')}"
            + (f"?{urlencode(query)}" if query else ""))


def redis_url(redis: RedisSettings, password: str | None = None) -> str:
    if not redis.configured:
        return ""
    scheme = "rediss" if redis.tls else "redis"
    secret = quote(password, safe="") if password else ""
    auth = f"{quote(redis.username, safe='')}:{secret}@" if (redis.username or secret) else ""
    return f"{scheme}://{auth}{_host(redis.host)}:{redis.port}/{redis.db}"


def setting_variables(env: Environment) -> dict[str, str]:
    """The environment's settings as .env variables (no secret; URLs without their password)."""
    out: dict[str, str] = {}
    for name, path in SETTING_VARIABLES.items():
        if name in _SKIP_ON_EXPORT:
            continue
        value = get_setting(env, path)
        if value not in ("", None):
            out[name] = str(value)
    for key, value in env.extra.items():
        if key not in out:
            out[key] = value
    for name, (block, _secret) in URL_VARIABLES.items():
        settings = getattr(env, block)
        url = redis_url(settings, "") if block == "redis" else database_url(settings)
        if url:
            out[name] = url
    return out


def full_variables(env: Environment, secrets: Mapping[str, str]) -> dict[str, str]:
    """Every variable with its real value (secrets included): in memory only, for fingerprints."""
    out = setting_variables(env)
    for name, (block, secret) in URL_VARIABLES.items():
        settings = getattr(env, block)
        password = secrets.get(secret)
        if settings.configured:
            out[name] = redis_url(settings, password) if block == "redis" else database_url(settings, password)
    url_passwords = {secret for _block, secret in URL_VARIABLES.values()}
    for name, value in secrets.items():
        if value and name not in url_passwords:
            out[name] = value  # the known secrets, and the extra ones the import kept in the keyring
    return out


def dotenv_template(env: Environment, *, stored_secrets: list[str] | tuple[str, ...] = (),
                    generated_at: datetime | None = None) -> str:
    """A .env file for ``env``: settings filled in, every secret empty (names in the keyring listed)."""
    values = setting_variables(env)
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Environment variables of '{env.name}' ({env.kind.value}), exported by Realtor Ops Console {when}.",
        "# Secret values are left empty (connection URLs too have an empty password slot):",
        "# they stay in the OS keyring. Fill them in before use; never commit this file with them.",
    ]
    if stored_secrets:
        lines.append("# Secrets stored in the keyring for this environment: " + ", ".join(sorted(stored_secrets)))
    written: set[str] = set()

    def section(title: str, names: tuple[str, ...], *, always: bool) -> None:
        chosen = [n for n in names if n not in _SKIP_ON_EXPORT and (always or n in values
                                                                   or n in stored_secrets)]
        if not chosen:
            return
        lines.append("")
        lines.append(f"# {title}")
        for name in chosen:
            lines.append(_line(name, values.get(name, "")))
            written.add(name)

    for title, names in TEMPLATE_SECTIONS:
        section(title, names, always=True)
    for title, names in PROVIDER_SECTIONS:
        section(title, names, always=False)
    rest = sorted(k for k in values if k not in written)
    if rest:
        lines.append("")
        lines.append("# Other settings")
        lines += [_line(name, values[name]) for name in rest]
    known = {n for _t, names in (*TEMPLATE_SECTIONS, *PROVIDER_SECTIONS) for n in names}
    url_passwords = {secret for _block, secret in URL_VARIABLES.values()}
    extra_secrets = sorted(n for n in stored_secrets if n not in known and n not in url_passwords
                           and n not in written and n not in values)
    if extra_secrets:
        lines.append("")
        lines.append("# Other secrets (kept in the keyring)")
        lines += [f"{name}=" for name in extra_secrets]
    return "\n".join(lines) + "\n"


def _line(name: str, value: str) -> str:
    written = _quote(value)
    if written is None:
        return f"# {name}: this value cannot be written so that Next.js reads it back exactly; set it by hand"
    return f"{name}={written}"


def _quote(value: str) -> str | None:
    """The value written so that Next.js (dotenv 16.3.1 + dotenv-expand 10) reads it back exactly."""
    from services.environments.dotenv_parser import DotenvError, parse_dotenv

    escaped = value.replace("$", "\\$")  # dotenv-expand turns every \$ into $, in any quotes
    candidates = [escaped] if value and all(c.isalnum() or c in "-_./:@%+=?&,~" for c in value) else []
    candidates += [f"'{escaped}'", f'"{escaped}"', f"`{escaped}`"]
    if "\r" in value or "\n" in value:
        candidates.insert(0, '"' + escaped.replace("\r", "\\r").replace("\n", "\\n") + '"')
    for written in candidates if value else [""]:
        try:
            if parse_dotenv(f"V={written}\n").values().get("V") == value:
                return written
        except DotenvError:
            continue
    return None

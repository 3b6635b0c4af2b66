"""Importing a ``.env`` file into an environment: a plan first, then an all-or-nothing apply.

Every variable PRODUCT.md names is recognised. Connection URLs (DATABASE_URL, DIRECT_URL, REDIS_URL)
are split into settings (host, port, database, user, sslmode, other query parameters) and a password
that goes to the keyring; the other secrets go to the keyring as they are; everything else becomes a
setting of the workspace. Nothing secret is ever written anywhere but the keyring.

``plan_import`` compares the file with what the environment holds now and lists each change (secret
changes by name only). Importing the same file twice gives an empty plan. ``import_apply.apply_import``
writes the secrets first and the workspace second, and undoes the secrets it wrote if anything fails, so
an import is applied entirely or not at all. Which variable goes where is in ``env_variables``.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from services.core import workspace as ws_mod
from services.core.app_context import AppContext
from services.core.credentials import env_prefix
from services.core.errors import ConfigError, WorkspaceFileError
from services.core.workspace import Environment, EnvironmentKind
from services.environments.connection_urls import split_database_url, split_redis_url
from services.environments.dotenv_parser import DotenvEntry, DotenvError, DotenvFile, parse_dotenv
from services.environments.env_variables import (
    ENV_ALIASES,
    IMPORTED_SECRETS,
    RECOGNISED,
    SECRET_VARIABLES,
    SETTING_VARIABLES,
    TEMPLATE_VARIABLES,
    URL_VARIABLES,
    guess_kind,
    secret_reason,
)
from services.environments.import_plan import (
    ExtraVariable,
    ImportPlan,
    ReadingNote,
    SecretChange,
    SettingChange,
    UnknownVariable,
    environment_digest,
)
from services.environments.setting_paths import get_setting, label_of, set_setting, show

MAX_EXTRA_SECRETS = 1000  # keyring entries one import may add for variables the console does not know


# --- planning ------------------------------------------------------------------------------------

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _validate_setting(variable: str, path: str, value: str, *, line: int, source: str) -> None:
    if path in ("app_url", "storage.endpoint_url", "backup.endpoint_url", "extra.NEXTAUTH_URL"):
        if not re.match(r"^https?://[^/\s]+", value):
            raise DotenvError("is not an http(s) URL", source=source, line=line, key=variable,
                              hint="Write it as https://host")
        try:
            port = urlsplit(value).port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            raise DotenvError("has a port out of range (1-65535) or a host that cannot be read", source=source,
                              line=line, key=variable)
    if path == "providers.github_repository" and not _REPOSITORY.fullmatch(value):
        raise DotenvError("is not in the form owner/repository", source=source, line=line, key=variable)
    if path in ("storage.files_bucket", "backup.bucket") and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
                                                                            value):
        raise DotenvError("is not a valid bucket name (3-63 lower-case letters, digits, '.' or '-')",
                          source=source, line=line, key=variable)


def _prefixes(workspace: ws_mod.Workspace, env_name: str, kind: EnvironmentKind) -> tuple[set[str], set[str]]:
    """Prefixes that mean 'this environment' and prefixes that mean another one."""
    own = {env_prefix(env_name)} | set(ENV_ALIASES.get(kind, ()))
    others: set[str] = set()
    for other in workspace.environments.values():
        if other.name != env_name:
            others.add(env_prefix(other.name))
            others |= set(ENV_ALIASES.get(other.kind, ()))
    for aliases in ENV_ALIASES.values():
        others |= set(aliases)
    return own, others - own


def _resolve_names(dotenv: DotenvFile, own: set[str], others: set[str]
                   ) -> tuple[dict[str, tuple[str, str, int]], list[DotenvEntry], list[UnknownVariable], list[str]]:
    """Map file keys to canonical variable names. Returns ({canonical: (value, file key, line)}, the
    variables the console does not know, those meant for another environment, notes)."""
    chosen: dict[str, tuple[str, str, int]] = {}
    extras: list[DotenvEntry] = []
    unknown: list[UnknownVariable] = []
    notes: list[str] = []
    prefixed: dict[str, tuple[str, str, int]] = {}
    for key, entry in dotenv.entries.items():
        if key in RECOGNISED:
            chosen[key] = (entry.value, key, entry.line)
            continue
        head, sep, tail = key.partition("_")
        if sep and tail in RECOGNISED:
            if head in own:
                prefixed[tail] = (entry.value, key, entry.line)
                continue
            if head in others:
                unknown.append(UnknownVariable(key, entry.line, f"meant for another environment ({head}); "
                                                                  "not imported"))
                continue
        extras.append(entry)
    for name, item in prefixed.items():
        if name in chosen:
            notes.append(f"{item[1]} (line {item[2]}) overrides {name} (line {chosen[name][2]}) for this environment")
        chosen[name] = item
    return chosen, extras, unknown, notes


def _is_secret_variable(name: str) -> bool:
    return name in SECRET_VARIABLES or name in URL_VARIABLES


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def plan_import(ctx: AppContext, env_name: str, text: str, *, source: str = ".env",
                kind: EnvironmentKind | None = None, secret: Iterable[str] = (),
                plain: Iterable[str] = ()) -> ImportPlan:
    """Parse ``text`` and compare it with environment ``env_name`` (created if it does not exist).

    Values are read as Next.js reads them. Variables the console does not know are kept: as plain
    settings, or in the keyring when they look secret; ``secret`` and ``plain`` name variables to keep
    the other way. Reads the keyring to tell new and changed secrets from unchanged ones (blocking:
    async callers use :func:`aplan_import`). Raises DotenvError naming the line for anything it cannot
    read, ConfigError for a --secret/--plain that names no such variable.
    """
    dotenv = parse_dotenv(text, source=source)
    workspace = ctx.workspace
    current = workspace.environments.get(env_name)
    app_env_entry = dotenv.entries.get("NEXT_PUBLIC_APP_ENV")
    if current is None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", env_name):
            raise ConfigError(f"'{env_name}' cannot be an environment name",
                              hint="Use letters, digits, '.', '_' and '-' only")
        new_kind = kind or guess_kind(env_name, app_env_entry.value if app_env_entry else "")
        base = ws_mod.seed_environment(env_name, new_kind)
        # The seed's example URLs never become a user's settings: the file says where the app is.
        base.app_url = ""
        base.health.tls_domains = []
    else:
        new_kind = current.kind
        base = current
    new_env = copy.deepcopy(base)
    plan = ImportPlan(env_name, source, new_kind, creates_environment=current is None,
                      _base_digest=environment_digest(current))
    plan.warnings += [w.sentence() for w in dotenv.warnings]

    own, others = _prefixes(workspace, env_name, new_kind)
    chosen, extra_entries, unknown, notes = _resolve_names(dotenv, own, others)
    plan.unknown = unknown
    plan.warnings += notes
    plan.recognised = sorted(chosen)
    plan.missing = [name for name in TEMPLATE_VARIABLES if name not in chosen]

    want_secret, want_plain = set(secret), set(plain)
    extra_names = {e.key for e in extra_entries}
    for flag, names in (("--secret", want_secret), ("--plain", want_plain)):
        for name in sorted(names):
            if name in chosen or name in RECOGNISED:
                raise ConfigError(f"{flag} {name}: {name} is a variable the console knows; it always goes where it "
                                  "belongs (secrets to the keyring, settings to the workspace)")
            if name not in extra_names:
                raise ConfigError(f"{flag} {name}: {source} has no variable {name} the console does not know")
    both = want_secret & want_plain
    if both:
        raise ConfigError(f"{', '.join(sorted(both))}: asked to keep as secret and as plain at once")

    # (path, value, variable, line) for settings; (secret, value, variable, line) for secrets.
    settings: list[tuple[str, Any, str, int]] = []
    secrets: list[tuple[str, str, str, int]] = []
    for name, (value, key, line) in chosen.items():
        if value == "":
            plan.empty.append(key)
            continue
        if name in URL_VARIABLES:
            block, secret_name = URL_VARIABLES[name]
            url_secret: str | None  # the password inside the URL, bound for the keyring
            if block == "redis":
                fields, url_secret, url_notes = split_redis_url(value, key=key, line=line, source=source)
                plan.warnings += url_notes
            else:
                fields, url_secret = split_database_url(value, key=key, line=line, source=source)
            for fname, fvalue in fields.items():
                settings.append((f"{block}.{fname}", fvalue, key, line))
            if url_secret:
                secrets.append((secret_name, url_secret, key, line))
        elif name in SECRET_VARIABLES:
            secrets.append((name, value, key, line))
        elif name in SETTING_VARIABLES:
            path = SETTING_VARIABLES[name]
            if name == "AWS_ENDPOINT_URL" and "AWS_ENDPOINT_URL_S3" in chosen and chosen["AWS_ENDPOINT_URL_S3"][0]:
                continue  # boto3: the service-specific variable wins
            _validate_setting(key, path, value, line=line, source=source)
            settings.append((path, value, key, line))

    # Variables the console does not know: every one is kept, as a plain setting or as a secret.
    stored: set[str] = set()
    if current is not None:
        stored = set(ctx.credentials.names(env_name))
    extra_secrets: set[str] = set()
    for entry in extra_entries:
        if entry.value == "":
            plan.empty.append(entry.key)  # as for known variables: an empty value changes nothing
            continue
        if entry.key in stored and entry.key not in IMPORTED_SECRETS:
            guessed, why = True, "kept in the keyring, as before"
        elif entry.key in new_env.extra:
            guessed, why = False, "a plain setting, as before"
        else:
            why = secret_reason(entry.key, entry.value)
            guessed = bool(why)
            if not why:
                why = ("public by definition (NEXT_PUBLIC_)" if entry.key.startswith("NEXT_PUBLIC_")
                       else "nothing about it looks secret")
        is_secret = (guessed or entry.key in want_secret) and entry.key not in want_plain
        flipped = is_secret != guessed
        plan.extras.append(ExtraVariable(entry.key, entry.line, is_secret, why, flipped))
        if is_secret:
            extra_secrets.add(entry.key)
            if entry.value:
                secrets.append((entry.key, entry.value, entry.key, entry.line))
            if entry.key in new_env.extra:  # it was a plain setting before
                settings.append((f"extra.{entry.key}", None, entry.key, entry.line))
        else:
            settings.append((f"extra.{entry.key}", entry.value, entry.key, entry.line))
            if entry.key in stored and entry.key not in IMPORTED_SECRETS:
                plan.removed_secrets.append(entry.key)

    if len(extra_secrets) > MAX_EXTRA_SECRETS:
        raise ConfigError(
            f"{source}: {len(extra_secrets):,} variables the console does not know look secret; an import keeps "
            f"at most {MAX_EXTRA_SECRETS:,} of them in the OS keyring",
            hint="Check that this is the .env file of the platform; nothing was changed")

    # R2's endpoint follows from the Cloudflare account when none is given.
    account = chosen.get("CLOUDFLARE_ACCOUNT_ID")
    if account and account[0] and "CLOUDFLARE_R2_ENDPOINT" not in chosen and not new_env.storage.endpoint_url:
        settings.append(("storage.endpoint_url", f"https://{account[0]}.r2.cloudflarestorage.com",
                         account[1], account[2]))
    if app_env_entry and app_env_entry.value and guess_kind("", app_env_entry.value) not in (
            new_kind, EnvironmentKind.OTHER):
        plan.warnings.append(f"NEXT_PUBLIC_APP_ENV (line {app_env_entry.line}) says '{app_env_entry.value}' "
                             f"but {env_name} is a {new_kind.value} environment")

    old_app_url = new_env.app_url
    for path, value, key, line in settings:
        old = get_setting(new_env, path)
        if value is None:  # an extra setting that is now kept as a secret
            new_env.extra.pop(path[len("extra."):], None)
            plan.settings.append(SettingChange(path, label_of(path), show(old), "(now kept in the keyring)", key,
                                               line))
            continue
        if old == value and not (path.startswith("extra.") and path[len("extra."):] not in new_env.extra):
            plan.unchanged.append(f"{label_of(path)} ({key})")
            continue
        set_setting(new_env, path, value)
        plan.settings.append(SettingChange(path, label_of(path), show(old), show(value), key, line))
    _follow_app_url(new_env, old_app_url, plan, fresh=current is None)

    for secret_name, value, key, line in secrets:
        existing = ctx.credentials.get(env_name, secret_name) if secret_name in stored else None
        ctx.masker.add(value)  # from now on this value is masked in every log line
        if existing == value:
            plan.unchanged.append(f"secret {secret_name} ({key})")
            continue
        plan.secrets.append(SecretChange(secret_name, "change" if existing else "add", key, line))
        plan._secret_values[secret_name] = value

    # Where Next.js reads a value differently from its text: say so now, and keep the note with the
    # environment so that its settings show it too.
    notes_now: dict[str, str] = {}
    not_imported = {u.name for u in plan.unknown}
    canonical_of = {item[1]: name for name, item in chosen.items()}
    for key, entry in dotenv.entries.items():
        if not entry.differs or key in not_imported:
            continue
        canonical = canonical_of.get(key, key)
        if canonical in chosen:
            is_secret = _is_secret_variable(canonical)
        elif key in want_plain:
            is_secret = False
        else:  # what the value was meant to be counts too: "$2b$..." that Next.js reads as "" is a secret
            is_secret = key in extra_secrets or key in want_secret or key in stored or bool(
                secret_reason(key, entry.value) or secret_reason(key, entry.literal))
        note = entry.reading_note(secret=is_secret)
        plan.readings.append(ReadingNote(key, entry.line, note))
        notes_now[key] = note
    if notes_now or new_env.dotenv_notes:
        kept = {k: v for k, v in new_env.dotenv_notes.items() if k not in dotenv.entries}
        new_env.dotenv_notes = {**kept, **notes_now}

    # The workspace model validates itself on save; check now so a bad value is named before applying.
    probe = ws_mod.Workspace(environments={env_name: new_env})
    try:
        ws_mod.loads(ws_mod.dumps(probe), path=source)
    except WorkspaceFileError as exc:
        field_path = (exc.field or "").split(".", 2)[-1]
        culprit = next((s for s in settings if s[0] == field_path), settings[0] if settings else None)
        line, key = (culprit[3], culprit[2]) if culprit else (1, "")
        # The workspace's sentence may quote the value; a .env error never does.
        why = re.sub(r"'[^']*'", "the value", exc.message.split(": ", 1)[-1])
        raise DotenvError(f"gives a setting the workspace cannot hold ({why})",
                          source=source, line=line, key=key or None) from None
    plan._new_env = new_env
    return plan


def _follow_app_url(env: Environment, old_url: str, plan: ImportPlan, *, fresh: bool) -> None:
    """Settings derived from the app URL follow it: the TLS domains (none for http://; the health and
    header checks read the app URL itself). A list the user wrote by hand is kept."""
    if not fresh and env.app_url == old_url:
        return
    derived = not env.health.tls_domains or env.health.tls_domains == [_host_of(old_url)]
    if derived and env.health.tls_domains:
        before = ", ".join(env.health.tls_domains)
        env.health.tls_domains = []
        follows = (f"follows the app URL ({_host_of(env.app_url)})" if env.app_url.startswith("https://")
                   else "none: the app URL is not https, so there is no certificate to check")
        plan.settings.append(SettingChange("health.tls_domains", "TLS domains", before, follows,
                                           "NEXT_PUBLIC_APP_URL", dotenv_line(plan, "app_url")))
    if fresh and not env.app_url:
        plan.warnings.append("the file has no NEXT_PUBLIC_APP_URL: the app's health, headers and TLS checks stay "
                             "off until an app URL is set")


def dotenv_line(plan: ImportPlan, path: str) -> int:
    return next((c.line for c in plan.settings if c.path == path), 0)


def read_dotenv_file(path: str | Path) -> tuple[str, str]:
    """The text of a .env file and the name to show for it (the view never opens files itself)."""
    file = Path(path)
    try:
        return file.read_text(encoding="utf-8"), file.name
    except FileNotFoundError:
        raise ConfigError(f"There is no file {file}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text", hint="Save it as UTF-8 and try again") from None
    except OSError as exc:
        raise ConfigError(f"{file} cannot be read ({exc.strerror})") from None


async def aread_dotenv_file(path: str | Path) -> tuple[str, str]:
    return await asyncio.to_thread(read_dotenv_file, path)


async def aplan_import(ctx: AppContext, env_name: str, text: str, *, source: str = ".env",
                       kind: EnvironmentKind | None = None, secret: Iterable[str] = (),
                       plain: Iterable[str] = ()) -> ImportPlan:
    return await asyncio.to_thread(plan_import, ctx, env_name, text, source=source, kind=kind, secret=secret,
                                   plain=plain)

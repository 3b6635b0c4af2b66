"""An import's plan: what importing a ``.env`` would change, as shown before anything is written (secret
changes by name only); what applying it did; and the errors of applying it."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from services.core import workspace as ws_mod
from services.core.errors import ConfigError, OpsError
from services.core.workspace import Environment, EnvironmentKind

# --- errors --------------------------------------------------------------------------------------


class ImportChangedError(ConfigError):
    title = "The environment changed"


class ImportApplyError(OpsError):
    """Applying failed; says what was rolled back (and what could not be)."""

    title = "The import was not applied"


# --- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingChange:
    path: str
    label: str
    old: str
    new: str
    variable: str
    line: int

    def sentence(self) -> str:
        if not self.old:
            return f"{self.label}: set to {self.new!r} (from {self.variable}, line {self.line})"
        return f"{self.label}: {self.old!r} → {self.new!r} (from {self.variable}, line {self.line})"


@dataclass(frozen=True)
class SecretChange:
    name: str
    action: Literal["add", "change"]
    variable: str
    line: int

    def sentence(self) -> str:
        verb = "new" if self.action == "add" else "changed"
        source = f"password in {self.variable}" if self.variable != self.name else self.variable
        return f"secret {self.name}: {verb} value from {source}, line {self.line} (stored in the keyring)"


@dataclass(frozen=True)
class UnknownVariable:
    """A variable that is not imported (it is meant for another environment)."""

    name: str
    line: int
    note: str = "not imported"


@dataclass(frozen=True)
class ExtraVariable:
    """A variable the console does not know, kept as it is: a plain setting or a keyring secret."""

    name: str
    line: int
    secret: bool
    why: str  # why it is taken for a secret, or for a plain setting
    flipped: bool = False  # the user chose the other kind (--secret / --plain)

    def sentence(self) -> str:
        where = "secret, kept in the keyring" if self.secret else "plain setting, kept in the workspace"
        flip = f"--plain {self.name}" if self.secret else f"--secret {self.name}"
        why = "as you asked" if self.flipped else self.why
        return f"{self.name} (line {self.line}): {where} ({why}); the other way: {flip}"


@dataclass(frozen=True)
class ReadingNote:
    """A value whose text in the file and Next's reading differ (the note never holds a secret)."""

    variable: str
    line: int
    note: str

    def sentence(self) -> str:
        return f"{self.variable} (line {self.line}): {self.note}"


@dataclass
class ImportPlan:
    """What importing a file would change. Secret values are held privately and never printed."""

    environment: str
    source: str
    kind: EnvironmentKind
    creates_environment: bool
    settings: list[SettingChange] = field(default_factory=list)
    secrets: list[SecretChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown: list[UnknownVariable] = field(default_factory=list)
    extras: list[ExtraVariable] = field(default_factory=list)
    readings: list[ReadingNote] = field(default_factory=list)
    removed_secrets: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recognised: list[str] = field(default_factory=list)
    _new_env: Environment | None = field(default=None, repr=False)
    _secret_values: dict[str, str] = field(default_factory=dict, repr=False)
    _base_digest: str = field(default="", repr=False)

    @property
    def is_noop(self) -> bool:
        return not (self.settings or self.secrets or self.creates_environment or self.removed_secrets)

    def summary(self) -> str:
        if self.is_noop:
            return f"Nothing to change: {self.environment} already holds what {self.source} says."
        parts = []
        if self.creates_environment:
            parts.append(f"creates environment '{self.environment}' ({self.kind.value})")
        if self.settings:
            parts.append(f"{len(self.settings)} setting(s)")
        if self.secrets:
            parts.append(f"{len(self.secrets)} secret(s)")
        return f"Importing {self.source} into {self.environment}: " + ", ".join(parts) + "."

    def lines(self) -> list[str]:
        """The plan as sentences for people (no secret value in any of them)."""
        out = [self.summary()]
        out += ["  " + c.sentence() for c in self.settings]
        out += ["  " + c.sentence() for c in self.secrets]
        out += [f"  secret {name}: removed from the keyring (now a plain setting)" for name in self.removed_secrets]
        if self.readings:
            out.append("Read differently by Next.js than written (the value imported is Next's reading):")
            out += ["  " + r.sentence() for r in self.readings]
        if self.extras:
            out.append("Variables the console does not know, kept as they are:")
            out += ["  " + x.sentence() for x in self.extras]
        if self.missing:
            out.append("Missing against the seed's template: " + ", ".join(self.missing))
        if self.unknown:
            out += [f"Not imported: {u.name} (line {u.line}): {u.note}" for u in self.unknown]
        if self.empty:
            out.append("Empty as Next.js reads them, left as they are: " + ", ".join(self.empty))
        out += ["Warning: " + w for w in self.warnings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "source": self.source,
            "kind": self.kind.value,
            "creates_environment": self.creates_environment,
            "noop": self.is_noop,
            "settings": [dataclasses.asdict(c) for c in self.settings],
            "secrets": [dataclasses.asdict(c) for c in self.secrets],
            "unchanged": self.unchanged,
            "missing": self.missing,
            "unknown": [dataclasses.asdict(u) for u in self.unknown],
            "extras": [dataclasses.asdict(x) for x in self.extras],
            "readings": [dataclasses.asdict(r) for r in self.readings],
            "removed_secrets": self.removed_secrets,
            "empty": self.empty,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class ImportResult:
    environment: str
    settings_changed: int
    secrets_written: tuple[str, ...]
    created: bool
    noop: bool


@dataclass(frozen=True)
class ImportOutcome:
    """What ``env import-dotenv --json`` prints: the plan, and what applying it did (None: not applied)."""

    plan: ImportPlan
    result: ImportResult | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"plan": self.plan.as_dict(), "applied": self.result is not None}
        if self.result is not None:
            data["result"] = dataclasses.asdict(self.result)
        return data


def environment_digest(env: Environment | None) -> str:
    """A digest of an environment's settings, to notice a change between plan and apply."""
    if env is None:
        return "absent"
    data = ws_mod.to_dict(ws_mod.Workspace(environments={env.name: env}))["environments"]
    return hashlib.sha256(repr(sorted(_flatten(data))).encode()).hexdigest()


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, repr(value))]

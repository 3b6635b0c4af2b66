"""Where the providers' OpenAPI files are, if anywhere: contract validation is an addition.

Every provider and stand-in test runs without the specs and keeps its own assertions; when a spec
is found, the requests the clients send and the answers the stand-ins give are also validated
against it (``tests/providers/spec_validation.py``). Looked up, first hit wins:

1. ``$REALTOR_PROVIDER_SPECS``: a folder, or ``off`` to turn validation off explicitly (what
   ``.ci/run`` does for the "clone with nothing beside it" pass);
2. ``<repo>/.provider-specs/`` (git-ignored; ``scripts/fetch-provider-specs`` downloads into it);
3. ``<repo>/../shared/provider-apis`` (the trimmed copies CI uses).

The spec files are the providers' own, under their licences: they are never copied into the repo.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROVIDERS = ("betterstack", "cloudflare", "github", "sentry", "supabase", "upstash", "vercel")
OFF_WORDS = frozenset({"off", "no", "none", "false", "0", "disabled"})
ENV_VAR = "REALTOR_PROVIDER_SPECS"
HOW_TO_TURN_ON = (
    f"to turn it on, run scripts/fetch-provider-specs (downloads into .provider-specs/) "
    f"or set {ENV_VAR}=<folder with *.openapi.json>"
)


@dataclass(frozen=True)
class SpecLocation:
    folder: Path | None  # None: validation is off
    files: dict[str, Path]  # provider -> spec file, for the providers that have one
    source: str  # how the folder was chosen, for the report header
    problem: str = ""  # REALTOR_PROVIDER_SPECS names a folder without any spec: a usage error
    # Whole upstream files from scripts/fetch-provider-specs (it leaves FETCHED.json beside them):
    # they lack the endpoints the trimmed copies add by hand, so such requests are only noted.
    upstream: bool = False

    @property
    def on(self) -> bool:
        return bool(self.files)

    def has(self, provider: str) -> bool:
        return provider in self.files


def spec_file(folder: Path, provider: str) -> Path | None:
    """``<provider>.openapi.json`` (or ``.yaml``/``.yml``, as some providers publish) in ``folder``."""
    for suffix in (".openapi.json", ".openapi.yaml", ".openapi.yml"):
        path = folder / f"{provider}{suffix}"
        if path.is_file():
            return path
    return None


def _upstream(folder: Path | None) -> bool:
    return folder is not None and (folder / "FETCHED.json").is_file()


def _files(folder: Path) -> dict[str, Path]:
    found = {name: spec_file(folder, name) for name in PROVIDERS}
    return {name: path for name, path in found.items() if path is not None}


@functools.cache
def locate() -> SpecLocation:
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() in OFF_WORDS:
        return SpecLocation(None, {}, f"{ENV_VAR}={value}")
    if value:
        folder = Path(value).expanduser()
        files = _files(folder) if folder.is_dir() else {}
        if not files:
            return SpecLocation(
                None,
                {},
                f"{ENV_VAR}={value}",
                problem=(
                    f"{ENV_VAR}={value}: no <provider>.openapi.json there; point it at a folder "
                    f"with the specs, or set {ENV_VAR}=off to run without contract validation"
                ),
            )
        return SpecLocation(folder, files, f"{ENV_VAR}={value}", upstream=_upstream(folder))
    for folder, how in (
        (REPO / ".provider-specs", ".provider-specs/"),
        (REPO.parent / "shared" / "provider-apis", "../shared/provider-apis"),
    ):
        files = _files(folder) if folder.is_dir() else {}
        if files:
            return SpecLocation(folder, files, how, upstream=_upstream(folder))
    return SpecLocation(None, {}, "no spec folder found")


def header_lines() -> list[str]:
    loc = locate()
    if not loc.on:
        return [f"provider contract validation: OFF ({loc.source}); {HOW_TO_TURN_ON}"]
    missing = [name for name in PROVIDERS if not loc.has(name)]
    line = f"provider contract validation: ON, specs from {loc.folder} ({loc.source}): {', '.join(sorted(loc.files))}"
    if loc.upstream:
        line += "; whole upstream files: requests outside them are noted, not failed"
    if missing:
        line += f"; no spec for {', '.join(missing)} (not validated)"
    return [line]

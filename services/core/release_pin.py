"""Which published wheel a generated workflow installs: a release's version and the wheel's SHA-256.

Workflows that run ``realtor-ops`` without anyone's laptop (``backup schedule``) must install exactly one
known build, not whatever an index serves under a name. The release workflow builds the wheel first and
bakes its SHA-256 into the installers (``RELEASE.json`` in the frozen bundle), so an installed release
pins itself with no network. A source checkout pins a release through ``REALTOR_OPS_WHEEL_SHA256``
(and ``REALTOR_OPS_RELEASE_VERSION``, default: this version). With neither, the workflow's install step
fails with a sentence saying so, instead of installing something unpinned.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from services.core.app_version import app_version, frozen_root
from services.core.update_check import repository

RELEASE_FILE = "RELEASE.json"
SHA_ENV = "REALTOR_OPS_WHEEL_SHA256"
VERSION_ENV = "REALTOR_OPS_RELEASE_VERSION"
_SHA = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"\d+(\.\d+)*([a-z]+\d*)?")


@dataclass(frozen=True)
class PinnedWheel:
    version: str
    sha256: str
    repo: str

    @property
    def filename(self) -> str:
        return f"realtor_ops_console-{self.version}-py3-none-any.whl"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/releases/download/v{self.version}/{self.filename}"


def pinned_wheel() -> tuple[PinnedWheel | None, str]:
    """The pin, or None and the reason there is none (a sentence for the workflow and the user)."""
    version, sha = os.environ.get(VERSION_ENV, "").strip(), os.environ.get(SHA_ENV, "").strip().lower()
    root = frozen_root()
    if not sha and root is not None:
        try:
            data = json.loads((root / RELEASE_FILE).read_text(encoding="utf-8"))
            version, sha = str(data.get("version", "")), str(data.get("wheel_sha256", "")).lower()
        except (OSError, ValueError, AttributeError):
            pass
    version = version or app_version()
    if not sha:
        return None, (f"realtor-ops {version} is not a published release with a known wheel checksum: "
                      f"install a released build, or set {SHA_ENV} (and {VERSION_ENV}) to a release's wheel SHA-256")
    if not _SHA.fullmatch(sha):
        return None, f"{SHA_ENV} must be 64 hexadecimal characters (a SHA-256), not {len(sha)} characters"
    if not _VERSION.fullmatch(version):
        return None, f"{VERSION_ENV} is not a release version (numbers and dots, e.g. 1.4.0)"
    return PinnedWheel(version, sha, repository()), ""


def install_step_yaml(indent: str = "      ") -> str:
    """The workflow step that installs the pinned wheel, checksum first (or fails saying why it cannot)."""
    pin, reason = pinned_wheel()
    if pin is None:
        message = re.sub(r"[^A-Za-z0-9 .,:()_/=-]", "", reason)  # it goes into a shell line: plain text only
        return (f"{indent}- name: Install realtor-ops (no pinned release)\n"
                f"{indent}  run: |\n"
                f'{indent}    echo "::error::{message}"\n'
                f"{indent}    exit 1\n")
    path = f'"$RUNNER_TEMP/{pin.filename}"'
    return (f"{indent}- name: Install realtor-ops {pin.version} (the release's wheel, SHA-256 pinned; carries pg_dump 16 and 18)\n"
            f"{indent}  env:\n"
            f"{indent}    WHEEL_URL: {pin.url}\n"
            f"{indent}    WHEEL_SHA256: {pin.sha256}\n"
            f"{indent}  run: |\n"
            f'{indent}    curl -fsSL --retry 3 -o {path} "$WHEEL_URL"\n'
            f'{indent}    echo "$WHEEL_SHA256  $RUNNER_TEMP/{pin.filename}" | sha256sum --check --strict -\n'
            f"{indent}    pip install {path}\n")

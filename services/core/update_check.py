"""Is there a newer release on GitHub? Opt-in (Preferences), and it only tells: it never downloads.

One GET of ``/repos/OWNER/REPO/releases/latest`` (drafts and pre-releases are not "latest"), no token,
no identifying data beyond what any HTTPS request carries.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from services.core.errors import OpsError

RELEASES_REPO = "realtor-ops/realtor-ops-console"
GITHUB_API = "https://api.github.com"
REPO_ENV = "REALTOR_OPS_RELEASES_REPO"  # forks publish their own releases


class UpdateCheckError(OpsError):
    pass


@dataclass(frozen=True)
class UpdateCheck:
    current: str
    latest: str
    newer: bool
    url: str

    @property
    def sentence(self) -> str:
        if self.newer:
            return f"Version {self.latest} is available (you have {self.current}): {self.url}"
        return f"You have the latest version ({self.current})."


_NUMBERS = re.compile(r"^v?(\d+(?:\.\d+)*)(.*)$")


def version_key(version: str) -> tuple[tuple[int, ...], int, str]:
    """Sort key: numbers first; a pre-release (``1.2.0rc1``) sorts before its release (``1.2.0``)."""
    m = _NUMBERS.match(version.strip().split("+")[0])
    if not m:
        raise ValueError(f"not a version: {version!r}")
    numbers = tuple(int(n) for n in m.group(1).split("."))
    numbers += (0,) * (4 - len(numbers))
    rest = m.group(2).lstrip(".-")
    return numbers, 0 if rest else 1, rest


def repository() -> str:
    repo = os.environ.get(REPO_ENV, "").strip() or RELEASES_REPO
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise UpdateCheckError(f"{REPO_ENV} must look like OWNER/REPO, not {repo!r}")
    return repo


def interpret(current: str, payload: Any) -> UpdateCheck:
    if not isinstance(payload, dict) or not isinstance(payload.get("tag_name"), str):
        raise UpdateCheckError("GitHub's answer about the latest release has no tag_name",
                               hint="Try again later; nothing was changed")
    tag = payload["tag_name"]
    try:
        newer = version_key(tag) > version_key(current)
    except ValueError:
        raise UpdateCheckError(f"The latest release's tag {tag[:40]!r} is not a version number") from None
    page = payload.get("html_url")
    link = page if isinstance(page, str) and page.startswith("https://") and len(page) < 500 else ""  # a link
    return UpdateCheck(current, tag.removeprefix("v")[:40], newer, link)


async def check_for_update(current: str, *, api_base: str | None = None, timeout: float = 10.0) -> UpdateCheck:
    import httpx

    url = f"{(api_base or GITHUB_API).rstrip('/')}/repos/{repository()}/releases/latest"
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
            response = await client.get(url, headers={"Accept": "application/vnd.github+json",
                                                      "User-Agent": f"realtor-ops-console/{current}"})
    except httpx.HTTPError as exc:
        raise UpdateCheckError("Could not reach GitHub to check for a newer version",
                               hint="Check the network; the check is optional", detail=type(exc).__name__) from None
    if response.status_code == 404:
        raise UpdateCheckError(f"{repository()} has no published release yet")
    if response.status_code != 200:
        raise UpdateCheckError(f"GitHub answered {response.status_code} to the update check",
                               hint="Try again later (403/429: rate limited)")
    try:
        payload = response.json()
    except ValueError:
        raise UpdateCheckError("GitHub's answer about the latest release is not JSON") from None
    return interpret(current, payload)

"""GitHub endpoints the Deployments screen needs beyond ``GitHubClient``: a job's log (GitHub answers
with a redirect to a short-lived URL, followed *without* the token), force-cancel, re-run of one
job, and files from the repository's contents API (the workflow file, ``prisma/migrations``).

Functions over a :class:`GitHubClient` (kept out of its module so its parsing can change
independently); answers are frozen dataclasses.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from services.core.errors import ConnectionFailure, FailureKind
from services.providers.github_client import GitHubClient, split_repository
from services.providers.http_client import ActionAccepted

# A job's log can be large; the viewer shows the tail when it is larger than this.
MAX_LOG_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class RepoEntry:
    name: str
    path: str
    type: str  # file, dir, symlink, submodule
    sha: str


@dataclass(frozen=True)
class JobLog:
    job_id: int
    text: str
    truncated: bool
    redirect_host: str  # where GitHub sent the download (never given the token)

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "truncated": self.truncated, "text": self.text}


async def job_log(
    client: GitHubClient, repository: str, job_id: int, *, max_bytes: int = MAX_LOG_BYTES
) -> JobLog:
    """GET …/actions/jobs/{id}/logs → 302 Location (valid ~1 minute) → the plain-text log.

    The redirect is followed by a separate client that sends no Authorization header: the signed
    URL is the credential, and the token must not travel to another host.
    """
    owner, repo = split_repository(repository)
    response = await client.request(
        "GET",
        f"/repos/{owner}/{repo}/actions/jobs/{int(job_id)}/logs",
        resource=f"the log of job {job_id}",
        ok=(302, 301, 307, 303),
    )
    location = response.headers.get("location")
    split = urlsplit(location or "")
    if split.scheme not in ("https", "http") or not split.netloc:
        raise client.protocol_failure("the job log redirect had no usable Location")
    if split.scheme == "http" and split.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ConnectionFailure(
            "GitHub sent the job log to a plain-HTTP address; the console did not follow it",
            kind=FailureKind.PROTOCOL,
            target=split.hostname or "",
        )
    chunks: list[bytes] = []
    size = 0
    truncated = False
    try:
        async with (
            httpx.AsyncClient(timeout=client.timeouts.to_httpx(), follow_redirects=True) as plain,
            plain.stream("GET", location or "", headers={"Accept": "text/plain"}) as download,
        ):
            if download.status_code != 200:
                raise ConnectionFailure(
                    f"The job log download answered {download.status_code} (the link lasts about a minute)",
                    kind=FailureKind.NOT_FOUND if download.status_code in (403, 404, 410) else FailureKind.PROTOCOL,
                    target=split.hostname or "",
                    status=download.status_code,
                    hint="Open the log again",
                )
            async for chunk in download.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                while size > max_bytes and len(chunks) > 1:
                    size -= len(chunks.pop(0))
                    truncated = True
    except httpx.HTTPError as exc:
        raise ConnectionFailure(
            f"The job log could not be downloaded from {split.hostname}",
            kind=FailureKind.UNREACHABLE,
            target=split.hostname or "",
            detail=type(exc).__name__,
        ) from None
    data = b"".join(chunks)
    if len(data) > max_bytes:
        data, truncated = data[-max_bytes:], True
    return JobLog(int(job_id), data.decode("utf-8", errors="replace"), truncated, split.hostname or "")


async def force_cancel(client: GitHubClient, repository: str, run_id: int) -> ActionAccepted:
    """Cancel a run that ignores cancel (bypasses ``always()`` conditions)."""
    owner, repo = split_repository(repository)
    response = await client.request(
        "POST",
        f"/repos/{owner}/{repo}/actions/runs/{int(run_id)}/force-cancel",
        resource=f"workflow run {run_id}",
        action=f"force-cancel workflow run {run_id}",
        ok=(202,),
    )
    return ActionAccepted("GitHub", "force-cancel", str(run_id), response.status_code)


async def rerun_job(client: GitHubClient, repository: str, job_id: int) -> ActionAccepted:
    owner, repo = split_repository(repository)
    response = await client.request(
        "POST",
        f"/repos/{owner}/{repo}/actions/jobs/{int(job_id)}/rerun",
        resource=f"job {job_id}",
        action=f"re-run job {job_id}",
        ok=(201,),
    )
    return ActionAccepted("GitHub", "rerun job", str(job_id), response.status_code)


async def list_directory(
    client: GitHubClient, repository: str, path: str, *, ref: str | None = None
) -> tuple[RepoEntry, ...]:
    owner, repo = split_repository(repository)
    body = await client.get_json(
        f"/repos/{owner}/{repo}/contents/{quote(path.strip('/'), safe='/')}",
        params={"ref": ref},
        resource=f"folder '{path}' of '{repository}'",
    )

    def parse(b: Any) -> tuple[RepoEntry, ...]:
        if not isinstance(b, list):
            raise TypeError(f"'{path}' is not a folder")
        return tuple(RepoEntry(str(e["name"]), str(e["path"]), str(e["type"]), str(e["sha"])) for e in b)

    return client.parse("the folder listing", parse, body)


async def file_bytes(client: GitHubClient, repository: str, path: str, *, ref: str | None = None) -> bytes:
    """A file's bytes from the contents API (base64 in the JSON answer), line endings untouched."""
    owner, repo = split_repository(repository)
    body = await client.get_json(
        f"/repos/{owner}/{repo}/contents/{quote(path.strip('/'), safe='/')}",
        params={"ref": ref},
        resource=f"file '{path}' of '{repository}'",
    )

    def parse(b: Any) -> bytes:
        if not isinstance(b, dict) or b.get("type") != "file":
            raise TypeError(f"'{path}' is not a file")
        if b.get("encoding") != "base64":
            raise ValueError(f"unexpected encoding {b.get('encoding')!r}")
        try:
            raw = base64.b64decode(str(b["content"]).replace("\n", ""), validate=True)
        except binascii.Error as exc:
            raise ValueError("content is not base64") from exc
        return raw

    return client.parse("the file", parse, body)


async def file_text(client: GitHubClient, repository: str, path: str, *, ref: str | None = None) -> str:
    return (await file_bytes(client, repository, path, ref=ref)).decode("utf-8", errors="replace")

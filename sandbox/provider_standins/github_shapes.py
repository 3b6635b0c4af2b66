"""The GitHub stand-in's answers in the shapes of GitHub's OpenAPI description: users, the repository,
workflow runs, jobs, and paging with the Link header."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sandbox.provider_standins import history as h
from sandbox.provider_standins.github_runs import OWNER, REPO, REPO_ID, WORKFLOW_ID, Job, Run
from sandbox.provider_standins.protocol import StandinRequest


def api_url(request: StandinRequest, path: str) -> str:
    return f"{request.base_url}{path}"


def _user(request: StandinRequest, login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    url = api_url(request, f"/users/{login}")
    return {
        "login": login,
        "id": user_id,
        "node_id": h.stable_id("MDQ6VXNlcj", login, length=8),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "site_admin": False,
    }


def _repo(request: StandinRequest) -> dict[str, Any]:
    url = api_url(request, f"/repos/{h.REPOSITORY}")
    templated = {
        "archive_url": "/{archive_format}{/ref}",
        "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}",
        "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}",
        "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}",
        "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}",
        "contributors_url": "/contributors",
        "deployments_url": "/deployments",
        "downloads_url": "/downloads",
        "events_url": "/events",
        "forks_url": "/forks",
        "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}",
        "git_tags_url": "/git/tags{/sha}",
        "hooks_url": "/hooks",
        "issue_comment_url": "/issues/comments{/number}",
        "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}",
        "keys_url": "/keys{/key_id}",
        "labels_url": "/labels{/name}",
        "languages_url": "/languages",
        "merges_url": "/merges",
        "milestones_url": "/milestones{/number}",
        "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}",
        "releases_url": "/releases{/id}",
        "stargazers_url": "/stargazers",
        "statuses_url": "/statuses/{sha}",
        "subscribers_url": "/subscribers",
        "subscription_url": "/subscription",
        "tags_url": "/tags",
        "teams_url": "/teams",
        "trees_url": "/git/trees{/sha}",
    }
    body: dict[str, Any] = {key: url + suffix for key, suffix in templated.items()}
    body.update(
        {
            "id": REPO_ID,
            "node_id": "R_kgDOKmRltA",
            "name": REPO,
            "full_name": h.REPOSITORY,
            "owner": _user(request, OWNER, 151234567, "Organization"),
            "private": True,
            "html_url": f"https://github.com/{h.REPOSITORY}",
            "description": "Real-estate brokerage platform: listings, CRM, showings, documents",
            "fork": False,
            "url": url,
        }
    )
    return body


def _author_id(commit: h.Commit) -> int:
    return h.stable_int("gh-user", commit.author_login, digits=8)


def run_json(request: StandinRequest, run: Run) -> dict[str, Any]:
    c = run.commit
    base = api_url(request, f"/repos/{h.REPOSITORY}/actions/runs/{run.id}")
    actor = _user(request, c.author_login, _author_id(c))
    repo = _repo(request)
    return {
        "id": run.id,
        "name": h.WORKFLOW_NAME,
        "node_id": h.stable_id("WFR_kwLO", run.id, length=12),
        "check_suite_id": run.id + 7,
        "check_suite_node_id": h.stable_id("CS_kwDO", run.id, length=12),
        "head_branch": c.branch,
        "head_sha": c.sha,
        "path": h.WORKFLOW_FILE,
        "display_title": c.message,
        "run_number": run.run_number,
        "run_attempt": run.run_attempt,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": WORKFLOW_ID,
        "url": base,
        "html_url": f"https://github.com/{h.REPOSITORY}/actions/runs/{run.id}",
        "pull_requests": [],
        "created_at": h.iso(run.created_at),
        "updated_at": h.iso(run.updated_at),
        "run_started_at": h.iso(run.created_at),
        "actor": actor,
        "triggering_actor": actor,
        "jobs_url": f"{base}/jobs",
        "logs_url": f"{base}/logs",
        "check_suite_url": api_url(request, f"/repos/{h.REPOSITORY}/check-suites/{run.id + 7}"),
        "artifacts_url": f"{base}/artifacts",
        "cancel_url": f"{base}/cancel",
        "rerun_url": f"{base}/rerun",
        "previous_attempt_url": f"{base}/attempts/{run.run_attempt - 1}" if run.run_attempt > 1 else None,
        "workflow_url": api_url(request, f"/repos/{h.REPOSITORY}/actions/workflows/{WORKFLOW_ID}"),
        "head_commit": {
            "id": c.sha,
            "tree_id": h.stable_id("", "tree", c.sha, length=40).lower(),
            "message": c.message,
            "timestamp": h.iso(c.pushed_at),
            "author": {"name": c.author_name, "email": c.author_email},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repo,
        "head_repository": repo,
        "head_repository_id": REPO_ID,
    }


def job_json(request: StandinRequest, run: Run, job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "run_id": run.id,
        "run_url": api_url(request, f"/repos/{h.REPOSITORY}/actions/runs/{run.id}"),
        "run_attempt": run.run_attempt,
        "node_id": h.stable_id("CR_kwDO", job.id, length=12),
        "head_sha": run.commit.sha,
        "head_branch": run.commit.branch,
        "workflow_name": h.WORKFLOW_NAME,
        "url": api_url(request, f"/repos/{h.REPOSITORY}/actions/jobs/{job.id}"),
        "html_url": f"https://github.com/{h.REPOSITORY}/actions/runs/{run.id}/job/{job.id}",
        "status": job.status,
        "conclusion": job.conclusion,
        "created_at": h.iso(run.created_at),
        "started_at": h.iso(job.started_at),
        "completed_at": h.iso(job.completed_at) if job.completed_at else None,
        "name": job.name,
        "steps": [],
        "check_run_url": api_url(request, f"/repos/{h.REPOSITORY}/check-runs/{job.id}"),
        "labels": ["ubuntu-latest"],
        "runner_id": 40 + job.id % 7 if job.status != "queued" else None,
        "runner_name": f"GitHub Actions {40 + job.id % 7}" if job.status != "queued" else None,
        "runner_group_id": 2 if job.status != "queued" else None,
        "runner_group_name": "GitHub Actions" if job.status != "queued" else None,
    }


def paged(request: StandinRequest, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    """Slice by ``per_page``/``page`` and build GitHub's Link header."""
    per_page = max(1, min(100, request.int_arg("per_page", 30)))
    page = max(1, request.int_arg("page", 1))
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    other = [(k, v) for k, v in request.query if k not in ("page", "per_page")]

    def link(p: int, rel: str) -> str:
        query = urlencode([*other, ("per_page", str(per_page)), ("page", str(p))])
        return f'<{request.base_url}{request.path}?{query}>; rel="{rel}"'

    links = []
    if page > 1:
        links += [link(page - 1, "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    return chunk, ({"Link": ", ".join(links)} if links else {})

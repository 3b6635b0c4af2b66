"""The GitHub stand-in's repository: the "Deploy Realtor Platform" workflow's runs with their jobs
(test, security-scan, build-and-deploy, database-migration, notify), the files on ``main`` and each
job's log text. The API that serves them is ``github``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sandbox.provider_standins import history as h
from sandbox.provider_standins.blobs import BlobServer
from sandbox.provider_standins.protocol import StandinError

WORKFLOW_ID = 98765432
REPO_ID = 712345678
OWNER, REPO = h.REPOSITORY.split("/")
BRANCHES = ("main", "develop")

# Each job: (name, seconds it takes). Runs go test → security-scan → build-and-deploy →
# database-migration → notify.
JOBS = (
    ("test", 212),
    ("security-scan", 95),
    ("build-and-deploy", 188),
    ("database-migration", 41),
    ("notify", 6),
)


@dataclass
class Job:
    id: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None


@dataclass
class Run:
    id: int
    run_number: int
    commit: h.Commit
    event: str
    status: str
    conclusion: str | None
    created_at: datetime
    updated_at: datetime
    run_attempt: int = 1
    jobs: list[Job] = field(default_factory=list)


def _jobs_for(run_id: int, outcome: str, branch: str, start: datetime) -> list[Job]:
    # outcome per job: "success", "failure", "skipped", "cancelled", "running", "queued"
    plan = {
        "ok": ["success", "success", "success", "success", "success"],
        "build-error": ["success", "success", "failure", "skipped", "success"],
        "test-failure": ["failure", "success", "skipped", "skipped", "success"],
        "canceled": ["success", "success", "cancelled", "skipped", "skipped"],
        "building": ["success", "success", "running", "queued", "queued"],
    }[outcome]
    if branch not in BRANCHES and plan[3] == "success":
        plan[3] = "skipped"  # previews do not migrate a database
    jobs, at = [], start + timedelta(seconds=9)
    for i, ((name, seconds), result) in enumerate(zip(JOBS, plan, strict=True)):
        job_id = run_id * 10 + i + 1
        if result == "running":
            jobs.append(Job(job_id, name, "in_progress", None, at, None))
        elif result == "queued":
            jobs.append(Job(job_id, name, "queued", None, at, None))
        elif result == "skipped":
            jobs.append(Job(job_id, name, "completed", "skipped", at, at))
        else:
            end = at + timedelta(seconds=seconds if result == "success" else seconds // 2)
            jobs.append(Job(job_id, name, "completed", result, at, end))
            at = end + timedelta(seconds=3)
    return jobs


@dataclass
class GitHubData:
    now: datetime
    runs: list[Run] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_number: int = 0
    files: dict[str, bytes] = field(default_factory=dict)  # repository path -> contents (main branch)
    blobs: BlobServer = field(default_factory=BlobServer)
    cancel_hangs: bool = False  # cancel is accepted but the run keeps going (force-cancel stops it)

    @classmethod
    def build(cls, now: datetime | None = None) -> GitHubData:
        now = now or datetime.now(UTC)
        data = cls(now=now)
        commits = h.commits(now)
        for n, commit in enumerate(commits):
            number = 400 + len(commits) - n
            run_id = 9_100_000_000 + number * 37
            created = commit.pushed_at + timedelta(seconds=20)
            jobs = _jobs_for(run_id, commit.outcome, commit.branch, created)
            running = commit.outcome == "building"
            conclusion = {"ok": "success", "canceled": "cancelled", "building": None}.get(
                commit.outcome, "failure"
            )
            finished = max((j.completed_at for j in jobs if j.completed_at), default=created)
            data.runs.append(
                Run(
                    id=run_id,
                    run_number=number,
                    commit=commit,
                    event="push" if commit.branch in BRANCHES else "pull_request",
                    status="in_progress" if running else "completed",
                    conclusion=conclusion,
                    created_at=created,
                    updated_at=now if running else finished,
                    jobs=jobs,
                )
            )
        data.next_number = 401 + len(commits)
        data.files = _repository_files()
        return data

    def find_job(self, job_id: str) -> tuple[Run, Job]:
        for run in self.runs:
            for job in run.jobs:
                if str(job.id) == job_id:
                    return run, job
        raise StandinError(404, "Not Found")

    def find(self, run_id: str) -> Run:
        for run in self.runs:
            if str(run.id) == run_id:
                return run
        raise StandinError(404, "Not Found")


WORKFLOW_YAML = """name: Deploy Realtor Platform

on:
  push:
    branches: [main, develop]
  pull_request:
    branches: [main]

env:
  NODE_VERSION: '18'

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci
      - run: npm test

  security-scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm audit --audit-level high

  build-and-deploy:
    needs: [test, security-scan]
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npx vercel deploy --prebuilt --prod --token=${{ secrets.VERCEL_TOKEN }}

  database-migration:
    needs: build-and-deploy
    runs-on: ubuntu-latest
    if: github.ref == 'refs/heads/main'
    steps:
      - uses: actions/checkout@v4
      - run: npx prisma migrate deploy
        env:
          DATABASE_URL: ${{ secrets.DATABASE_URL }}

  notify:
    needs: [build-and-deploy, database-migration]
    runs-on: ubuntu-latest
    if: always()
    steps:
      - run: echo "Deployment finished"
"""


def _repository_files() -> dict[str, bytes]:
    from sandbox.migration_story import repository_migrations

    files = {h.WORKFLOW_FILE: WORKFLOW_YAML.encode()}
    for name, sql in repository_migrations():
        files[f"prisma/migrations/{name}/migration.sql"] = sql.encode()
    files["prisma/migrations/migration_lock.toml"] = b'provider = "postgresql"\n'
    return files


def job_log(run: Run, job: Job) -> str:
    c = run.commit
    lines = [
        "Requested labels: ubuntu-latest",
        f"Job defined at: {h.REPOSITORY}/{h.WORKFLOW_FILE}@refs/heads/{c.branch}",
        "Current runner version: '2.321.0'",
        f"##[group]Run actions/checkout@v4 ({c.sha[:7]})",
        "##[endgroup]",
    ]
    if job.name == "test":
        lines += ["> realtor-platform@1.4.2 test", "> jest --ci"]
        if job.conclusion == "failure":
            lines += ["FAIL src/search/geohash.test.ts", "  ● geohash index › finds listings near a point",
                      "    expect(received).toHaveLength(expected)", "Tests: 1 failed, 212 passed, 213 total",
                      "##[error]Process completed with exit code 1."]
        else:
            lines += ["Tests: 213 passed, 213 total"]
    elif job.name == "build-and-deploy":
        lines += ["Vercel CLI 37.4.2", "Building..."]
        if job.conclusion == "failure":
            lines += ["Failed to compile.", "Type error: Property 'rsvp' does not exist on type 'OpenHouse'.",
                      'Error: Command "npm run build" exited with 1', "##[error]Process completed with exit code 1."]
        else:
            lines += ["Production: https://realtor-platform.com [2m]"]
    elif job.name == "database-migration":
        lines += ["Prisma schema loaded from prisma/schema.prisma", "7 migrations found in prisma/migrations",
                  "No pending migrations to apply."]
    else:
        lines += [f"{job.name}: done"]
    status = job.conclusion or job.status
    lines.append(f"Cleaning up orphan processes (job {status})")
    return "\n".join(lines) + "\n"

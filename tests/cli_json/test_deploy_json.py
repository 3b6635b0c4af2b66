"""``deploy/ci/migrations/cache … --json`` print what the results' own methods return, byte for byte what the
CLI used to build by hand (the ``legacy`` expressions are the CLI's former code, kept verbatim)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.deployments.cache_purge import PurgeResult
from services.deployments.ci import CiRun
from services.deployments.grade import DeploymentGrade, HealthAnswer
from services.deployments.prisma_status import MigrationStatus
from services.deployments.vercel_ops import DeploymentRow, Inspection
from services.providers.github_actions import JobLog
from services.providers.github_client import GitHubJob, GitHubRun
from services.providers.vercel_client import VercelDeployment
from services.providers.vercel_deployments import DeploymentAlias, DeploymentCheck, EventLine
from tests.cli_json.golden import printed

T0 = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)


def deployment_json(d: Any, *, current: bool, rolled_back_from: bool = False) -> dict[str, Any]:
    commit = None
    if d.commit_sha:
        commit = {"sha": d.commit_sha, "message": d.commit_message, "branch": d.branch, "author": d.commit_author}
    return {"id": d.id, "url": d.url, "state": d.state, "target": d.target, "created_at": d.created_at.isoformat(),
            "current": current, "rolled_back_from": rolled_back_from, "build_seconds": d.duration_s,
            "creator": d.creator, "commit": commit, "error": d.error_message}


def deployments() -> list[VercelDeployment]:
    return [VercelDeployment("dpl_a", "app", "app-a.vercel.app", "READY", "production", T0, T0,
                             T0 + timedelta(seconds=42.5), "me", "abc1234", "main", "fix it", "Ann", None, None),
            VercelDeployment("dpl_b", "app", "app-b.vercel.app", "ERROR", None, T0, None, None, "you", "", "", "",
                             "", "https://i", "boom")]


def test_deploy_list() -> None:
    rows = [DeploymentRow(d, current, back) for d in deployments() for current in (True, False) for back in (True, False)]
    legacy = [deployment_json(r.deployment, current=r.current, rolled_back_from=r.rolled_back_from) for r in rows]
    assert printed([r.to_json() for r in rows]) == printed(legacy)


def test_deploy_inspect() -> None:
    for d in deployments():
        seen = Inspection(d, True, (DeploymentAlias("x.app", T0, None),),
                          (DeploymentCheck("e2e", "completed", None, True, None),
                           DeploymentCheck("lint", "completed", "succeeded", False, "u")),
                          (EventLine(1, "stdout", "hi", "1"), EventLine(2, "stderr", "oh", "2", "READY")), 12.0)
        legacy = {"deployment": deployment_json(d, current=seen.current),
                  "build_seconds": seen.build_seconds,
                  "aliases": [a.alias for a in seen.aliases],
                  "checks": [{"name": c.name, "status": c.status, "conclusion": c.conclusion,
                              "blocking": c.blocking} for c in seen.checks],
                  "events": [{"created_ms": e.created_ms, "type": e.type, "text": e.text} for e in seen.events]}
        assert printed(seen.to_json()) == printed(legacy)


def test_deploy_redeploy_and_cancel() -> None:
    for d in deployments():
        assert printed(d.brief_json()) == printed({"id": d.id, "url": d.url, "state": d.state})
        assert printed(d.brief_json(url=False)) == printed({"id": d.id, "state": d.state})


def test_deploy_grade() -> None:
    for g in (DeploymentGrade("dpl_a", "https://a", "B+", 80, ("csp: weaker",), HealthAnswer(200, "healthy", 3.0)),
              DeploymentGrade("dpl_b", "https://b", None, None, (), HealthAnswer(None, "timed out", None), "no")):
        legacy = {"id": g.deployment_id, "url": g.url, "grade": g.grade, "score": g.score,
                  "problems": list(g.problems), "health": {"status": g.health.status, "state": g.health.state},
                  "error": g.error}
        assert printed(g.to_json()) == printed(legacy)


def test_ci_runs() -> None:
    run = GitHubRun(7, 3, 2, "deploy", "fix it", "push", "completed", None, "main", "abc", "ann", T0,
                    T0 + timedelta(seconds=90), "https://run")
    jobs = (GitHubJob(1, 7, "build", "completed", "success", T0, T0 + timedelta(seconds=5), None),
            GitHubJob(2, 7, "migrate", "queued", None, None, None, None))
    found = [CiRun(run, jobs, True), CiRun(run, (), False)]
    legacy = [{"id": r.run.id, "number": r.run.run_number, "attempt": r.run.run_attempt,
               "status": r.run.status, "conclusion": r.run.conclusion, "branch": r.run.branch,
               "sha": r.run.commit_sha, "title": r.run.title, "event": r.run.event, "actor": r.run.actor,
               "created_at": r.run.created_at.isoformat(), "duration_s": r.duration_s,
               "ordering_risk": r.ordering_risk, "url": r.run.html_url,
               "jobs": [{"id": j.id, "name": j.name, "status": j.status, "conclusion": j.conclusion,
                         "duration_s": j.duration_s} for j in r.jobs]} for r in found]
    assert printed([r.to_json() for r in found]) == printed(legacy)


def test_ci_log() -> None:
    log = JobLog(5, "line\n", True, "blob.example")
    assert printed(log.to_json()) == printed({"job_id": log.job_id, "truncated": log.truncated, "text": log.text})


def test_migrations_status() -> None:
    s = MigrationStatus("prisma/migrations", True, ("a", "b", "c"), ("a",), ("b",), (), ("c",), (), ("z",),
                        "databaseIsBehind", "a", "2 migrations have not yet been applied", 1)
    legacy = {"source": s.source, "applied": list(s.applied), "pending": list(s.pending),
              "failed": list(s.failed), "rolled_back": list(s.rolled_back), "modified": list(s.modified),
              "not_in_folder": list(s.not_in_folder), "up_to_date": s.up_to_date, "history": s.history,
              "verdict": s.verdict, "deploy_would_apply": list(s.deploy_would_apply)}
    assert printed(s.to_json()) == printed(legacy)


def test_cache_purge() -> None:
    result = PurgeResult("example.com", "url", 3, 1, "Free")
    legacy = {"zone": result.zone, "kind": result.kind, "count": result.count, "requests": result.requests,
              "plan": result.plan}
    assert printed(result.to_json()) == printed(legacy)

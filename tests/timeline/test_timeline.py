"""The timeline: every source merged in time order, incidents linked to the change before them (within
the window, not after it), a source that is down named with its last-known events, and the CLI showing
the same rows as the service."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.core import workspace as ws
from services.core.errors import ConfigError, ConnectionFailure, FailureKind
from services.health.history import HealthHistory
from services.health.model import Status, Transition
from services.timeline import Event, Kind, TimelineRequest, build_timeline
from services.timeline.service import parse_since
from services.timeline.sources import SOURCES
from tests.backup.conftest import build

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _ctx(tmp_path: Path, app_dirs: dict[str, Path], names: tuple[str, ...] = ("production", "staging")):  # type: ignore[no-untyped-def]
    envs = [ws.seed_environment(n, ws.EnvironmentKind(n)) for n in names]
    ctx, path, _ = build(tmp_path, envs, app_dirs)
    return ctx, path


def _deployment(env: str, minutes: int, ident: str, *, live: bool = True) -> Event:
    return Event(f"deployment:{ident}", NOW + timedelta(minutes=minutes), Kind.DEPLOYMENT, env, "maria",
                 f"deployment ready: {ident}", ref=ident, change=live)


def _incident(env: str, minutes: int, ident: int) -> Event:
    return Event(f"incident:{ident}", NOW + timedelta(minutes=minutes), Kind.INCIDENT, env, "health check",
                 "Platform /api/health down: 503", attention=True)


async def test_incidents_link_to_the_change_within_the_window_only(tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    ctx, _ = _ctx(tmp_path, app_dirs)

    async def vercel(_ctx, env, since):  # type: ignore[no-untyped-def]
        if env.name != "production":
            return []
        return [_deployment("production", -120, "dpl_old"), _deployment("production", 0, "dpl_new"),
                _deployment("production", 200, "dpl_failed", live=False)]

    async def health(_ctx, env, since):  # type: ignore[no-untyped-def]
        if env.name == "production":
            return [_incident("production", 10, 1),   # 10 min after dpl_new went live: linked
                    _incident("production", 120, 2),  # 2 h after: not linked
                    _incident("production", 205, 3)]  # after a deployment that never went live: not linked
        return [_incident("staging", 5, 4)]  # another environment's deployment is no cause

    async def migrations(_ctx, env, since):  # type: ignore[no-untyped-def]
        if env.name != "staging":
            return []
        return [Event("migration:m1", NOW - timedelta(minutes=20), Kind.MIGRATION, "staging", "prisma migrate",
                      "migration 2026_add_tours applied", change=True)]

    async def backups(_ctx, env, since):  # type: ignore[no-untyped-def]
        return [Event(f"backup:{env.name}-1", NOW - timedelta(hours=3), Kind.BACKUP, env.name, "cron", "backup"),
                Event(f"backup:{env.name}-2", NOW - timedelta(minutes=5), Kind.BACKUP, env.name, "cron", "backup")]

    timeline = await build_timeline(ctx, TimelineRequest(since=timedelta(days=7)),
                                    sources={"Vercel": vercel, "health history": health, "migrations": migrations,
                                             "backup catalog": backups}, now=NOW + timedelta(hours=5))
    times = [e.time for e in timeline.events]
    assert times == sorted(times, reverse=True)  # newest first
    assert not timeline.gaps
    by_id = {e.id: e for e in timeline.events}
    assert by_id["incident:1"].related == ("deployment:dpl_new",)
    assert "incident:1" in by_id["deployment:dpl_new"].related
    assert by_id["incident:1"].offers == (("rollback", "deployment:dpl_old"),)  # the live one before it
    assert by_id["incident:2"].related == () and by_id["incident:3"].related == ()
    # Staging's incident 25 min after its migration: linked, and it offers the backup taken before it.
    assert by_id["incident:4"].related == ("migration:m1",)
    assert by_id["incident:4"].offers == (("restore", "backup:staging-1"),)

    # A narrower window unlinks it; a kind filter keeps the links computed on everything.
    narrow = await build_timeline(ctx, TimelineRequest(window_min=5), sources={
        "Vercel": vercel, "health history": health}, now=NOW + timedelta(hours=5))
    assert {e.id: e for e in narrow.events}["incident:1"].related == ()
    only = await build_timeline(ctx, TimelineRequest(kinds=(Kind.INCIDENT,)), sources={
        "Vercel": vercel, "health history": health}, now=NOW + timedelta(hours=5))
    assert {e.kind for e in only.events} == {Kind.INCIDENT}
    assert {e.id: e for e in only.events}["incident:1"].related == ("deployment:dpl_new",)


async def test_a_source_that_is_down_is_named_and_its_last_known_events_shown(tmp_path: Path,
                                                                              app_dirs: dict[str, Path]) -> None:
    ctx, _ = _ctx(tmp_path, app_dirs, ("production",))
    up = {"vercel": True}

    async def vercel(_ctx, env, since):  # type: ignore[no-untyped-def]
        if not up["vercel"]:
            raise ConnectionFailure("api.vercel.com cannot be reached", kind=FailureKind.UNREACHABLE)
        return [_deployment("production", 0, "dpl_a")]

    async def github(_ctx, env, since):  # type: ignore[no-untyped-def]
        raise ConnectionFailure("api.github.com answered 503", kind=FailureKind.SERVER_ERROR)

    async def health(_ctx, env, since):  # type: ignore[no-untyped-def]
        return [_incident("production", 10, 1)]

    sources = {"Vercel": vercel, "GitHub Actions": github, "health history": health}
    first = await build_timeline(ctx, TimelineRequest(), sources=sources, now=NOW + timedelta(hours=1))
    assert [g.source for g in first.gaps] == ["GitHub Actions"]
    assert "nothing known from it" in first.gaps[0].sentence() and "503" in first.gaps[0].sentence()

    up["vercel"] = False
    second = await build_timeline(ctx, TimelineRequest(), sources=sources, now=NOW + timedelta(hours=1))
    ids = {e.id for e in second.events}
    assert {"deployment:dpl_a", "incident:1"} <= ids  # the rest shown, Vercel's last-known events too
    gap = next(g for g in second.gaps if g.source == "Vercel")
    assert gap.cached_at is not None and "cannot be reached" in gap.sentence() and "showing what was known" in gap.sentence()
    assert {e.id: e for e in second.events}["incident:1"].related == ("deployment:dpl_a",)


async def test_real_sources_audit_health_and_backups(backup_env, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit log, the health history and a real backup in a real bucket, merged; the CLI, reading
    the same folders, shows the same rows."""
    from services.backup.dump_stream import create_backup
    from services.core.app_context import open_workspace
    from services.core.progress import Progress

    for key, value in backup_env.secrets.items():
        monkeypatch.setenv(key, value)
    ctx = open_workspace(str(backup_env.workspace_path), secrets_from_env=True)  # the CLI's own folders
    env = backup_env.env
    import psycopg

    with psycopg.connect(backup_env.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE listings (id int); INSERT INTO listings SELECT generate_series(1, 10)")
    manifest = await create_backup(ctx, env.name, Progress())
    ctx.audit.record(environment=env.name, action="import .env", target=".env.staging", outcome="done",
                     reason="new Stripe keys")
    ctx.audit.record(environment=env.name, action="backup create", outcome="failed: Backup storage at x refused")
    history = HealthHistory(ctx.paths.data / "health.sqlite3")
    now = datetime.now(UTC)
    history.record_batch([Transition(env.name, "platform", Status.UP, Status.DOWN, now, "503 from /api/health")])
    history.close()

    sources = {k: v for k, v in SOURCES.items() if k in ("audit log", "health history", "backup catalog")}
    timeline = await build_timeline(ctx, TimelineRequest(environment=env.name), sources=sources)
    kinds = {e.kind for e in timeline.events}
    assert {Kind.BACKUP, Kind.ENV_EDIT, Kind.INCIDENT} <= kinds
    backup = next(e for e in timeline.events if e.kind is Kind.BACKUP and not e.attention)
    assert backup.ref == manifest.id and backup.screen == "backups"
    edit = next(e for e in timeline.events if e.kind is Kind.ENV_EDIT)
    assert "new Stripe keys" in edit.summary and edit.screen == "environments"
    failed = next(e for e in timeline.events if e.kind is Kind.BACKUP and e.attention)
    assert "refused" in failed.summary
    incident = next(e for e in timeline.events if e.kind is Kind.INCIDENT)
    assert "still open" in incident.summary and incident.ended is None

    # The CLI shows the same rows, newest first, as JSON and as a table.
    out = backup_env.cli("--json", "timeline", "--env", env.name, "--since", "1d")
    assert out.returncode in (0, 1), out.stderr
    doc = json.loads(out.stdout)
    cli_ids = [e["id"] for e in doc["events"] if not e["id"].startswith(("deployment:", "ci:", "migration:"))]
    assert cli_ids == [e.id for e in timeline.events]
    assert {"time", "kind", "environment", "actor", "summary", "related"} <= set(doc["events"][0])


def test_spans_and_bad_requests() -> None:
    assert parse_since("7d") == timedelta(days=7) and parse_since("90m") == timedelta(minutes=90)
    assert parse_since("2w") == timedelta(days=14) and parse_since("36h") == timedelta(hours=36)
    for bad in ("", "7", "d", "-1d", "0d", "1y", "9999d", "7 d", "1e3d"):
        with pytest.raises(ConfigError):
            parse_since(bad)


async def test_a_two_step_source_answers_early_and_the_partial_names_what_is_still_read(
        tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    """The Overview fills its attention card from the timeline so far: heard once every source answered at
    least the first step of its read, naming the sources still reading; never before, never after the end."""
    import asyncio

    ctx, _ = _ctx(tmp_path, app_dirs, ("production",))
    details = asyncio.Event()
    heard: list[tuple[tuple[str, ...], list[str]]] = []

    async def vercel(_ctx, env, since):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.05)  # answers after the two-step source's first step
        return [_deployment("production", 0, "dpl_new")]

    async def health(_ctx, env, since):  # type: ignore[no-untyped-def]
        return [_incident("production", 10, 1)]

    async def github(_ctx, env, since, early=None):  # type: ignore[no-untyped-def]
        run = Event("ci:7", NOW - timedelta(minutes=30), Kind.CI_RUN, "production", "maria", "deploy #7 failure",
                    attention=True)
        early([run])
        await details.wait()
        return [Event("ci:7", run.time, Kind.CI_RUN, "production", "maria", "deploy #7 failure — failing: test",
                      attention=True)]

    def partial(t) -> None:  # type: ignore[no-untyped-def]
        heard.append((t.pending, [e.summary for e in t.events]))
        details.set()  # the details arrive only after the partial was heard

    timeline = await asyncio.wait_for(build_timeline(ctx, TimelineRequest(), sources={
        "Vercel": vercel, "health history": health, "GitHub Actions": github}, now=NOW + timedelta(hours=1),
        on_partial=partial), 10)
    assert heard == [(("GitHub Actions",), ["Platform /api/health down: 503", "deployment ready: dpl_new",
                                             "deploy #7 failure"])]
    assert timeline.pending == () and "failing: test" in timeline.find("ci:7").summary  # type: ignore[union-attr]
    assert timeline.find("incident:1").related == ("deployment:dpl_new",)  # type: ignore[union-attr]


async def test_github_runs_are_heard_before_the_failed_runs_jobs(tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    """The real source against the GitHub stand-in: the runs as soon as they are listed (a failed one says
    its jobs are being read), then the failing jobs by name."""
    import asyncio
    import time

    from sandbox.provider_standins.catalog import SANDBOX_SECRETS, StandinGroup
    from services.core.credentials import CredentialStore
    from services.timeline.sources import ci_events

    group = StandinGroup().start()
    try:
        ctx, _ = _ctx(tmp_path, app_dirs, ("production",))
        env = ctx.workspace.environment("production")
        env.providers = group.provider_settings("production")
        ctx.credentials = CredentialStore(ctx.workspace.id, from_env=dict(SANDBOX_SECRETS))
        server = group.servers["github"]

        def slow_jobs(request, response):  # type: ignore[no-untyped-def]
            if request.path.endswith("/jobs"):
                time.sleep(0.5)
            return response

        server.answer_transform = slow_jobs
        early: list[tuple[float, list[Event]]] = []
        loop = asyncio.get_running_loop()
        events = await ci_events(ctx, env, datetime.now(UTC) - timedelta(days=30),
                                 early=lambda found: early.append((loop.time(), found)))
        ended = loop.time()
        assert len(early) == 1 and ended - early[0][0] >= 0.4  # heard while the jobs were still being read
        failed = [e for e in early[0][1] if e.attention]
        assert failed and all(e.summary.endswith("its jobs are being read") for e in failed)
        final = {e.id: e.summary for e in events}
        assert {e.id for e in early[0][1]} == set(final)
        assert all(" — failing: " in final[e.id] for e in failed)
    finally:
        group.stop()


async def test_a_source_that_does_not_answer_holds_nothing_else_back_after_the_deadline(
        tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    """A provider that does not answer at all: from ``partial_after`` on, each answer is heard with the
    silent source named as still being read; before it, nothing (every source may still answer soon)."""
    import asyncio

    ctx, _ = _ctx(tmp_path, app_dirs, ("production",))
    release = asyncio.Event()
    heard: list[tuple[float, tuple[str, ...], list[str]]] = []
    loop = asyncio.get_running_loop()
    asked = loop.time()

    async def health(_ctx, env, since):  # type: ignore[no-untyped-def]
        return [_incident("production", 10, 1)]  # at once: before the deadline

    async def vercel(_ctx, env, since):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.4)  # after the deadline
        return [_deployment("production", 0, "dpl_new")]

    async def github(_ctx, env, since):  # type: ignore[no-untyped-def]
        await release.wait()  # silent until the test has heard the rest
        return []

    def partial(t) -> None:  # type: ignore[no-untyped-def]
        heard.append((loop.time() - asked, t.pending, [e.id for e in t.events]))
        release.set()

    timeline = await asyncio.wait_for(build_timeline(ctx, TimelineRequest(), sources={
        "health history": health, "Vercel": vercel, "GitHub Actions": github}, now=NOW + timedelta(hours=1),
        on_partial=partial, partial_after=0.2), 10)
    assert len(heard) == 1
    when, pending, ids = heard[0]
    assert when >= 0.2 and pending == ("GitHub Actions",)
    assert set(ids) == {"incident:1", "deployment:dpl_new"}
    assert timeline.pending == () and {e.id for e in timeline.events} == {"incident:1", "deployment:dpl_new"}

"""``backup … --json`` prints what the result's own method returns, byte for byte what the CLI used to build
by hand (the ``legacy`` expressions below are the CLI's former code, kept verbatim)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.backup.catalog import CatalogEntry
from services.backup.manifest import Manifest, TableStat, Verification
from services.backup.restore import RestoreResult
from services.backup.retention import Decision, LifecycleStatus, RetentionPlan
from services.backup.schedule import Schedule
from tests.cli_json.golden import printed

T0 = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)
T1 = datetime(2025, 1, 15, 2, 3, 4, 500000, tzinfo=UTC)


def manifest() -> Manifest:
    return Manifest("20250115T020000Z-a1b2", "production", "realtor", "db/production/k", T0, T1, 184.5, "me",
                    "manual", "16.4", "17.0", 17, 1234, 5678, 99999, "ab" * 32, "zstd", 3, 8 << 20, 2, "STANDARD",
                    ("audit",), (TableStat("public", "listing", 10, 9, 8192), TableStat("public", "x", -1, -1, 0)),
                    ("a note", "another"))


def test_backup_create() -> None:
    m: Any = manifest()
    legacy = {"id": m.id, "environment": m.environment, "key": m.key, "bytes": m.bytes, "sha256": m.sha256,
              "created_at": m.created_at.isoformat(), "finished_at": m.finished_at.isoformat(),
              "duration_s": m.duration_s, "dump_bytes": m.dump_bytes, "database_bytes": m.database_bytes,
              "server_version": m.server_version, "client_version": m.client_version, "trigger": m.trigger,
              "compression": m.compression, "storage_class": m.storage_class, "parts": m.parts,
              "tables": len(m.tables), "notes": list(m.notes)}
    assert printed(m.summary_json()) == printed(legacy)
    assert isinstance(m.to_json(), str) and Manifest.from_json(m.to_json()) == m  # the file's text, unchanged


def test_backup_list() -> None:
    entries = (CatalogEntry("a", "production", "k/a", "good", T0, 5, "ff", "verified", T1, "scheduled"),
               CatalogEntry("b", "production", "k/b", "unfinished", T1, 0, "", "unverified", None, ""))
    legacy = [{
        "id": e.id, "environment": e.environment, "key": e.key, "state": e.state, "bytes": e.bytes,
        "sha256": e.sha256, "created_at": e.created_at.isoformat(), "verification": e.verification,
        "verified_at": e.verified_at.isoformat() if e.verified_at else None, "trigger": e.trigger,
    } for e in entries]
    assert printed([e.to_json() for e in entries]) == printed(legacy)


def test_backup_verify() -> None:
    for v in (Verification("a", T1, False, True, False, 12, True, None, ("bad", "worse")),
              Verification("a", T1, True, True, True, 3, False, None)):
        legacy = {"id": v.backup_id, "ok": v.ok, "checksum_ok": v.checksum_ok, "archive_ok": v.archive_ok,
                  "toc_entries": v.toc_entries, "restore_tested": v.restore_tested, "restore_ok": v.restore_ok,
                  "problems": list(v.problems), "checked_at": v.checked_at.isoformat()}
        assert printed(v.summary_json()) == printed(legacy)
        assert isinstance(v.to_json(), str)  # verification.json's text, unchanged


def test_backup_restore() -> None:
    for r in (RestoreResult("a", "staging", "realtor_staging", "swap", "b", 7, 1.5, ("n",)),
              RestoreResult("a", "scratch", "scratch", "transaction", None, 0, 0.25)):
        legacy = {"id": r.backup_id, "target": r.target, "database": r.database, "strategy": r.strategy,
                  "safety_backup": r.safety_backup_id, "tables_checked": r.tables_checked,
                  "duration_s": r.duration_s, "notes": list(r.notes)}
        assert printed(r.to_json()) == printed(legacy)


def test_backup_prune() -> None:
    keep = CatalogEntry("a", "production", "k/a", "good", T0, 5, "ff", "verified", T1, "scheduled")
    gone = CatalogEntry("b", "production", "k/b", "orphaned", T1, 0, "", "unverified", None, "")
    for dry_run in (True, False):
        plan = RetentionPlan((Decision(keep, ("daily", "newest good backup")),), (Decision(gone, ("old",)),),
                             dry_run=dry_run)
        legacy = {"dry_run": dry_run,
                  "keep": [{"id": d.entry.id, "reasons": list(d.reasons)} for d in plan.keep],
                  "delete": [{"id": d.entry.id, "state": d.entry.state, "reasons": list(d.reasons)}
                             for d in plan.delete]}
        assert printed(plan.to_json()) == printed(legacy)
    assert RetentionPlan((), ()).dry_run  # a plan deletes nothing until prune applies it


def test_backup_lifecycle() -> None:
    status = LifecycleStatus([{"ID": "r", "Filter": {"Prefix": "db/"}}], [], False, False, "not in place")
    legacy = {"in_place": status.in_place, "desired": status.desired, "current": status.current,
              "applied": status.applied, "summary": status.summary}
    assert printed(status.to_json()) == printed(legacy)


def test_backup_schedule() -> None:
    for sched in (Schedule("0 2 * * *", "0 2 * * * x", "on: x\n", ".github/workflows/b.yml", ("A", "B"), T0, "a"),
                  Schedule("0 2 * * *", "l", "y", "p", (), None, None)):
        legacy = {"cron": sched.cron, "cron_line": sched.cron_line, "workflow_path": sched.workflow_path,
                  "workflow": sched.workflow_yaml, "secrets": list(sched.secrets),
                  "last_scheduled_run": sched.last_run.isoformat() if sched.last_run else None,
                  "last_scheduled_backup": sched.last_backup_id}
        assert printed(sched.to_json()) == printed(legacy)

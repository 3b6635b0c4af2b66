"""``env … --json`` prints what the results' own methods return, byte for byte what the CLI used to build by
hand (the ``legacy`` expressions are the CLI's former code, kept verbatim)."""

from __future__ import annotations

from services.core.errors import FailureKind
from services.core.workspace import EnvironmentKind
from services.environments.connection_checks import CheckResult
from services.environments.drift import DriftItem, DriftReport, DriftSection
from services.environments.import_plan import ImportOutcome, ImportPlan, ImportResult, SettingChange
from services.environments.summaries import EnvironmentRemoval, EnvironmentRow
from tests.cli_json.golden import printed


def test_env_list() -> None:
    rows = [EnvironmentRow("production", "production", "https://a", "db:5432/app", "r:6379", "b", ("A", "B")),
            EnvironmentRow("dev", "development", "", "", "", "", ())]
    legacy = [{"name": r.name, "kind": r.kind, "app_url": r.app_url, "database": r.database, "redis": r.redis,
               "backup_bucket": r.backup_bucket, "secrets": list(r.secrets)} for r in rows]
    assert printed([r.to_json() for r in rows]) == printed(legacy)


def test_env_import_dotenv() -> None:
    plan = ImportPlan("staging", ".env", EnvironmentKind.STAGING, True,
                      settings=[SettingChange("app_url", "App URL", "", "https://s", "APP_URL", 3)],
                      unchanged=["X"], warnings=["w"])
    result = ImportResult("staging", 1, ("DATABASE_PASSWORD",), True, False)
    assert printed(ImportOutcome(plan).to_json()) == printed({"plan": plan.as_dict(), "applied": False})
    assert printed(ImportOutcome(plan, result).to_json()) == printed(
        {"plan": plan.as_dict(), "applied": True, "result": result})


def test_env_check() -> None:
    results = [CheckResult("database", "Database", "db:5432/app", "ok", "connected", latency_ms=3.5),
               CheckResult("redis", "Redis", "r:6379", "failed", "refused", FailureKind.AUTH, "Check it", None, "d")]
    legacy = [{**r.__dict__, "kind": r.kind.value if r.kind else None, "sentence": r.sentence()} for r in results]
    assert printed([r.to_json() for r in results]) == printed(legacy)


def test_env_diff() -> None:
    report = DriftReport("staging", "production", [
        DriftSection("between", "staging", "production",
                     [DriftItem("value", "APP_URL", "x", "y", "differs"), DriftItem("flag", "F", "on", "on", "", False)]),
        DriftSection("vercel", "workspace", "vercel", error="unreachable")])
    legacy = {"a": report.a, "b": report.b, "drift_count": report.drift_count,
              "sections": [{"title": s.title, "left": s.left, "right": s.right, "error": s.error,
                            "items": s.items} for s in report.sections]}
    assert printed(report.to_json()) == printed(legacy)


def test_env_remove() -> None:
    removal = EnvironmentRemoval("qa", ("DATABASE_PASSWORD", "REDIS_PASSWORD"))
    legacy = {"removed": "qa", "secrets_removed": ["DATABASE_PASSWORD", "REDIS_PASSWORD"]}
    assert printed(removal.to_json()) == printed(legacy)

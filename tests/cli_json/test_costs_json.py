"""``costs report/recommendations --json`` print what the results' own methods return, byte for byte what
the CLI used to build by hand (the ``legacy`` expressions are the CLI's former code, kept verbatim)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from services.costs.dashboard import ReportWithRecommendations
from services.costs.recommendations import Recommendation, Recommendations, RuleCheck
from services.costs.report import CostReport
from tests.cli_json.golden import printed


def recommendations() -> Recommendations:
    return Recommendations(
        (Recommendation("unused_files", "production", "x", {"n": 3, "share": 0.4}, Decimal("1.50"), ("a",), "run"),
         Recommendation("images_not_webp", "staging", "y", {}, Decimal("0.25"))),
        (RuleCheck("smaller_database", "production", "skipped", "no history"),
         RuleCheck("unused_files", "production", "recommended", "")))


class _Report:
    def to_json(self) -> dict[str, Any]:
        return {"month": "2025-01", "total_mtd": "1.00"}


def test_costs_report() -> None:
    report, recs = cast(CostReport, _Report()), recommendations()
    data = report.to_json()
    data["recommendations"] = [r.to_json() for r in recs.items]
    data["recommendation_checks"] = [{"rule": c.rule, "environment": c.environment, "outcome": c.outcome,
                                      "reason": c.reason} for c in recs.checks]
    assert printed(ReportWithRecommendations(report, recs).to_json()) == printed(data)


def test_costs_recommendations() -> None:
    for recs in (recommendations(), Recommendations(())):
        legacy = {"recommendations": [r.to_json() for r in recs.items],
                  "monthly_saving": str(recs.monthly_saving),
                  "checks": [{"rule": c.rule, "environment": c.environment, "outcome": c.outcome,
                              "reason": c.reason} for c in recs.checks]}
        assert printed(recs.to_json()) == printed(legacy)

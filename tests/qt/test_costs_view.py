"""The Costs screen over the usage stand-ins: figures, budget, charts, rows behind a figure, CSV export,
price and budget changes; the Overview's cost card; every table model under QAbstractItemModelTester."""

from __future__ import annotations

import asyncio
import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QAbstractItemModelTester, QTest

from console.error_presenter import ErrorPresenter
from console.session import Session
from services.core.app_context import AppContext, AppPaths
from services.core.audit_log import AuditLog
from services.core.errors import ConfigError
from services.core.log_setup import MASKER
from services.core.workspace import save
from services.costs.collect import open_store
from services.costs.prices import default_table
from services.costs.report import report_from_store
from services.costs.settings import sandbox_settings, save_settings
from tests.costs.conftest import TODAY, UsageStandins, credentials_for, sandbox_like_workspace
from views.costs.models import FigureModel, PriceModel, RowsModel
from views.costs.view import CostsView
from views.overview.view import OverviewView


@pytest.fixture
def costs_ctx(tmp_path: Path, app_dirs: dict[str, Path]):  # type: ignore[no-untyped-def]
    group = UsageStandins().start()
    workspace = sandbox_like_workspace(group.api_base())
    path = tmp_path / "ws.toml"
    save(workspace, path)
    paths = AppPaths(app_dirs["config"], app_dirs["data"], app_dirs["state"], app_dirs["cache"])
    save_settings(sandbox_settings(), paths.data)
    ctx = AppContext(workspace, path, credentials_for(workspace), AuditLog(paths.data / "audit.sqlite3",
                                                                            workspace="t", mask=MASKER), paths)
    yield ctx
    group.stop()
    group.check()


def test_models_pass_the_model_tester(qapp) -> None:  # type: ignore[no-untyped-def]
    from services.costs.model import Category, CostRow, RowSource
    from services.costs.report import Figure

    figures = FigureModel()
    QAbstractItemModelTester(figures, QAbstractItemModelTester.FailureReportingMode.Fatal)
    figures.set_items([Figure("vercel", Decimal("1.00"), Decimal("2.00"), Decimal("1.50"), Decimal("2.50"), "api")])
    assert figures.index(0, 1).data() == "1.00" and figures.index(0, 5).data() == "api"
    rows = RowsModel()
    QAbstractItemModelTester(rows, QAbstractItemModelTester.FailureReportingMode.Fatal)
    rows.set_items([CostRow(date(2026, 11, 1), "production", "r2", "R2 storage", Category.STORAGE,
                            Decimal("0.333333333"), "GB-month", Decimal("0.01"), "USD", RowSource.PRICED, "peak")])
    assert rows.index(0, 5).data() == "0.333333" and rows.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "peak"
    rows.set_items([])
    prices = PriceModel()
    QAbstractItemModelTester(prices, QAbstractItemModelTester.FailureReportingMode.Fatal)
    prices.set_items(default_table().current(TODAY))
    third = [prices.index(r, 8).data() for r in range(prices.rowCount())]
    assert third.count("yes") == 2


def test_the_costs_screen(qtbot, qloop, costs_ctx: AppContext, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = Session(ErrorPresenter())

    async def scenario() -> None:
        view = CostsView(session)
        view.today = TODAY
        qtbot.addWidget(view)
        session.set_context(costs_ctx)
        view.resize(1280, 900)
        view.show()
        await asyncio.wait_for(view.loaded.wait(), 60)
        with open_store(costs_ctx.paths.data) as store:
            expected = report_from_store(store, TODAY.year, TODAY.month, TODAY, sandbox_settings())
        report = view.report
        assert report.total_mtd == expected.total_mtd > 0
        assert f"{expected.total_mtd:,.2f} USD" in view.totals.text()
        assert view.providers.rowCount() == len(expected.providers)
        assert [view.categories.index(r, 0).data() for r in range(5)] == [
            "hosting", "database", "storage", "monitoring", "external"]
        assert view.budget_bar.state is not None and view.budget_bar.state.state == "at_risk"
        assert "exceeded in" in view.budget_text.text()
        assert view.anomalies.isVisible() and "vercel" in view.anomalies.text()
        # The rows behind a figure, by clicking the provider's row.
        proxy = view.providers_view.model()
        row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == "cloudflare")
        rect = view.providers_view.visualRect(proxy.index(row, 0))
        QTest.mouseClick(view.providers_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert view.last_selection == "cloudflare"
        assert {view.rows.item(r).provider for r in range(view.rows.rowCount())} == {"cloudflare"}
        cloudflare = next(p for p in expected.providers if p.name == "cloudflare")
        assert view.rows.total == cloudflare.mtd
        # A day on the chart.
        view.daily.resize(620, 200)
        x = view.daily._plot.left() + view.daily._plot.width() * (2.5 / len(report.daily))
        QTest.mouseClick(view.daily, Qt.MouseButton.LeftButton, pos=QPoint(int(x), 100))
        assert view.last_selection == report.daily[2][0].isoformat()
        assert view.rows.total == sum(report.daily[2][1].values())
        # Recommendations were worked out (their rules name why some could not run here).
        assert view.recommendations.recommendations is not None
        assert "Not checked" in view.recommendations.body.text() or view.recommendations.recommendations.items
        # The sources tab says what each source did.
        assert "vercel" in view.sources.text() and "egress is not counted" in view.sources.text()
        # CSV export through the service.
        out = tmp_path / "month.csv"
        await view.export_csv(out)
        with out.open(newline="") as fh:
            assert sum(Decimal(r["cost"]) for r in csv.DictReader(fh)) == expected.total_mtd
        # A price change from today on: a new version, the entry shown.
        await view.change_price("cloudflare.r2_storage", "0.02", TODAY, "https://developers.cloudflare.com/r2/pricing/",
                                TODAY, False)
        assert "version 2" in view.prices.version.text()
        with pytest.raises(ConfigError, match="is not a number"):
            await view.change_price("cloudflare.r2_storage", "cheap", TODAY, "https://x.example", TODAY, False)
        with pytest.raises(ConfigError, match="rewrite a past month"):
            await view.change_price("cloudflare.r2_storage", "0.02", TODAY.replace(month=TODAY.month - 1),
                                    "https://x.example", TODAY, False)
        # The budget.
        await view.change_budget("10000")
        assert view.budget_bar.state is not None and view.budget_bar.state.state == "ok"
        with pytest.raises(ConfigError, match="not an amount"):
            await view.change_budget("lots")
        # External services the user enters: added, changed, removed; bad input named.
        await view.set_external("Zillow  feed", "99.5", "production")
        assert "Zillow feed (production): 99.50/month" in view.prices.external_list.text()
        await view.set_external("Zillow feed", "", "production")
        assert "Zillow" not in view.prices.external_list.text()
        with pytest.raises(ConfigError, match="no environment named 'mars'"):
            await view.set_external("X", "1", "mars")
        with pytest.raises(ConfigError, match="is not an amount"):
            await view.set_external("X", "a lot", "")

        # The Overview's card shows the same month.
        overview = OverviewView(session)
        qtbot.addWidget(overview)
        overview.show()
        await asyncio.wait_for(overview.loaded.wait(), 60)
        card = overview.cards["costs"]
        assert f"{expected.total_mtd:,.2f} USD so far" in card.headline.text()
        assert "Within the 10,000.00 budget" in card.detail.text() and card.state == "up"

    qloop.run_until_complete(scenario())

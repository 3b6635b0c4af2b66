"""Costs: month-to-date and forecast per provider and per category, the budget with days left, a daily
and a month-by-month chart, the rows behind any figure, the seed's recommendations, the price table and
a CSV export. Everything comes from ``services.costs``; opening the screen takes today's snapshot once a
day (the console fills the store while it runs). Slots are one line that spawns a plain coroutine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.session import Session
from views.base import OpsView, heading
from views.costs.charts import DailyChart, MonthlyChart
from views.costs.models import SORT_ROLE, FigureModel, RowsModel
from views.costs.panels import BudgetBar, PriceEditor, RecommendationsPanel, budget_sentence

WHOLE = "Whole workspace"


def _table(model: Any, sort_column: int | None = None, *, fit: bool = True) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    if sort_column is not None:
        view.setSortingEnabled(True)
        view.sortByColumn(sort_column, Qt.SortOrder.DescendingOrder)
    else:
        # Sortable by a click, shown in the model's own order until then (no sort on every reset).
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    # Fitting columns to their contents asks every cell for its size: fine for a dozen figures, not
    # for a month of rows.
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents if fit
                                                 else QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().hide()
    if not fit:
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
        for column, width in enumerate((90, 100, 90, 190, 90, 90, 110, 80)):
            view.setColumnWidth(column, width)
    return view


class CostsView(OpsView):
    key = "costs"
    title = "Costs"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.report: Any = None
        self.month: tuple[int, int] | None = None
        self.today: date | None = None  # tests pin the day; None: today (UTC)
        self.auto_collect = True
        self.last_selection = ""

        self.scope = QComboBox()
        self.scope.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.scope.setAccessibleName("Scope")
        self.month_box = QComboBox()
        self.month_box.setAccessibleName("Month")
        self.collect_button = QPushButton("Collect now")
        self.export_button = QPushButton("Export CSV…")
        self.scope.activated.connect(lambda _i: self.reload())
        self.month_box.activated.connect(self._on_month)
        self.collect_button.clicked.connect(lambda: self.session.spawn(self.collect_now(), name="costs:collect"))
        self.export_button.clicked.connect(self._on_export)
        top = QHBoxLayout()
        top.addWidget(heading("Costs"))
        top.addStretch(1)
        top_widgets: list[QWidget] = [QLabel("Scope"), self.scope, QLabel("Month"), self.month_box,
                                      self.collect_button, self.export_button]
        for w in top_widgets:
            top.addWidget(w)

        self.totals = QLabel("Loading…")
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)
        self.budget_bar = BudgetBar()
        self.budget_text = QLabel("")
        self.budget_text.setWordWrap(True)
        self.anomalies = QLabel("")
        self.anomalies.setWordWrap(True)
        self.sources = QLabel("")
        self.sources.setWordWrap(True)
        self.sources.setTextFormat(Qt.TextFormat.RichText)

        self.providers = FigureModel(self)
        self.categories = FigureModel(self)
        self.rows = RowsModel(self)
        self.providers_view = _table(self.providers, sort_column=1)
        self.categories_view = _table(self.categories)  # the seed's order
        self.rows_view = _table(self.rows, fit=False)  # the report's order: by date
        for figure_view in (self.providers_view, self.categories_view):
            figure_view.setMinimumHeight(150)
        self.rows_label = QLabel("Click a provider, a category or a day to see the rows behind it.")
        self.providers_view.clicked.connect(lambda i: self._figure_clicked(self.providers_view, i, "provider"))
        self.categories_view.clicked.connect(lambda i: self._figure_clicked(self.categories_view, i, "category"))
        self.daily = DailyChart()
        self.monthly = MonthlyChart()
        self.daily.day_clicked.connect(self.show_day)

        figures = QGridLayout()
        figures.addWidget(QLabel("<b>Per provider</b>"), 0, 0)
        figures.addWidget(QLabel("<b>Per category</b>"), 0, 1)
        figures.addWidget(self.providers_view, 1, 0)
        figures.addWidget(self.categories_view, 1, 1)
        charts = QHBoxLayout()
        charts.addWidget(self.daily, 3)
        charts.addWidget(self.monthly, 2)
        summary = QWidget()
        s_layout = QVBoxLayout(summary)
        summary_widgets: list[QWidget] = [self.totals, self.budget_bar, self.budget_text, self.anomalies]
        for w in summary_widgets:
            s_layout.addWidget(w)
        s_layout.addLayout(figures, 2)
        s_layout.addLayout(charts, 2)
        rows_panel = QWidget()
        r_layout = QVBoxLayout(rows_panel)
        r_layout.setContentsMargins(0, 0, 0, 0)
        r_layout.addWidget(self.rows_label)
        r_layout.addWidget(self.rows_view)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(summary)
        split.addWidget(rows_panel)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 140])

        self.recommendations = RecommendationsPanel()
        self.prices = PriceEditor()
        self.prices.change_requested.connect(
            lambda *a: self.session.spawn(self.change_price(*a), name="costs:price"))
        self.prices.budget_requested.connect(lambda t: self.session.spawn(self.change_budget(t), name="costs:budget"))
        self.prices.external_requested.connect(
            lambda n, m, e: self.session.spawn(self.set_external(n, m, e), name="costs:external"))
        self.tabs = QTabWidget()
        self.tabs.addTab(split, "Month")
        self.tabs.addTab(self.recommendations, "Recommendations")
        self.tabs.addTab(self.prices, "Prices and budget")
        sources_tab = QWidget()
        QVBoxLayout(sources_tab).addWidget(self.sources, 1, Qt.AlignmentFlag.AlignTop)
        self.tabs.addTab(sources_tab, "Sources")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    # --- loading ----------------------------------------------------------------------------------
    def _today(self) -> date:
        return self.today or datetime.now(UTC).date()

    def scope_env(self) -> str | None:
        text = self.scope.currentText()
        return None if not text or text == WHOLE else text

    async def load(self) -> None:
        from services.costs.dashboard import collected_today

        ctx = self.session.ctx
        if self.scope.count() == 0:
            self.scope.addItems([WHOLE, *ctx.workspace.environments])
        await self.show_month()
        if self.auto_collect and not await collected_today(ctx, self._today()):
            await self.collect_now()
        await self.show_prices()
        await self.show_recommendations()

    async def show_month(self) -> None:
        from services.costs.dashboard import load_report, source_statuses

        ctx = self.session.ctx
        report = await load_report(ctx, month=self.month, env=self.scope_env(), today=self._today())
        self.report = report
        self._render(report)
        when, lines = await source_statuses(ctx)
        self._render_sources(when, lines)

    def _render(self, report: Any) -> None:
        cur = report.currency
        self.totals.setText(
            f"<span style='font-size:15pt'><b>{report.total_mtd:,.2f} {cur}</b></span> month to date "
            f"({report.month}, as of {report.as_of:%d %b}) &nbsp;·&nbsp; forecast <b>{report.total_forecast:,.2f}</b> "
            f"<span style='color:#5f6368'>(range {report.total_low:,.2f}–{report.total_high:,.2f})</span>")
        self.budget_bar.set_state(report.budget, cur)
        lines = [budget_sentence(b, cur) for b in ([report.budget] if report.budget else [])]
        lines += [f"{b.scope}: " + budget_sentence(b, cur) for b in report.provider_budgets]
        self.budget_text.setText("Budget: " + "\n".join(lines) if lines else
                                 "No budget set (Prices and budget tab)")
        self.anomalies.setText("\n".join("⚠ " + a.text() for a in report.anomalies))
        self.anomalies.setVisible(bool(report.anomalies))
        self.providers.set_items(report.providers)
        self.categories.set_items(report.categories)
        provider_order = [p.name for p in report.providers]
        self.daily.set_days(report.daily, provider_order, [a.day for a in report.anomalies])
        months = list(report.monthly)
        self.monthly.set_months(months, report.total_forecast)
        known = [m for m, _ in months] or [report.month]
        if report.month not in known:
            known.append(report.month)
        self.month_box.blockSignals(True)
        self.month_box.clear()
        self.month_box.addItems(sorted(known, reverse=True))
        self.month_box.setCurrentText(report.month)
        self.month_box.blockSignals(False)
        self.rows.set_items(report.rows)
        self.rows_label.setText(f"All {len(report.rows)} rows of {report.month} ({report.total_mtd:,.2f} {cur}). "
                                "Click a provider, a category or a day to narrow them.")

    def _render_sources(self, when: str | None, lines: Any) -> None:
        import html

        if not when:
            self.sources.setText("No snapshot has been taken yet.")
            return
        items = "".join(f"<li><b>{html.escape(s.environment)} / {html.escape(s.collector)}</b>: "
                        f"{html.escape(s.status)} — {html.escape(s.reason)}</li>" for s in lines)
        self.sources.setText(f"Last snapshot {html.escape(when[:19].replace('T', ' '))} UTC:<ul>{items}</ul>")

    async def show_prices(self) -> None:
        from services.costs.dashboard import price_table, settings_for

        table = await price_table(self.session.ctx)
        settings = settings_for(self.session.ctx)
        self.prices.show_table(table, self._today(), settings.budget)
        self.prices.show_external(settings.external)
        from services.core.guard import can_change

        allowed = can_change(self.session.ctx.workspace)
        for button in (self.prices.save, self.prices.save_budget, self.prices.save_external):
            button.setEnabled(allowed)
            button.setToolTip("" if allowed else "Your workspace profile is 'viewer': nothing can be changed")

    async def show_recommendations(self) -> None:
        from services.costs.dashboard import load_recommendations

        env = self.scope_env()
        recs = await load_recommendations(self.session.ctx, [env] if env else None)
        self.recommendations.show_recommendations(recs)

    # --- actions ----------------------------------------------------------------------------------
    async def collect_now(self) -> None:
        from services.costs.collect import collect

        self.collect_button.setEnabled(False)
        try:
            await collect(self.session.ctx, today=self._today())
        finally:
            self.collect_button.setEnabled(True)
        await self.show_month()

    def _on_month(self, _index: int) -> None:
        from services.costs.model import parse_month

        self.month = parse_month(self.month_box.currentText())
        self.session.spawn(self.show_month(), name="costs:month")

    def _figure_clicked(self, view: QTableView, index: QModelIndex, kind: str) -> None:
        name = str(view.model().index(index.row(), 0).data())
        if kind == "provider":
            self.show_rows(provider=name)
        else:
            self.show_rows(category=name)

    def show_rows(self, *, provider: str | None = None, category: str | None = None, day: date | None = None) -> None:
        if self.report is None:
            return
        rows = self.report.rows_for(provider=provider, category=category, day=day)
        self.rows.set_items(rows)
        what = ", ".join(x for x in (provider, category, day.isoformat() if day else None) if x)
        self.last_selection = what
        self.rows_label.setText(f"{len(rows)} row(s) behind {what}: {self.rows.total:,.2f} {self.report.currency}")

    def show_day(self, day: date) -> None:
        self.show_rows(day=day)

    def _on_export(self) -> None:
        if self.report is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the month's rows", f"costs-{self.report.month}.csv",
                                              "CSV files (*.csv)")
        if path:
            self.session.spawn(self.export_csv(Path(path)), name="costs:export")

    async def export_csv(self, path: Path) -> None:
        import asyncio

        from services.core.errors import OpsError

        if self.report is None:
            return
        try:
            await asyncio.to_thread(self.report.write_csv, path)
        except OSError as exc:
            raise OpsError(f"The CSV file {path} cannot be written ({exc.strerror})") from None
        self.rows_label.setText(f"Exported {len(self.report.rows)} rows of {self.report.month} to {path}")

    async def change_price(self, key: str, price: str, effective: date, url: str, read_on: date,
                           third_party: bool) -> None:
        from services.costs.dashboard import change_price

        await change_price(self.session.ctx, key, price, effective, url, read_on, third_party, today=self._today())
        await self.show_prices()

    async def set_external(self, name: str, monthly: str, environment: str) -> None:
        from services.costs.dashboard import set_external_line

        await set_external_line(self.session.ctx, name, monthly, environment)
        await self.show_prices()

    async def change_budget(self, text: str) -> None:
        from services.costs.dashboard import change_budget

        await change_budget(self.session.ctx, text)
        await self.show_month()
        await self.show_prices()



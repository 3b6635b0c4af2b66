"""The Costs report and the Costs screen's first paint on a year of daily rows (3 environments x 10
services, 10,950 rows), each against a baseline measured in the same run:

* report: ``report_from_store`` for the current month vs reading that month's rows from the same SQLite
  file (what any report must at least do);
* screen: a CostsView from creation to the month's figures and charts painted (no collect, no provider
  calls; the recommendations arrive after) vs a bare widget
  with a table of the month's rows, created, shown and painted.

Target (issue 15): report and first paint ≤ 0.5 s. Run: .venv/bin/python benchmarks/costs.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

SERVICES = [("vercel", "Fast Data Transfer", "hosting"), ("vercel", "Edge Requests", "hosting"),
            ("supabase", "Compute", "database"), ("supabase", "Disk", "database"), ("upstash", "Redis", "database"),
            ("cloudflare", "R2 storage", "storage"), ("cloudflare", "R2 Class B operations", "storage"),
            ("sentry", "Team plan", "monitoring"), ("betterstack", "Responder", "monitoring"),
            ("external", "MLS feed", "external")]


def build_store(data: Path, today: date) -> int:
    from services.costs.collect import open_store
    from services.costs.model import Category, CostRow, RowSource

    n = 0
    with open_store(data) as store:
        for env_i, env in enumerate(("production", "staging", "development")):
            rows = []
            for back in range(365):
                day = today - timedelta(days=back)
                for s_i, (provider, service, category) in enumerate(SERVICES):
                    cents = (137 * back + 71 * s_i + 13 * env_i) % 900 + 50
                    rows.append(CostRow(day, env, provider, service, Category(category), Decimal(cents), "unit",
                                        Decimal(cents) / 100, "USD", RowSource.PRICED))
            store.replace_days(env, "bench", sorted({r.date for r in rows}), rows)
            n += len(rows)
    return n


def median_time(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_report(data: Path, today: date, rounds: int) -> tuple[float, float]:
    from services.costs.collect import open_store
    from services.costs.report import report_from_store
    from services.costs.settings import CostSettings

    settings = CostSettings(budget=Decimal("5000"))
    start, end = today.replace(day=1).isoformat(), (today + timedelta(days=1)).isoformat()

    def baseline() -> None:
        conn = sqlite3.connect(str(data / "costs.sqlite3"))
        conn.execute("SELECT * FROM rows WHERE day >= ? AND day < ?", (start, end)).fetchall()
        conn.close()

    def report() -> None:
        with open_store(data) as store:
            report_from_store(store, today.year, today.month, today, settings)

    baseline()
    report()
    return median_time(baseline, rounds), median_time(report, rounds)


def bench_screen(data: Path, today: date, rounds: int) -> tuple[float, float]:
    import asyncio

    import qasync
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QTableView, QVBoxLayout, QWidget

    from console.error_presenter import ErrorPresenter
    from console.session import Session
    from services.core import workspace as ws
    from services.core.app_context import AppContext, AppPaths
    from services.core.audit_log import AuditLog
    from services.core.credentials import CredentialStore
    from services.costs.collect import open_store
    from views.costs.view import CostsView

    app = QApplication.instance() or QApplication([])
    loop = qasync.QSelectorEventLoop(app)
    asyncio.set_event_loop(loop)
    work = ws.Workspace(name="bench")
    for name in ("production", "staging", "development"):
        work.environments[name] = ws.Environment(name=name)
    paths = AppPaths(data, data, data, data)
    ctx = AppContext(work, data / "ws.toml", CredentialStore(work.id, defaults={}),
                     AuditLog(data / "audit.sqlite3", workspace="bench"), paths)
    with open_store(data) as store:
        month_rows = store.rows(today.replace(day=1), today + timedelta(days=1))

    class Painted(QObject):
        def __init__(self, target: QWidget) -> None:
            super().__init__()
            self.target = target
            self.done = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and obj is self.target:
                self.done = True
            return False

    async def until(flag: Painted) -> None:
        while not flag.done:
            await asyncio.sleep(0.001)

    async def baseline_once() -> float:
        start = time.perf_counter()
        widget = QWidget()
        model = QStandardItemModel(len(month_rows), 9)
        for i, r in enumerate(month_rows):
            for j, v in enumerate(r.csv_fields()[:9]):
                model.setItem(i, j, QStandardItem(v))
        table = QTableView()
        table.setModel(model)
        QVBoxLayout(widget).addWidget(table)
        widget.resize(1280, 900)
        watcher = Painted(widget)
        widget.installEventFilter(watcher)
        widget.show()
        await until(watcher)
        elapsed = time.perf_counter() - start
        widget.close()
        widget.deleteLater()
        return elapsed

    async def screen_once() -> float:
        session = Session(ErrorPresenter())
        session.set_context(ctx)
        start = time.perf_counter()
        view = CostsView(session)
        view.auto_collect = False
        view.today = today
        view.resize(1280, 900)
        view.show()
        while view.report is None:  # the month's figures are rendered (recommendations may still be coming)
            await asyncio.sleep(0.001)
        watcher = Painted(view.daily)
        view.daily.installEventFilter(watcher)
        view.daily.update()
        await until(watcher)
        elapsed = time.perf_counter() - start
        await view.loaded.wait()  # let the rest of the load finish before the next round
        view.close()
        view.deleteLater()
        return elapsed

    async def run() -> tuple[float, float]:
        await baseline_once()
        await screen_once()
        base = [await baseline_once() for _ in range(rounds)]
        screen = [await screen_once() for _ in range(rounds)]
        return statistics.median(base), statistics.median(screen)

    result = loop.run_until_complete(run())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp())
    today = datetime.now(UTC).date()
    start = time.perf_counter()
    n = build_store(data, today)
    print(f"store: {n:,} daily rows (3 environments x 10 services x 365 days), built in "
          f"{time.perf_counter() - start:.2f} s")
    base, rep = bench_report(data, today, args.rounds)
    print(f"report (this month):  {rep * 1000:7.1f} ms   baseline (read the month's rows): {base * 1000:6.1f} ms"
          f"   ratio {rep / base:5.1f}x   target <= 500 ms: {'ok' if rep <= 0.5 else 'MISSED'}")
    base, screen = bench_screen(data, today, args.rounds)
    print(f"screen (data painted): {screen * 1000:6.1f} ms   baseline (table of the month's rows painted): "
          f"{base * 1000:6.1f} ms   ratio {screen / base:5.1f}x   target <= 500 ms: {'ok' if screen <= 0.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Every table model under QAbstractItemModelTester (as Vorta tests each of its models), through resets,
updates and filtering, with what each shows checked; and a guard that a new model cannot arrive
untested."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from services.backup.catalog import CatalogEntry
from services.health.history import Incident
from services.health.model import CheckResult, Part, Status
from services.health.poller import CheckState
from services.health.security_headers import grade_headers

REPO = Path(__file__).resolve().parents[2]
FATAL = QAbstractItemModelTester.FailureReportingMode.Fatal
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _texts(model, row: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


def _entry(i: int, state: str = "good", verification: str = "verified", size: int = 1_500_000_000) -> CatalogEntry:
    return CatalogEntry(id=f"2026112{i}T020000Z-{i:04x}", environment="production", key=f"k/{i}", state=state,
                        created_at=NOW - timedelta(days=i), bytes=size, sha256=f"{i:064x}", verification=verification,
                        verified_at=NOW if verification == "verified" else None, trigger="schedule" if i % 2 else "")


def test_catalog_model_and_its_filter(qtbot) -> None:  # type: ignore[no-untyped-def]
    from views.backups.catalog_model import ENTRY_ROLE, CatalogFilter, CatalogModel

    model = CatalogModel()
    QAbstractItemModelTester(model, FATAL)
    proxy = CatalogFilter()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, FATAL)
    rows = [_entry(1), _entry(2, verification="unverified"), _entry(3, state="unfinished", verification="unverified",
                                                                     size=0),
            _entry(4, verification="failed"), _entry(5, state="damaged", verification="unverified")]
    model.set_rows(rows)
    assert model.rowCount() == 5 and model.columnCount() == len(CatalogModel.COLUMNS)
    first = _texts(model, 0)
    assert first[0] == rows[0].id and first[1] == "good" and first[4] == "1.4 GiB" and first[5] == "verified"
    assert _texts(model, 2)[4] == "—"  # an unfinished upload has no size yet
    assert model.data(model.index(2, 1), Qt.ItemDataRole.ToolTipRole).startswith("A multipart upload")
    assert model.data(model.index(1, 0), ENTRY_ROLE) is rows[1]
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children

    def shown_ids() -> list[str]:
        return [proxy.data(proxy.index(r, 0)) for r in range(proxy.rowCount())]

    proxy.set_state("verified")
    assert shown_ids() == [rows[0].id]
    proxy.set_state("problems")
    assert set(shown_ids()) == {rows[2].id, rows[3].id, rows[4].id}
    proxy.set_state("all")
    proxy.setFilterFixedString(rows[3].id[-4:])
    assert shown_ids() == [rows[3].id]
    proxy.setFilterFixedString("")
    proxy.sort(2, Qt.SortOrder.AscendingOrder)  # oldest first, by the timestamp, not the text
    assert shown_ids()[0] == rows[-1].id
    model.set_rows([])
    assert proxy.rowCount() == 0


def test_health_board_model(qtbot) -> None:  # type: ignore[no-untyped-def]
    from views.health.models import ROLE_STATUS, BoardModel, Cell

    model = BoardModel()
    QAbstractItemModelTester(model, FATAL)
    checks = model.checks
    cells = {(env, check): Cell(env, check, configured=check != checks[-1], reason="not set up: no URL")
             for env in ("production", "staging") for check in checks}
    model.reset(["production", "staging"], cells)
    assert model.rowCount() == 2 and model.columnCount() == len(checks)
    assert model.headerData(0, Qt.Orientation.Vertical) == "production"
    assert model.data(model.index(0, 0)) == "… checking"
    assert model.data(model.index(0, len(checks) - 1)) == "— not set up"

    down = CheckResult("staging", checks[0], Status.DOWN, 812.0, "connection refused", checked_at=datetime.now(UTC))
    model.update(CheckState("staging", checks[0], confirmed=Status.DOWN, since=down.checked_at, last=down, runs=3))
    index = model.index(1, 0)
    assert model.data(index).startswith("DOWN") and model.data(index, ROLE_STATUS) == Status.DOWN.value
    assert "connection refused" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "staging" in model.data(index, Qt.ItemDataRole.AccessibleTextRole)
    # A state of an environment the board does not show changes nothing.
    model.update(CheckState("development", checks[0], last=down))
    model.tick()
    model.reset([], {})
    assert model.rowCount() == 0


def test_health_rows_models(qtbot) -> None:  # type: ignore[no-untyped-def]
    from views.health.models import HeadersModel, IncidentsModel, PartsModel, ResultsModel

    incidents, results, parts, headers = IncidentsModel(), ResultsModel(), PartsModel(), HeadersModel()
    for model in (incidents, results, parts, headers):
        QAbstractItemModelTester(model, FATAL)

    incidents.set_incidents([
        Incident(1, "production", "platform", Status.DOWN, NOW - timedelta(minutes=42), None, "HTTP 502"),
        Incident(2, "staging", "database", Status.DEGRADED, NOW - timedelta(hours=5), NOW - timedelta(hours=4), "slow"),
    ], now=NOW)
    assert incidents.rowCount() == 2
    first = _texts(incidents, 0)
    assert first[2] == "DOWN (ongoing)" and first[4] == "" and first[6] == "HTTP 502"
    assert _texts(incidents, 1)[5] == "1h 00m" or _texts(incidents, 1)[5].startswith("1 h")
    assert incidents.data(incidents.index(0, 2), Qt.ItemDataRole.BackgroundRole) is not None
    assert incidents.data(incidents.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None  # only the state column

    result = CheckResult("production", "storage", Status.DEGRADED, 1234.5, "one bucket slow", checked_at=NOW,
                         parts=(Part("backups bucket", Status.UP, "12 objects"), Part("files bucket", Status.DEGRADED,
                                                                                      "", "2.1 s to list")))
    results.set_results([result])
    assert _texts(results, 0)[:2] == ["2026-11-29 12:00:00", "DEGRADED"]
    parts.set_result(result)
    assert [_texts(parts, r)[0] for r in range(parts.rowCount())] == ["backups bucket", "files bucket"]
    parts.set_result(None)
    assert parts.rowCount() == 0

    report = grade_headers([("X-Frame-Options", "DENY"), ("Content-Type", "text/html")],
                           url="https://www.harborpoint.example/", html="<html></html>")
    headers.set_report(report)
    names = [_texts(headers, r)[0].lower() for r in range(headers.rowCount())]
    assert "x-frame-options" in names and "content-security-policy" in names
    csp = names.index("content-security-policy")
    assert _texts(headers, csp)[3] == "(missing)" and _texts(headers, csp)[1] == "MISSING"
    headers.set_report(None)
    assert headers.rowCount() == 0


def _model_classes() -> set[str]:
    """Every class in views/ and console/ that is a Qt item model, through any chain of bases (generic
    ones included: ``ColumnsModel[Job]``), whatever order the files are read in."""
    bases = {"QAbstractTableModel", "QAbstractItemModel", "QAbstractListModel", "QSortFilterProxyModel"}
    classes: list[tuple[str, set[str]]] = []
    for folder in ("views", "console"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    names = {(b.value if isinstance(b, ast.Subscript) else b) for b in node.bases}
                    classes.append((node.name, {n.id for n in names if isinstance(n, ast.Name)}))
    found: set[str] = set()
    while True:
        more = {name for name, of in classes if of & (bases | found)} - found
        if not more:
            return found
        found |= more


def test_every_model_is_tested_with_the_model_tester() -> None:
    tested_files = [p.read_text(encoding="utf-8") for p in (REPO / "tests" / "qt").glob("test_*.py")
                    if "QAbstractItemModelTester(" in p.read_text(encoding="utf-8")]
    # A model is covered when a file that runs the tester builds it (by name) or the view that owns it.
    untested = sorted(name for name in _model_classes() - {"_ListModel", "RowsModel", "ColumnsModel"}
                      if not any(name in text for text in tested_files))
    assert untested == []
    assert {"CatalogModel", "BoardModel", "JobsModel", "DeploymentsModel", "TimelineModel"} <= _model_classes()


def test_invalid_indexes_answer_nothing(qtbot) -> None:  # type: ignore[no-untyped-def]
    from views.backups.catalog_model import CatalogModel
    from views.health.models import BoardModel, IncidentsModel

    for model in (CatalogModel(), BoardModel(), IncidentsModel()):
        assert model.data(QModelIndex()) is None


def test_the_environments_models(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The Environments screen's six models (the guard above missed them: their base is generic)."""
    from services.core.errors import FailureKind
    from services.environments.connection_checks import CheckResult as ConnectionCheck
    from services.environments.drift import DriftItem
    from services.environments.env_variables import KeptVariable
    from services.environments.import_plan import ExtraVariable
    from views.environments.models import (
        ChecksModel,
        DriftModel,
        DriftRow,
        EnvironmentRow,
        EnvironmentsModel,
        ExtrasModel,
        KeptVariablesModel,
        RowRole,
        SecretRow,
        SecretsModel,
    )

    cases = [
        (EnvironmentsModel(), [EnvironmentRow("production", "production", "https://x", "up", "not set", "configured",
                                              "tokens 3/7", 4)], ["production", "production", "https://x", "up",
                                                                  "not set", "configured", "tokens 3/7", "4"]),
        (SecretsModel(), [SecretRow("DATABASE_URL", "database", True), SecretRow("REDIS_URL", "redis", False)],
         ["DATABASE_URL", "database", "••••••••  (in the keyring)"]),
        (ChecksModel(), [ConnectionCheck("database", "Database", "db:5432/app", "failed", "refused",
                                         kind=FailureKind.UNREACHABLE, latency_ms=12.0)],
         ["Database", "failed", FailureKind.UNREACHABLE.value, "12 ms"]),
        (DriftModel(), [DriftRow("staging vs production", "staging", "production",
                                 DriftItem("value", "NEXT_PUBLIC_SITE_URL", "a", "b", "differs"))],
         ["staging vs production", "NEXT_PUBLIC_SITE_URL", "differs", "staging: a", "production: b"]),
        (KeptVariablesModel(), [KeptVariable("MLS_FEED", "setting", "on", "")], ["MLS_FEED", "setting", "on",
                                                                               "as written"]),
        (ExtrasModel(), [ExtraVariable("MLS_KEY", 7, True, "looks like a key")], ["MLS_KEY", "7", "keyring",
                                                                                "looks like a key"]),
    ]
    for model, rows, first in cases:
        QAbstractItemModelTester(model, FATAL)
        model.set_rows(rows)
        assert model.rowCount() == len(rows) and model.columnCount() == len(type(model).COLUMNS)
        assert model.headerData(0, Qt.Orientation.Horizontal) == type(model).COLUMNS[0]
        assert _texts(model, 0)[:len(first)] == first, type(model).__name__
        assert model.data(model.index(0, 0), RowRole) is rows[0] and model.rows() == rows
        assert model.rowCount(model.index(0, 0)) == 0
        model.set_rows([])
        assert model.rowCount() == 0 and model.row_at(0) is None

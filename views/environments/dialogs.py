"""Small dialogs of the Environments view: new/duplicate environment, set a secret, the import preview.

All are opened with ``open()`` and awaited (``console.production_guard.open_and_wait``), never ``exec()``.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from services.core.workspace import EnvironmentKind
from services.environments.env_variables import guess_kind
from services.environments.environment_edits import NAME_RE
from services.environments.import_plan import ImportPlan
from views.environments.models import ExtrasModel


class NewEnvironmentDialog(QDialog):
    """Name and kind of a new environment (and, for a duplicate, whether to copy its secrets)."""

    def __init__(self, existing: list[str], *, duplicate_of: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newEnvironmentDialog")
        self.existing = set(existing)
        self.setWindowTitle(f"Duplicate {duplicate_of}" if duplicate_of else "Add an environment")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. staging-2")
        self.kind_box = QComboBox()
        self.kind_box.addItems([k.value for k in EnvironmentKind])
        self.kind_box.setCurrentText(EnvironmentKind.OTHER.value)
        form.addRow("Name:", self.name_edit)
        form.addRow("Kind:", self.kind_box)
        self.copy_secrets = QCheckBox("Copy its secrets too (the keyring entries)")
        if duplicate_of:
            form.addRow("", self.copy_secrets)
        else:
            self.copy_secrets.hide()
        layout.addLayout(form)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._update)
        self._update()

    @property
    def kind(self) -> EnvironmentKind:
        return EnvironmentKind(self.kind_box.currentText())

    def _update(self) -> None:
        name = self.name_edit.text().strip()
        problem = ""
        if name and not NAME_RE.fullmatch(name):
            problem = "Use letters, digits, '.', '_' and '-' only."
        elif name in self.existing:
            problem = f"There is already an environment named '{name}'."
        self.problem.setText(problem)
        if name and not problem and self.kind_box.currentText() == EnvironmentKind.OTHER.value:
            guessed = guess_kind(name)
            if guessed != EnvironmentKind.OTHER:
                self.kind_box.setCurrentText(guessed.value)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(name) and not problem)


class SecretDialog(QDialog):
    """Type a new value for one secret; shown as dots, never logged."""

    def __init__(self, env_name: str, secret: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("secretDialog")
        self.setWindowTitle(f"Set {secret} for {env_name}")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{label}. The value goes to the OS keyring only."))
        self.value_edit = QLineEdit()
        self.value_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.value_edit.setAccessibleName(f"New value of {secret}")
        layout.addWidget(self.value_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.value_edit.textChanged.connect(
            lambda text: self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text)))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)


class ImportPreviewDialog(QDialog):
    """What an import would change (secret changes by name only), with Apply or Cancel.

    Values Next.js reads differently from their text are listed first. Variables the console does not
    know are listed with a Secret box: ticking or clearing one emits ``flips_changed``; the view plans
    again with :meth:`choices` and calls :meth:`set_plan`.
    """

    flips_changed = Signal()

    def __init__(self, plan: ImportPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importPreviewDialog")
        self.setWindowTitle(f"Import {plan.source} into {plan.environment}")
        self.resize(860, 640)
        self.choice: dict[str, bool] = {}  # variable -> keep in the keyring (the user's own ticks)
        layout = QVBoxLayout(self)
        self.readings = QLabel()
        self.readings.setObjectName("nextReadings")
        self.readings.setWordWrap(True)
        self.readings.setTextFormat(Qt.TextFormat.PlainText)
        self.readings.setStyleSheet("color: #8a4b00; background: #fff4e0; padding: 6px")
        layout.addWidget(self.readings)
        self.extras_label = QLabel("Variables the console does not know, kept as they are. Tick Secret to keep one "
                                   "in the OS keyring instead of the workspace:")
        self.extras_label.setWordWrap(True)
        layout.addWidget(self.extras_label)
        self.extras_model = ExtrasModel(self)
        self.extras = QTableView()
        self.extras.setObjectName("importExtras")
        self.extras.setModel(self.extras_model)
        self.extras.verticalHeader().hide()
        self.extras.horizontalHeader().setStretchLastSection(True)
        self.extras.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.extras.clicked.connect(self._clicked)
        layout.addWidget(self.extras, 1)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        layout.addWidget(self.text, 2)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.plan = plan
        self.set_plan(plan)

    def set_plan(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.problem.setText("")
        self.text.setPlainText("\n".join(plan.lines()))
        if plan.readings:
            self.readings.setText("Read differently by Next.js than written in the file (the value imported is "
                                  "Next's reading):\n" + "\n".join("• " + r.sentence() for r in plan.readings))
        self.readings.setVisible(bool(plan.readings))
        self.extras_model.set_rows(plan.extras)
        self.extras.resizeColumnsToContents()
        self.extras.setVisible(bool(plan.extras))
        self.extras_label.setVisible(bool(plan.extras))
        apply = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        apply.setText("Nothing to apply" if plan.is_noop else "Apply")
        apply.setEnabled(not plan.is_noop)

    def show_problem(self, sentence: str) -> None:
        self.problem.setText(sentence)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    def choices(self) -> tuple[list[str], list[str]]:
        """(--secret names, --plain names) as the user ticked them."""
        return ([n for n, secret in self.choice.items() if secret],
                [n for n, secret in self.choice.items() if not secret])

    def set_secret(self, name: str, secret: bool) -> None:
        """Tick or clear one variable's Secret box (a click does the same)."""
        self.choice[name] = secret
        # Apply waits for the new plan.
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.flips_changed.emit()

    def _clicked(self, index: QModelIndex) -> None:
        row = self.extras_model.row_at(index.row())
        if row is not None and index.column() == 2:
            self.set_secret(row.name, not row.secret)

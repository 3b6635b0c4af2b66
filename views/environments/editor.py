"""The settings editor: every setting of an environment and its feature flags, validated as one types."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from services.core.workspace import Environment
from services.environments.environment_edits import FIELDS, FLAGS, convert, display, validate_setting

FLAG_WORDS = {
    "debugMode": "Debug mode",
    "hotReload": "Hot reload",
    "mockData": "Mock data",
    "testIntegrations": "Test integrations",
}


class SettingsEditor(QWidget):
    """One widget per setting; ``changes()`` gives {path: value} of what differs from the loaded env."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs: dict[str, QLineEdit | QComboBox | QCheckBox] = {}
        self.errors: dict[str, QLabel] = {}
        self.flags: dict[str, QCheckBox] = {}
        self._original: dict[str, str] = {}
        self._loading = False

        inner = QWidget()
        grid = QGridLayout(inner)
        flags_box = QGroupBox("Feature flags (the seed's per-environment features)")
        flags_row = QVBoxLayout(flags_box)
        for flag in FLAGS:
            check = QCheckBox(f"{FLAG_WORDS[flag]}  ({flag})")
            check.setObjectName(f"flag_{flag}")
            check.toggled.connect(self._on_edit)
            self.flags[flag] = check
            flags_row.addWidget(check)
        groups: dict[str, QFormLayout] = {}
        boxes: list[QGroupBox] = [flags_box]
        for spec in FIELDS:
            if spec.group not in groups:
                group_box = QGroupBox(spec.group)
                groups[spec.group] = QFormLayout(group_box)
                boxes.append(group_box)
            widget: QLineEdit | QComboBox | QCheckBox
            if spec.type == "choice":
                widget = QComboBox()
                widget.addItems(list(spec.choices))
                widget.currentTextChanged.connect(self._on_edit)
            elif spec.type == "bool":
                widget = QCheckBox()
                widget.toggled.connect(self._on_edit)
            else:
                widget = QLineEdit()
                widget.setPlaceholderText(spec.placeholder)
                widget.textChanged.connect(self._on_edit)
            widget.setObjectName(f"setting_{spec.path}")
            widget.setAccessibleName(f"{spec.group}: {spec.label}")
            error = QLabel()
            error.setStyleSheet("color: #b3261e")
            error.hide()
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(widget)
            column.addWidget(error)
            groups[spec.group].addRow(spec.label, column)
            self.inputs[spec.path] = widget
            self.errors[spec.path] = error
        for i, group in enumerate(boxes):
            grid.addWidget(group, i // 2, i % 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    # --- values --------------------------------------------------------------------------------
    def _text(self, path: str) -> str:
        widget = self.inputs[path]
        if isinstance(widget, QComboBox):
            return widget.currentText()
        if isinstance(widget, QCheckBox):
            return "true" if widget.isChecked() else "false"
        return widget.text()

    def load(self, env: Environment) -> None:
        self._loading = True
        try:
            for path, widget in self.inputs.items():
                text = display(env, path)
                self._original[path] = text
                if isinstance(widget, QComboBox):
                    if widget.findText(text) < 0:
                        widget.addItem(text)
                    widget.setCurrentText(text)
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(text == "true")
                else:
                    widget.setText(text)
            for flag, check in self.flags.items():
                value = bool(getattr(env.features, flag))
                self._original[f"features.{flag}"] = "true" if value else "false"
                check.setChecked(value)
        finally:
            self._loading = False
        self._validate_all()

    def set_text(self, path: str, text: str) -> None:
        """Type into a setting (tests and keyboard users alike end up here)."""
        widget = self.inputs[path]
        if isinstance(widget, QComboBox):
            widget.setCurrentText(text)
        elif isinstance(widget, QCheckBox):
            widget.setChecked(text == "true")
        else:
            widget.setText(text)

    def problems(self) -> dict[str, str]:
        out = {}
        for path in self.inputs:
            problem = validate_setting(path, self._text(path))
            if problem:
                out[path] = problem
        return out

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path in self.inputs:
            text = self._text(path)
            if text != self._original.get(path):
                out[path] = convert(path, text)
        for flag, box in self.flags.items():
            text = "true" if box.isChecked() else "false"
            if text != self._original.get(f"features.{flag}"):
                out[f"features.{flag}"] = box.isChecked()
        return out

    def set_read_only(self, read_only: bool) -> None:
        for widget in [*self.inputs.values(), *self.flags.values()]:
            if isinstance(widget, QLineEdit):
                widget.setReadOnly(read_only)
                # A read-only field looks read-only (greyed, no frame to type into), not just refuses keys.
                widget.setFrame(not read_only)
                widget.setStyleSheet("QLineEdit { background: palette(window); color: palette(dark); }"
                                     if read_only else "")
            else:
                widget.setEnabled(not read_only)

    # --- validation as one types ---------------------------------------------------------------
    def _on_edit(self, *_args: object) -> None:
        if self._loading:
            return
        self._validate_all()
        self.changed.emit()

    def _validate_all(self) -> None:
        problems = self.problems()
        for path, label in self.errors.items():
            widget = self.inputs[path]
            problem = problems.get(path)
            if problem:
                label.setText(f"Must be {problem}.")
                label.show()
                widget.setStyleSheet("border: 1px solid #b3261e")
            else:
                label.hide()
                widget.setStyleSheet("")

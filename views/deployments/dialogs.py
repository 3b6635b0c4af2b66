"""The second confirmation a promote needs when the candidate grades worse than production, and the
text of the grade comparison shown in the promote dialog."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from services.deployments.grade import DeploymentGrade, GradeComparison


def grade_text(g: DeploymentGrade | None) -> str:
    if g is None:
        return "not known"
    if g.grade is None:
        return f"could not be graded ({html.escape(g.error or 'no answer')})"
    problems = f"; {html.escape(', '.join(g.problems))}" if g.problems else ""
    return f"<b>{g.grade}</b> ({g.score}), /api/health {html.escape(g.health.state)}{problems}"


def comparison_lines(c: GradeComparison) -> list[str]:
    worse = " <b style='color:#d93025'>— worse than production</b>" if c.worse else ""
    return [f"Security grade of the candidate: {grade_text(c.candidate)}{worse}",
            f"Security grade of production now: {grade_text(c.production)}"]


class WorseGradeDialog(QDialog):
    """Promoting something that grades worse is allowed, but only after saying so explicitly."""

    def __init__(self, comparison: GradeComparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("worseGradeDialog")
        self.setWindowTitle("The candidate grades worse than production")
        self.setModal(True)
        layout = QVBoxLayout(self)
        text = QLabel("<br>".join(comparison_lines(comparison))
                      + "<br><br>Promoting it weakens what visitors get. Check the headers in next.config.js "
                        "first, unless this is deliberate.")
        text.setWordWrap(True)
        layout.addWidget(text)
        self.accept_box = QCheckBox("I understand; promote it anyway")
        self.accept_box.setObjectName("acceptWorse")
        layout.addWidget(self.accept_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Continue to the promote dialog")
        self.ok_button.setEnabled(False)
        self.accept_box.toggled.connect(self.ok_button.setEnabled)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

"""The unlock dialog: the console's face of ``services.core.guard``.

``authorize_in_ui`` shows what an action will do; on production (or when a target name must be
typed) it asks for the name and a reason, and only then returns an
:class:`~services.core.guard.Authorization` good for that one action. Cancel returns None; a viewer gets
``GuardRefusedError`` straight away. The dialog is opened with ``open()`` and awaited through a future,
never ``exec()``, so the asyncio loop keeps running.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.session import Session
from services.core import guard
from services.core.guard import Authorization
from services.core.workspace import EnvironmentKind, seed_environment


class UnlockDialog(QDialog):
    """Consequences, then (when needed) the typed name and a reason. OK stays disabled until they hold."""

    def __init__(self, env_name: str, action: str, consequences: Sequence[str], *, expected: str | None,
                 needs_reason: bool, production: bool, parent: QWidget | None = None,
                 heading: str | None = None, warning: str | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.expected = expected
        self.needs_reason = needs_reason
        self.setWindowTitle(heading or (f"Unlock {env_name} for one action" if production else f"Confirm: {action}"))
        self.setModal(True)
        self.setMinimumWidth(600)  # wide enough for the reason's hint and a long target name
        layout = QVBoxLayout(self)
        if warning:  # what the user may not expect (a backup of another environment), highlighted first
            note = QLabel(warning)
            note.setObjectName("unlockWarning")
            note.setWordWrap(True)
            note.setStyleSheet("background: #fef7e0; border: 1px solid #f9ab00; border-radius: 4px; padding: 6px;")
            layout.addWidget(note)
        sentence = html.escape(heading) if heading else f"<b>{html.escape(action)}</b> on <b>{html.escape(env_name)}</b>"
        head = QLabel(sentence.rstrip(".")
                      + (" — a <b>production</b> environment, read-only until unlocked for this one action."
                         if production else "."))
        head.setObjectName("unlockHeading")
        head.setWordWrap(True)
        layout.addWidget(head)
        if consequences:
            items = "".join(f"<li>{c}</li>" for c in consequences)
            what = QLabel(f"This will:<ul>{items}</ul>")
            what.setWordWrap(True)
            what.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(what)
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("confirmName")
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("reason")
        if expected is not None:
            self.name_edit.setPlaceholderText(f"type {expected}")
            self.name_edit.setAccessibleName(f"Type {expected} to confirm")
            form.addRow(f"Type <b>{html.escape(expected)}</b> to confirm:", self.name_edit)
        else:
            self.name_edit.hide()
        if needs_reason:
            self.reason_edit.setPlaceholderText("why — recorded in the audit log")
            self.reason_edit.setAccessibleName("Reason, recorded in the audit log")
            form.addRow("Reason:", self.reason_edit)
        else:
            self.reason_edit.hide()
        layout.addLayout(form)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b3261e")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Unlock and go ahead" if production else "Go ahead")
        self.buttons.accepted.connect(self._accept_if_ready)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._update)
        self.reason_edit.textChanged.connect(self._update)
        self._update()

    def ready(self) -> bool:
        name_ok = self.expected is None or self.name_edit.text().strip() == self.expected
        reason_ok = not self.needs_reason or bool(self.reason_edit.text().strip())
        return name_ok and reason_ok

    def _update(self) -> None:
        self.ok_button.setEnabled(self.ready())
        typed = self.name_edit.text().strip()
        if self.expected is not None and typed and typed != self.expected:
            self.problem.setText(f"That is not '{self.expected}'.")
        elif self.needs_reason and self.expected is not None and typed == self.expected \
                and not self.reason_edit.text().strip():
            self.problem.setText("Give a reason; it goes into the audit log.")
        else:
            self.problem.setText("")

    def _accept_if_ready(self) -> None:
        if self.ready():
            self.accept()


async def open_and_wait(dialog: QDialog) -> int:
    """Open ``dialog`` window-modally and await its result without re-entering the Qt loop."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(finished)


def current_unlock_dialog() -> UnlockDialog | None:
    """The unlock dialog on screen, if any (for tests and accessibility tools)."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, UnlockDialog) and widget.isVisible():
            return widget
    return None


async def authorize_in_ui(session: Session, env_name: str, action: str, *, consequences: Sequence[str],
                          target_name: str | None = None, parent: QWidget | None = None,
                          new_kind: EnvironmentKind | None = None, heading: str | None = None,
                          warning: str | None = None) -> Authorization | None:
    """Ask for permission for one action; None when the user cancels. Raises GuardRefusedError for a
    viewer. The outcome of a refusal or cancellation is recorded in the audit log.

    ``new_kind`` is for an environment that does not exist yet (add, duplicate): it is judged as a new
    environment of that kind (a new production one needs the unlock too).
    """
    ctx = session.ctx
    if new_kind is not None and env_name not in ctx.workspace.environments:
        env = seed_environment(env_name, new_kind)
    else:
        env = ctx.environment(env_name)
    if not guard.can_change(ctx.workspace):
        await ctx.audit.arecord(environment=env_name, action=action, outcome="refused: viewer profile")
        guard.authorize(ctx.workspace, env, action)  # raises GuardRefusedError with the sentence
    production = guard.needs_unlock(env)
    expected = target_name or (env.name if production else None)
    if expected is None and not consequences:
        return guard.authorize(ctx.workspace, env, action)
    dialog = UnlockDialog(env_name, action, consequences, expected=expected, needs_reason=production,
                          production=production, parent=parent, heading=heading, warning=warning)
    result = await open_and_wait(dialog)
    typed, reason = dialog.name_edit.text(), dialog.reason_edit.text()
    dialog.deleteLater()
    if result != QDialog.DialogCode.Accepted:
        if production:
            await ctx.audit.arecord(environment=env_name, action=action, outcome="cancelled at the unlock dialog")
        return None
    return guard.authorize(ctx.workspace, env, action, confirm=typed if expected else None, reason=reason,
                           target_name=target_name)

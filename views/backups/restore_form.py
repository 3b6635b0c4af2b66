"""The Backups screen's restore form: what to restore (definitions and data, or table contents only; which
schemas), how (in one transaction, or beside the target and then switched) and into what, with its
button. It reads as ``RestoreOptions`` and says, in the guard's dialog, what the restore will do."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QWidget

from console.widgets import FlowLayout
from services.backup.catalog import CatalogEntry
from services.backup.restore_plan import RestoreOptions
from services.backup.restore_target import RestoreConfirmation
from services.core.workspace import Environment


def restore_wording(entry: CatalogEntry, env: str, target: str, target_env: str) -> tuple[str, str | None]:
    """The restore dialog's heading (a sentence) and, for a backup of another environment, the warning
    that says so with the backup's date and age."""
    from services.health.poller import utc_age

    heading = f"Restore a backup of {env} into {target}"
    if entry.manifest is None or target_env == env:
        return heading, None
    when = entry.manifest.created_at
    source_db = entry.manifest.database
    warning = (f"<b>This backup comes from another environment: {html.escape(env)}</b> (database "
               f"{html.escape(source_db)}), taken {when:%Y-%m-%d %H:%M} UTC, {utc_age(when)}. Its data will replace "
               f"{html.escape(target)}'s.")
    into = target_env if target == target_env else f"{target} on {target_env}'s server"
    return f"Restore a backup of {env} into {into}", warning


class RestoreForm(QWidget):
    """One wrapping row: "Restore [what] of [schemas] [strategy] into [target] [Restore…]"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._env = ""  # whose database names the target list was made for
        self.button = QPushButton("Restore…")
        self.target = QComboBox()
        self.target.setEditable(True)
        # Wide enough for a typical "<database>_restore_check" name: the text is not clipped.
        self.target.setMinimumContentsLength(32)
        self.target.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.target.setToolTip("Restore into: an environment, or a database name on the same server")
        self.strategy = QComboBox()
        self.strategy.addItem("in one transaction", "transaction")
        self.strategy.addItem("beside it, then switch", "swap")
        self.strategy.setToolTip(
            "One transaction: any failure rolls back and the target is exactly as it was.\n"
            "Beside it, then switch: for schemas too big for the server's lock table; restores into a fresh "
            "database, then renames both at once (the old one is kept). Needs no other sessions on the target; "
            "not on Supabase.")

        self.what = QComboBox()
        self.what.addItem("definitions and data", "whole")
        self.what.addItem("table contents only", "data")
        self.what.setToolTip("Table contents only: the restored tables are emptied and refilled in the same "
                             "transaction; their definitions, grants and policies stay as they are")
        self.schemas = QLineEdit()
        self.schemas.setMinimumWidth(200)
        self.schemas.setPlaceholderText("all schemas (or e.g. public, app)")
        self.schemas.setToolTip("Restore only these schemas (comma-separated). On Supabase the managed "
                                "schemas (auth, storage, …) are left alone unless named here")
        row = FlowLayout(self)
        for w in (QLabel("Restore"), self.what, QLabel("of"), self.schemas, self.strategy, QLabel("into"),
                  self.target, self.button):
            row.addWidget(w)

    def set_allowed(self, allowed: bool, tip: str) -> None:
        """The options, usable or not (a viewer restores nothing: the options look it too)."""
        for option in (self.what, self.schemas, self.strategy, self.target):
            option.setEnabled(allowed)
            if not allowed:
                option.setToolTip(tip)

    def offer_targets(self, env: Environment, environments: list[str]) -> None:
        """The workspace's environments to restore into. A reload (after any job) keeps what the user
        chose; a new environment gets a safe default (a scratch database beside its own)."""
        chosen = self.target.currentText().strip() if self._env == env.name else ""
        self._env = env.name
        self.target.clear()
        self.target.addItems(environments)
        self.target.setCurrentText(chosen or (f"{env.database.name}_restore_check" if env.database.configured
                                              else env.name))

    def options(self) -> RestoreOptions:
        strategy = str(self.strategy.currentData() or "transaction")
        return RestoreOptions(schemas=tuple(dict.fromkeys(x.strip() for x in self.schemas.text().split(",")
                                                          if x.strip())),
                              data_only=self.what.currentData() == "data", strategy=strategy)

    @staticmethod
    def consequences(backup_id: str, env: str, target: str, check: RestoreConfirmation,
                     options: RestoreOptions) -> list[str]:
        """What the guard's dialog lists: what is replaced, the safety backup, how, and whose data it is."""
        what = "the table contents" if options.data_only else "the objects"
        scope = f" of schema(s) {html.escape(', '.join(options.schemas))}" if options.schemas else ""
        shown = html.escape(target)
        consequences = [
            f"restore backup <b>{backup_id}</b> of {env} into <b>{shown}</b>: {what}{scope} in the backup replace "
            "the target's" + (" (emptied and refilled; definitions stay)" if options.data_only else ""),
            "take a safety backup of the target first",
            "run in one transaction, so any failure leaves the target exactly as it was"
            if options.strategy == "transaction"
            else "restore into a fresh database beside the target, then rename both at once (the old one is kept); "
                 "any failure before the switch leaves the target exactly as it was",
        ]
        if check.is_environment:
            consequences.append(html.escape(check.why[:1].upper() + check.why[1:]))
        if check.production and check.is_environment:
            consequences.append("<b style='color:#d93025'>change PRODUCTION</b>: the platform sees the restored data at once")
        elif check.production:
            consequences.append(f"write database <b>{shown}</b> on <b style='color:#d93025'>production's server</b> "
                                "(the platform does not read it, but it shares the server's disk and CPU)")
        return consequences

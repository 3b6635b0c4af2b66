"""The Backups screen's outcome line: what the last restore or verification found, in words (the
strategy, row counts, safety backup and notes of a restore; checksum, archive and test restore of a
verification). It stays across reloads; failures are the shell's to show."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.jobs import Job
from services.backup.manifest import Verification
from services.backup.restore import RestoreResult


def outcome_html(job: Job) -> str | None:
    """The finished job's result in words, or None when it is neither a restore nor a verification."""
    r = job.result
    if isinstance(r, RestoreResult):
        lines = [f"<b>Restored {html.escape(r.backup_id)} into {html.escape(r.target)}</b> "
                 f"({html.escape(r.database)}) in {r.duration_s:.0f} s — row counts match the manifest for "
                 f"{r.tables_checked} tables. {html.escape(r.strategy[:1].upper() + r.strategy[1:])}."]
        if r.safety_backup_id:
            lines.append(f"Safety backup of the target first: {html.escape(r.safety_backup_id)}.")
        lines += [f"Note: {html.escape(n)}" for n in r.notes]
    elif isinstance(r, Verification):
        word = "OK" if r.ok else '<b style="color:#d93025">FAILED</b>'
        parts = [f"checksum {'ok' if r.checksum_ok else 'wrong'}",
                 f"archive {'ok' if r.archive_ok else 'unreadable'} ({r.toc_entries} entries)"]
        if r.restore_tested:
            parts.append(f"test restore {'ok' if r.restore_ok else 'failed'}")
        lines = [f"<b>{html.escape(job.title)}</b>: {word} — {', '.join(parts)}"]
        lines += [html.escape(p) for p in r.problems]
    else:
        return None
    return "<br>".join(lines)


class OutcomeLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_job(self, job: Job) -> None:
        text = outcome_html(job)
        if text is None:
            return
        self.setText(text)
        self.show()

    def reset(self) -> None:
        self.clear()
        self.hide()

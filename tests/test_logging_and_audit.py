from __future__ import annotations

import logging
from pathlib import Path

from services.core.audit_log import AuditLog
from services.core.crash_reports import before_send, scrub_event
from services.core.errors import ConnectionFailure, FailureKind
from services.core.log_setup import MASK, SecretMasker, configure_logging


def test_masker_hides_known_values_and_secret_shapes() -> None:
    m = SecretMasker()
    m.add("hunter2-very-secret")
    text = m("pw hunter2-very-secret; postgresql://u:p4ss@h:5432/db; Authorization: Bearer abcdefghijkl; "
             "VERCEL_TOKEN=tok_123456")
    assert "hunter2-very-secret" not in text
    assert "p4ss" not in text and "abcdefghijkl" not in text and "tok_123456" not in text
    assert text.count(MASK) >= 4 and text.startswith("pw ")


def test_log_file_is_masked_and_rotates(tmp_path: Path) -> None:
    m = SecretMasker()
    m.add("planted-secret-value")
    path = configure_logging(tmp_path, masker=m)
    try:
        raise ValueError("failed with planted-secret-value")
    except ValueError:
        logging.getLogger("t").exception("connecting with %s", "planted-secret-value")
    for h in logging.getLogger().handlers:
        h.flush()
    content = path.read_text()
    assert "planted-secret-value" not in content
    assert "connecting with" in content and "ValueError" in content


def test_the_log_rotates_keeps_five_files_and_masks_every_one(tmp_path: Path) -> None:
    m = SecretMasker()
    m.add("planted-secret-value")
    path = configure_logging(tmp_path, masker=m)
    log = logging.getLogger("rotation")
    line = "x" * 900
    try:
        for i in range(15_000):  # ~14 MB through 2 MB files: rotates six times and more
            log.info("%06d connecting with planted-secret-value %s", i, line)
    finally:
        for h in logging.getLogger().handlers:
            h.flush()
    files = sorted(tmp_path.glob("realtor-ops.log*"))
    assert [f.name for f in files] == ["realtor-ops.log"] + [f"realtor-ops.log.{n}" for n in range(1, 6)]
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert f.stat().st_size <= 2_000_000 and "planted-secret-value" not in text
    # The newest lines are in the current file, the oldest kept ones in .5; the first ones are gone.
    assert "014999 connecting" in path.read_text(encoding="utf-8")
    assert "000000 connecting" not in "".join(f.read_text(encoding="utf-8") for f in files)


def test_audit_log_records_and_masks(tmp_path: Path) -> None:
    m = SecretMasker()
    m.add("s3cr3t-token-value")
    audit = AuditLog(tmp_path / "audit.sqlite3", workspace="ws", mask=m)
    audit.record(environment="production", action="restore", outcome="done", reason="oops s3cr3t-token-value",
                 details={"rows": 5})
    (entry,) = audit.entries()
    assert entry.environment == "production" and entry.action == "restore" and entry.outcome == "done"
    assert "s3cr3t-token-value" not in entry.reason and entry.details == {"rows": 5}
    assert b"s3cr3t-token-value" not in (tmp_path / "audit.sqlite3").read_bytes()


def test_crash_report_scrubbing() -> None:
    m = SecretMasker()
    m.add("dsn-secret-1234")
    event = {"message": "boom dsn-secret-1234", "request": {"headers": {"Authorization": "Bearer x"}, "url": "u"},
             "exception": {"values": [{"value": "postgresql://a:b1234@h/db"}]}}
    clean = scrub_event(event, m)
    assert "dsn-secret-1234" not in str(clean) and "b1234" not in str(clean)
    assert clean["request"]["headers"] == "[removed]"
    typed = ConnectionFailure("wrong password", kind=FailureKind.AUTH)
    assert before_send({"message": "x"}, {"exc_info": (type(typed), typed, None)}) is None

"""Reading a stored archive back: download with its checksum checked, decompress into pg_restore, TOC.

A restore must check the archive before it touches the target, so the compressed archive is spooled
to a private (0600) file in the cache folder while its SHA-256 is computed; only an archive whose size
and checksum match the manifest is used, and it is read from that file (it cannot change underneath).
The spool holds the compressed bytes (about a quarter of the dump) and is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import zstandard

from services.backup import manifest as mf
from services.backup.store import BackupStore
from services.backup.worker import Control
from services.core.errors import IntegrityError
from services.core.pg_tools import PgTools, clean_env

CHUNK = 1 << 20


@contextlib.contextmanager
def spooled(store: BackupStore, manifest: mf.Manifest, folder: Path, control: Control) -> Iterator[Path]:
    """Download the archive to a private file, checking size and SHA-256 against the manifest.

    Raises IntegrityError (before anything else happens) when they differ.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{manifest.id}.{os.getpid()}.{threading.get_ident()}.spool"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        body, size, _etag = store.open_stream(manifest.key)
        digest = hashlib.sha256()
        got = 0
        with os.fdopen(fd, "wb") as out:
            try:
                for chunk in body.iter_chunks(CHUNK):
                    control.check()
                    digest.update(chunk)
                    out.write(chunk)
                    got += len(chunk)
                    control.done = got
            finally:
                body.close()
        if got != manifest.bytes or size != manifest.bytes:
            raise IntegrityError(
                f"Backup {manifest.id} is truncated or padded: {got} bytes stored, the manifest says "
                f"{manifest.bytes}", hint="Use another backup; this one cannot be restored")
        if digest.hexdigest() != manifest.sha256:
            raise IntegrityError(
                f"Backup {manifest.id} is corrupted: its SHA-256 does not match the manifest",
                hint="Use another backup; this one cannot be restored", detail=digest.hexdigest())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def feed_decompressed(path: Path, sinks: list[IO[bytes]], control: Control) -> None:
    """Decompress the spooled archive into one or more pipes (a sink that closes is dropped)."""
    live = list(sinks)
    try:
        with open(path, "rb") as src:
            reader = zstandard.ZstdDecompressor().stream_reader(src, read_size=CHUNK)
            while live:
                control.check()
                chunk = reader.read(CHUNK)
                if not chunk:
                    break
                for sink in list(live):
                    try:
                        sink.write(chunk)
                    except (BrokenPipeError, ValueError, OSError):
                        live.remove(sink)
    except zstandard.ZstdError as exc:
        raise IntegrityError("The archive's compressed stream is damaged", detail=str(exc)) from None
    finally:
        for sink in sinks:
            with contextlib.suppress(OSError, ValueError):
                sink.close()


@dataclass(frozen=True)
class TocEntry:
    dump_id: int
    desc: str  # "TABLE", "TABLE DATA", "ACL", ...
    schema: str
    name: str
    owner: str
    line: str


def parse_toc(text: str, roles: Iterable[str] = ()) -> list[TocEntry]:
    """Entries of ``pg_restore -l`` output: ``ID; CATOID OID DESC SCHEMA NAME OWNER``.

    The listing separates fields with single spaces although names may contain spaces, so it is read
    with what else is known: an empty owner leaves a trailing space (extensions); owners are matched
    against ``roles`` (the manifest's owners and grantees), longest first; schemas against the names of
    the archive's own SCHEMA entries. Only names nothing knows about fall back to splitting at spaces.
    """
    descs = ("TABLE DATA", "SEQUENCE SET", "SEQUENCE OWNED BY", "FK CONSTRAINT", "MATERIALIZED VIEW DATA",
             "LARGE OBJECT", "BLOB", "BLOBS", "BLOB METADATA", "DEFAULT ACL", "ROW SECURITY", "EVENT TRIGGER",
             "TEXT SEARCH CONFIGURATION", "TEXT SEARCH DICTIONARY", "FOREIGN TABLE", "MATERIALIZED VIEW",
             "TABLE ATTACH", "INDEX ATTACH", "SHELL TYPE", "PROCEDURAL LANGUAGE", "DATABASE PROPERTIES",
             "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "USER MAPPING", "FOREIGN DATA WRAPPER",
             "SERVER", "SEQUENCE", "TABLE", "INDEX", "CONSTRAINT", "TRIGGER", "RULE", "POLICY", "ACL",
             "COMMENT", "DEFAULT", "DOMAIN", "TYPE", "FUNCTION", "PROCEDURE", "AGGREGATE", "VIEW", "SCHEMA",
             "EXTENSION", "COLLATION", "CONVERSION", "OPERATOR", "CAST", "ENCODING", "STDSTRINGS",
             "SEARCHPATH", "PUBLICATION", "SUBSCRIPTION", "STATISTICS", "TRANSFORM", "ACCESS METHOD")
    known_roles = sorted({r for r in roles if r}, key=len, reverse=True)
    raw: list[tuple[int, str, str, str, str]] = []  # id, desc, core ("SCHEMA NAME"), owner, line
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        head, _, rest = line.partition(";")
        if not head.strip().isdigit():
            continue
        parts = rest.lstrip(" ").split(" ", 2)
        if len(parts) < 3:
            continue
        tail = parts[2]
        desc = next((d for d in descs if tail.startswith(d + " ")), tail.split(" ", 1)[0])
        fields = tail[len(desc) + 1:]
        if fields.endswith(" "):
            owner, core = "", fields[:-1]
        else:
            owner = next((r for r in known_roles if fields.endswith(" " + r)), "")
            core = fields[: -(len(owner) + 1)] if owner else fields.rpartition(" ")[0]
            owner = owner or fields.rpartition(" ")[2]
        raw.append((int(head), desc, core, owner, line))
    schemas = {core[2:] for _, desc, core, _, _ in raw if desc == "SCHEMA" and core.startswith("- ")}
    known_schemas = sorted(schemas | {"public", "pg_catalog"}, key=len, reverse=True)
    entries = []
    for dump_id, desc, core, owner, line in raw:
        if core.startswith("- ") or core == "-":
            schema = "-"
        else:
            schema = next((n for n in known_schemas if core.startswith(n + " ")), core.split(" ", 1)[0])
        entries.append(TocEntry(dump_id, desc, schema, core[len(schema) + 1:], owner, line))
    return entries


def read_toc(tools: PgTools, path: Path, control: Control, roles: Iterable[str] = ()) -> tuple[str, list[TocEntry]]:
    """``pg_restore -l`` of the spooled archive (raw listing text and parsed entries)."""
    proc = control.adopt(subprocess.Popen([tools.path("pg_restore"), "-l"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env()))
    assert proc.stdin is not None
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
               threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)]  # type: ignore[union-attr]
    for t in readers:
        t.start()
    feed_decompressed(path, [proc.stdin], control)
    rc = proc.wait()
    for t in readers:
        t.join()
    text = b"".join(out).decode("utf-8", "replace")
    if rc != 0:
        raise IntegrityError("The archive's table of contents cannot be read",
                             detail=b"".join(err).decode("utf-8", "replace")[-1000:])
    return text, parse_toc(text, roles)


def check_structure(tools: PgTools, path: Path, control: Control) -> None:
    """Read the whole archive with pg_restore (output discarded): every data block must parse."""
    proc = control.adopt(subprocess.Popen([tools.path("pg_restore"), "-f", os.devnull], stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env()))
    assert proc.stdin is not None
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    feed_decompressed(path, [proc.stdin], control)
    rc = proc.wait()
    reader.join()
    if rc != 0:
        raise IntegrityError("The archive is damaged: pg_restore cannot read all of it",
                             detail=b"".join(err).decode("utf-8", "replace")[-1000:])

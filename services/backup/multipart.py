"""The multipart upload of one archive into the backup bucket (``backup create`` writes through it).

Parts of one fixed size (R2 wants every part but the last the same size), up to PARTS_IN_FLIGHT uploads
at once, each retried on its own; any failure aborts the whole upload, so nothing is left in the bucket.
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

from services.backup.store import BackupStore
from services.backup.worker import Control
from services.core.errors import ConfigError, ConnectionFailure, OperationCancelled

log = logging.getLogger(__name__)

PART_ATTEMPTS = 4
PARTS_IN_FLIGHT = 2
MAX_PARTS = 10_000  # S3's and R2's limit per multipart upload
MIB = 1024 * 1024


def choose_part_size(setting_mib: int, database_bytes: int, max_parts: int = MAX_PARTS) -> int:
    """The part size for one upload: the setting, or more when the database is so big that the archive
    could need more than MAX_PARTS parts. The bound assumes the archive is at most twice the database's
    size on disk (text of COPY can be larger than the binary rows; compression only shrinks it), with a
    tenth of the parts to spare. Rounded up to whole MiB; every part but the last has this size (R2)."""
    needed = -(-(2 * max(0, database_bytes)) // (max_parts * 9 // 10))
    return max(setting_mib * MIB, -(-needed // MIB) * MIB)


class MultipartWriter:
    """Fixed-size parts, up to PARTS_IN_FLIGHT uploads at once, each retried; abort on any failure."""

    def __init__(self, store: BackupStore, key: str, part_size: int, control: Control,
                 metadata: dict[str, str]) -> None:
        self.store = store
        self.key = key
        self.part_size = part_size
        self.control = control
        self._buffer = bytearray()
        self._parts: dict[int, str] = {}
        self._pending: list[Future[None]] = []
        self._pool = ThreadPoolExecutor(max_workers=PARTS_IN_FLIGHT, thread_name_prefix="backup-part")
        self._next = 1
        self.bytes = 0
        try:
            resp = store.client.create_multipart_upload(
                Bucket=store.bucket, Key=key, StorageClass=store.settings.storage_class or "STANDARD",
                ContentType="application/zstd", Metadata=metadata)
        except Exception as exc:
            self._pool.shutdown(wait=False)
            raise store._fail(exc) from None
        self.upload_id = str(resp["UploadId"])

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._buffer += data
        while len(self._buffer) >= self.part_size:
            part = bytes(self._buffer[: self.part_size])
            del self._buffer[: self.part_size]
            self._submit(part)

    def _submit(self, part: bytes) -> None:
        if self._next > MAX_PARTS:
            raise ConfigError(f"The archive outgrew {MAX_PARTS} parts of {self.part_size // MIB} MiB, the most one "
                              "S3/R2 upload may have; the upload was aborted",
                              hint="Raise backup.part_size_mib for this environment and run the backup again")
        # Bound memory: wait for the oldest upload when the window is full; its error surfaces here.
        while len([f for f in self._pending if not f.done()]) >= PARTS_IN_FLIGHT:
            self._pending[0].result()
            self._pending = [f for f in self._pending if not f.done()]
        for f in [f for f in self._pending if f.done()]:
            f.result()
        self._pending = [f for f in self._pending if not f.done()]
        number = self._next
        self._next += 1
        self.bytes += len(part)
        self._pending.append(self._pool.submit(self._upload, number, part))

    def _upload(self, number: int, body: bytes) -> None:
        last: BaseException | None = None
        for attempt in range(PART_ATTEMPTS):
            if self.control.cancelled:
                raise OperationCancelled()
            try:
                resp = self.store.client.upload_part(Bucket=self.store.bucket, Key=self.key,
                                                     UploadId=self.upload_id, PartNumber=number, Body=body)
                self._parts[number] = str(resp["ETag"])
                if attempt and self.control.message.startswith("stalled"):
                    self.control.note("dumping")  # the storage answers again
                return
            except Exception as exc:
                last = exc
                log.warning("upload of part %d failed (attempt %d of %d): %s", number, attempt + 1,
                            PART_ATTEMPTS, type(exc).__name__)
                if attempt + 1 < PART_ATTEMPTS:
                    self.control.note(f"stalled — retrying part {number} ({attempt + 2} of {PART_ATTEMPTS})")
                time.sleep(min(0.25 * 2**attempt, 2.0))
        failure = self.store._fail(last or RuntimeError("unknown"))
        raise ConnectionFailure(
            f"Part {number} of the backup could not be uploaded after {PART_ATTEMPTS} attempts: "
            f"{failure.message}", kind=failure.kind, target=failure.target, status=failure.status,
            hint="The upload was aborted and nothing was left in the bucket; check the storage endpoint "
            "and retry", detail=failure.detail)

    def finish(self) -> int:
        if self._buffer or self._next == 1:
            self._submit(bytes(self._buffer))
            self._buffer.clear()
        for f in self._pending:
            f.result()
        self._pool.shutdown(wait=True)
        parts = [{"PartNumber": n, "ETag": self._parts[n]} for n in sorted(self._parts)]
        try:
            self.store.client.complete_multipart_upload(Bucket=self.store.bucket, Key=self.key,
                                                        UploadId=self.upload_id, MultipartUpload={"Parts": parts})
        except Exception as exc:
            raise self.store._fail(exc) from None
        return len(parts)

    def abort(self) -> None:
        for f in self._pending:
            with contextlib.suppress(BaseException):
                f.result()
        self._pool.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.store.abort_upload(self.key, self.upload_id)

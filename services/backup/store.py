"""The backup bucket of one environment: its client, its layout, and the S3 calls backups make.

Every method here blocks (boto3); async callers run them with ``asyncio.to_thread``. Errors come out
as ``ConnectionFailure`` with a kind the user can act on (``object_storage.classify``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.backup import manifest as mf
from services.core.concurrency import settle
from services.core.errors import ConfigError, ConnectionFailure, SecretMissingError
from services.core.in_flight import InFlight
from services.core.object_storage import S3Location, classify, make_client
from services.core.workspace import BackupSettings, Environment

if TYPE_CHECKING:
    from services.backup.catalog import Catalog
    from services.core.app_context import AppContext
    from services.core.credentials import CredentialStore

# The catalog's listings in flight (``catalog.list_backups`` shares one between callers asking at once).
# A change made here to a bucket (a manifest or verification written, keys deleted, an upload aborted)
# makes the next caller read anew rather than join a listing that started before the change.
LISTINGS: InFlight[Catalog] = InFlight(join_s=0.2)

_CREDENTIAL_NAMES = {
    "aws": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    "r2": ("CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
}


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class UploadInfo:
    key: str
    upload_id: str
    initiated: datetime


class BackupStore:
    def __init__(self, client: Any, location: S3Location, settings: BackupSettings, environment: str) -> None:
        self.client = client
        self.location = location
        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.environment = environment

    # --- layout -----------------------------------------------------------------------------------
    @property
    def env_prefix(self) -> str:
        return mf.env_prefix(self.prefix, self.environment)

    def archive_key(self, backup_id: str) -> str:
        return mf.archive_key(self.prefix, self.environment, backup_id)

    def manifest_key(self, backup_id: str) -> str:
        return mf.manifest_key(self.prefix, self.environment, backup_id)

    def verification_key(self, backup_id: str) -> str:
        return mf.verification_key(self.prefix, self.environment, backup_id)

    def _fail(self, exc: BaseException) -> ConnectionFailure:
        # Named as what it is to the user: the backup storage (the endpoint in brackets of the sentence).
        return classify(exc, target=f"Backup storage at {self.location.label}", bucket=self.bucket)

    # --- objects ----------------------------------------------------------------------------------
    def list_objects(self, prefix: str | None = None) -> Iterator[ListedObject]:
        """Every object under the environment's prefix, 1000 per request (paged)."""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix or self.env_prefix, PaginationConfig={"PageSize": 1000})
            for page in pages:
                for obj in page.get("Contents", ()):
                    yield ListedObject(obj["Key"], int(obj["Size"]), str(obj.get("ETag", "")).strip('"'),
                                       obj["LastModified"])
        except Exception as exc:
            raise self._fail(exc) from None

    def list_uploads(self) -> list[UploadInfo]:
        """Multipart uploads begun and neither completed nor aborted, under the environment's prefix."""
        found: list[UploadInfo] = []
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.env_prefix)
            for page in pages:
                for up in page.get("Uploads", ()):
                    found.append(UploadInfo(up["Key"], up["UploadId"], _started(up["Key"], up["Initiated"])))
        except Exception as exc:
            raise self._fail(exc) from None
        return found

    def get_bytes(self, key: str) -> bytes:
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except Exception as exc:
            raise self._fail(exc) from None

    def open_stream(self, key: str) -> tuple[Any, int, str]:
        """(streaming body, size, etag) of an object."""
        try:
            resp = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise self._fail(exc) from None
        return resp["Body"], int(resp["ContentLength"]), str(resp.get("ETag", "")).strip('"')

    def put_json(self, key: str, text: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=text.encode("utf-8"),
                                   ContentType="application/json")
        except Exception as exc:
            raise self._fail(exc) from None
        finally:
            LISTINGS.forget_all()

    def delete_keys(self, keys: list[str]) -> None:
        try:
            for start in range(0, len(keys), 1000):
                batch = keys[start:start + 1000]
                if batch:
                    self.client.delete_objects(Bucket=self.bucket,
                                               Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
        except Exception as exc:
            raise self._fail(exc) from None
        finally:
            LISTINGS.forget_all()

    def abort_upload(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except Exception as exc:
            failure = self._fail(exc)
            if failure.kind.name != "NOT_FOUND":
                raise failure from None
        finally:
            LISTINGS.forget_all()

    # --- lifecycle --------------------------------------------------------------------------------
    def get_lifecycle(self) -> list[dict[str, Any]]:
        try:
            return list(self.client.get_bucket_lifecycle_configuration(Bucket=self.bucket).get("Rules", []))
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("NoSuchLifecycleConfiguration", "NoSuchLifecycle"):
                return []
            raise self._fail(exc) from None

    def put_lifecycle(self, rules: list[dict[str, Any]]) -> None:
        try:
            self.client.put_bucket_lifecycle_configuration(Bucket=self.bucket,
                                                           LifecycleConfiguration={"Rules": rules})
        except Exception as exc:
            raise self._fail(exc) from None


def _started(key: str, initiated: datetime) -> datetime:
    """When an upload began: the later of what the server says and the time in its backup id. Some
    S3 implementations (moto) report a fixed ``Initiated``; trusting it would make a running backup's
    upload look days old, and a cleanup by age would abort it."""
    parsed = mf.split_key(key)
    if parsed and mf.is_backup_id(parsed[0]):
        return max(initiated, mf.id_time(parsed[0]))
    return initiated


async def store_for(ctx: AppContext, env: Environment, *, client: Any = None) -> BackupStore:
    """The backup bucket of ``env`` with credentials from the secret store."""
    return await store_from(ctx.credentials, env, client=client)


async def store_from(credentials: CredentialStore, env: Environment, *, client: Any = None) -> BackupStore:
    """``store_for`` for a caller that holds the credential store rather than the context (a cost source)."""
    settings = env.backup
    if not settings.configured:
        raise ConfigError(f"Environment '{env.name}' has no backup bucket configured",
                          hint="Set backup.bucket (the seed's BACKUP_BUCKET_NAME) in the environment's settings")
    names = _CREDENTIAL_NAMES.get(settings.credentials)
    if names is None:
        raise ConfigError(f"backup.credentials of '{env.name}' is '{settings.credentials}'",
                          hint="Use 'aws' (AWS_ACCESS_KEY_ID/…) or 'r2' (CLOUDFLARE_R2_ACCESS_KEY_ID/…)")
    key_id, secret = await settle(credentials.aget(env.name, names[0]),
                                          credentials.aget(env.name, names[1]))
    if not key_id or not secret:
        raise SecretMissingError(f"The storage keys for the backups of '{env.name}' are not set",
                                 hint=f"Store {names[0]} and {names[1]} for this environment")
    location = S3Location(settings.endpoint_url, settings.region, key_id, secret)
    if client is None:
        # A short read timeout with retries: a stuck request is retried rather than waited on for minutes
        # (S3 answers a part upload as soon as its body has arrived). Built off the caller's loop: a client
        # takes 10-100 ms of CPU (the first one in a process loads botocore's S3 model).
        client = await asyncio.to_thread(make_client, location, read_timeout=20.0, max_attempts=3)
    return BackupStore(client, location, settings, env.name)

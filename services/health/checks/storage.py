"""Object storage: each bucket reachable (HEAD, never a listing) and writable where the key allows
(a tiny probe object written and deleted at once)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import botocore.exceptions

from services.core.concurrency import settle
from services.core.errors import ConnectionFailure, FailureKind
from services.core.object_storage import S3Location, classify, make_client
from services.core.workspace import Environment
from services.health.checks.base import Check, CheckContext, Stopwatch
from services.health.model import CheckResult, Part, Status, result, worst

PROBE_PREFIX = ".realtor-ops/health-probe-"
SECRET_NAMES = {
    "r2": ("CLOUDFLARE_R2_ACCESS_KEY_ID", "CLOUDFLARE_R2_SECRET_ACCESS_KEY"),
    "aws": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
}


def _probe_bucket(client: Any, bucket: str, target: str, write: bool) -> Part:
    """HEAD the bucket, then (if asked) put and delete a probe object. Runs in a worker thread."""
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as exc:  # botocore raises many types; classify names the kind
        failure = classify(exc, target=target, bucket=bucket)
        if failure.kind == FailureKind.NOT_FOUND:
            return Part(bucket, Status.DOWN, "missing", detail=f"The bucket '{bucket}' does not exist")
        return Part(bucket, Status.DOWN, failure.kind.value, detail=failure.sentence())
    if not write:
        return Part(bucket, Status.UP, "reachable", detail="write probe not enabled")
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    try:
        client.put_object(Bucket=bucket, Key=key, Body=b"ok")
    except Exception as exc:
        failure = classify(exc, target=target, bucket=bucket)
        if failure.kind == FailureKind.PERMISSION:
            return Part(bucket, Status.UP, "reachable, read-only key",
                        detail="the key may not write here, so only reading was checked")
        return Part(bucket, Status.DEGRADED, "not writable", detail=failure.sentence())
    try:
        client.delete_object(Bucket=bucket, Key=key)
    except Exception as exc:
        failure = classify(exc, target=target, bucket=bucket)
        return Part(bucket, Status.DEGRADED, "probe left behind",
                    detail=f"The probe object {key} could not be deleted: {failure.sentence()}")
    return Part(bucket, Status.UP, "reachable, writable")


class StorageCheck(Check):
    name = "storage"

    def configured(self, env: Environment) -> bool:
        return env.storage.configured

    def not_configured_reason(self, env: Environment) -> str:
        return "no storage endpoint is set"

    async def _client(self, env: Environment, ctx: CheckContext) -> tuple[Any, str]:
        storage = env.storage
        key_name, secret_name = SECRET_NAMES.get(storage.credentials, SECRET_NAMES["r2"])
        key = await ctx.credentials.aget(env.name, key_name)
        secret = await ctx.credentials.aget(env.name, secret_name)
        loc = S3Location(storage.endpoint_url, storage.region, key, secret)
        memory = ctx.memory(env.name, self.name)
        cache_key = (loc, ctx.timeout(env))
        if memory.get("client_key") != cache_key:
            # Building a boto3 client takes tens of milliseconds of CPU: off the loop's thread, once.
            memory["client"] = await asyncio.to_thread(
                make_client, loc, connect_timeout=min(5.0, ctx.timeout(env)), read_timeout=ctx.timeout(env),
                max_attempts=1)
            memory["client_key"] = cache_key
        return memory["client"], loc.label

    async def run(self, env: Environment, ctx: CheckContext) -> CheckResult:
        clock = Stopwatch()
        try:
            client, target = await self._client(env, ctx)
        except (botocore.exceptions.BotoCoreError, ValueError) as exc:
            raise ConnectionFailure("The storage client could not be set up", kind=FailureKind.PROTOCOL,
                                    detail=str(exc)) from None
        buckets = env.storage.buckets()
        parts = await settle(*(
            asyncio.to_thread(_probe_bucket, client, bucket, target, ctx.storage_write_probe)
            for bucket in buckets.values()))
        named = tuple(Part(f"{role}: {p.name}", p.status, p.value, p.detail) for role, p in zip(buckets, parts,
                                                                                                  strict=True))
        latency = clock.ms
        bad = [p for p in named if p.status is not Status.UP]
        if not bad:
            return result(env.name, self.name, Status.UP, f"All {len(named)} buckets reachable at {target}",
                          latency_ms=latency, parts=named)
        if all(p.status is Status.DOWN for p in named):
            return result(env.name, self.name, Status.DOWN, f"No bucket is reachable: {bad[0].detail}",
                          latency_ms=latency, parts=named)
        status = worst([p.status for p in named])
        words = "; ".join(f"{p.name} {p.value}" for p in bad)
        return result(env.name, self.name, Status.DEGRADED if status is not Status.UP else Status.UP,
                      f"{len(named) - len(bad)} of {len(named)} buckets fine; {words}",
                      latency_ms=latency, parts=named)

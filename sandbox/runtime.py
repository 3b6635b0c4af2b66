"""The sandbox: every part of the platform running on this computer, and a workspace pointing at it.

Parts start side by side and fail alone: a missing ``redis-server`` or a taken port makes that part
unavailable (with the reason) while the rest runs. Three environments (development, staging,
production) share the parts but have their own databases, buckets and Redis database numbers.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, LocalS3
from services.core import workspace as ws
from services.core.child_processes import popen_tied, terminate
from services.core.credentials import CredentialStore
from services.core.errors import OpsError, SandboxPartUnavailable

log = logging.getLogger(__name__)

ENVIRONMENTS: tuple[tuple[str, ws.EnvironmentKind, float], ...] = (
    ("development", ws.EnvironmentKind.DEVELOPMENT, 0.2),
    ("staging", ws.EnvironmentKind.STAGING, 0.5),
    ("production", ws.EnvironmentKind.PRODUCTION, 1.0),
)
SANDBOX_WORKSPACE_ID = "sandbox"


def sandbox_secret_defaults(workspace: ws.Workspace) -> dict[tuple[str, str], str]:
    """The sandbox's dummy credentials (not secrets: moto and the stand-ins accept them), per environment.

    Derived from constants so that any process opening the sandbox workspace has them.
    """
    from sandbox.provider_standins.catalog import SANDBOX_SECRETS

    values = {
        "CLOUDFLARE_R2_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
        "CLOUDFLARE_R2_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
        "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
        **SANDBOX_SECRETS,
    }
    return {(env, name): value for env in workspace.environments for name, value in values.items()}


@dataclass
class SandboxPart:
    name: str
    available: bool = False
    endpoint: str = ""
    error: OpsError | None = None

    @property
    def status(self) -> str:
        if self.available:
            return f"running at {self.endpoint}" if self.endpoint else "running"
        return f"unavailable: {self.error.sentence() if self.error else 'not started'}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "available": self.available, "endpoint": self.endpoint,
                "error": self.error.sentence() if self.error else None}


def _answers(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SandboxRedis:
    """A private redis-server (when one is installed) with the seed's eviction policy."""

    data_dir: Path
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SandboxPartUnavailable(
                "Redis is not part of the sandbox: no redis-server program was found on the PATH",
                hint="Install Redis (e.g. apt install redis-server, brew install redis) to include it")
        self.port = self.port or _free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._proc = popen_tied(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.data_dir), "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = (self._proc.stderr.read() if self._proc.stderr else b"").decode(errors="replace")
                raise SandboxPartUnavailable(f"redis-server exited at start on port {self.port}", detail=err[-1000:])
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise SandboxPartUnavailable(f"redis-server did not answer on port {self.port} within 10 s")

    def stop(self) -> None:
        if self._proc is not None:
            terminate(self._proc)
            if self._proc.stderr:
                self._proc.stderr.close()
            self._proc = None


class SandboxRuntime:
    def __init__(self, root: Path, *, include_redis: bool = True, pg_bin_dir: Path | None = None,
                 s3_port: int = 0) -> None:
        self.root = root
        self.include_redis = include_redis
        # Overrides, mostly for tests of the failure paths: another PostgreSQL bin folder, a fixed port.
        self.pg_bin_dir = pg_bin_dir
        self.s3_port = s3_port
        self.parts: list[SandboxPart] = []
        self.workspace = ws.Workspace(name="Sandbox", id=SANDBOX_WORKSPACE_ID, profile=ws.Profile.ADMIN,
                                      sandbox=True)
        self.workspace_path = root / "workspace.toml"
        self._stoppers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.postgres: Any = None
        self.s3: LocalS3 | None = None
        self.redis: SandboxRedis | None = None
        self.platforms: dict[str, Any] = {}
        self.providers: Any = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> list[SandboxPart]:
        self.root.mkdir(parents=True, exist_ok=True)
        for name, kind, _ in ENVIRONMENTS:
            env = ws.seed_environment(name, kind)
            env.health.tls_domains = []
            env.health.interval_s = 30
            self.workspace.environments[name] = env
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox") as pool:
            futures = {
                "PostgreSQL": pool.submit(self._start_postgres),
                "S3 endpoint": pool.submit(self._start_s3),
                "Redis": pool.submit(self._start_redis),
                "Provider APIs": pool.submit(self._start_providers),
            }
            for name, future in futures.items():
                self.parts.append(self._outcome(name, future.result))
        self.parts.append(self._outcome("Platform stand-ins", self._start_platforms))
        self._seed_sample_files()
        ws.save(self.workspace, self.workspace_path)
        return self.parts

    def check_parts(self) -> list[SandboxPart]:
        """The parts as they are now (blocking, about a second at most): a part that was running and no
        longer answers on its port is shown unavailable, and one that answers again is running again."""
        ports: dict[str, tuple[str, int] | None] = {
            "PostgreSQL": (self.postgres.host, int(self.postgres.port or 0)) if self.postgres else None,
            "S3 endpoint": (self.s3.host, self.s3.port) if self.s3 else None,
            "Redis": ("127.0.0.1", self.redis.port) if self.redis else None,
        }
        checked = []
        for part in self.parts:
            where = ports.get(part.name)
            if where is None or not where[1] or (part.error is not None and not part.endpoint):
                checked.append(part)  # never started (its reason stays), or not a single port to ask
                continue
            if _answers(*where):
                checked.append(SandboxPart(part.name, True, part.endpoint))
            else:
                checked.append(SandboxPart(part.name, False, part.endpoint, SandboxPartUnavailable(
                    f"the sandbox's {part.name} stopped answering on {where[0]}:{where[1]}")))
        return checked

    def _outcome(self, name: str, fn: Callable[[], str]) -> SandboxPart:
        try:
            return SandboxPart(name, True, fn())
        except OpsError as exc:
            log.warning("sandbox part %s unavailable: %s", name, exc.sentence())
            return SandboxPart(name, False, "", exc)
        except Exception as exc:
            log.exception("sandbox part %s failed", name)
            return SandboxPart(name, False, "", SandboxPartUnavailable(
                f"{name} could not start", detail=f"{type(exc).__name__}: {exc}"))

    def stop(self) -> None:
        with self._lock:
            stoppers, self._stoppers = self._stoppers, []
        for stop in reversed(stoppers):
            try:
                stop()
            except Exception:
                log.exception("error while stopping a sandbox part")

    def __enter__(self) -> SandboxRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_stop(self, fn: Callable[[], None]) -> None:
        with self._lock:
            self._stoppers.append(fn)

    # --- parts ----------------------------------------------------------------------------------
    def _start_postgres(self) -> str:
        from sandbox.embedded_postgres import EmbeddedPostgres
        from sandbox.migration_story import apply_story
        from sandbox.realtor_schema import install_realtor_schema_sync

        pg = EmbeddedPostgres(self.root / "pgdata", bin_dir=self.pg_bin_dir)
        pg.start()
        self.postgres = pg
        self._on_stop(pg.stop)
        for name, _kind, scale in ENVIRONMENTS:
            dbname = f"realtor_{name}"
            pg.ensure_database(dbname)
            install_realtor_schema_sync(pg.dsn(dbname), rows_scale=scale)
            apply_story(pg.dsn(dbname), name)
            env = self.workspace.environments[name]
            env.database = ws.DatabaseSettings(host=pg.host, port=int(pg.port or 0), name=dbname, user="postgres",
                                               sslmode="disable")
        return f"{pg.host}:{pg.port} (PostgreSQL {pg.version})"

    def _start_s3(self) -> str:
        from sandbox.live_config import put_files_lifecycle
        from services.core.object_storage import S3Location, make_client

        s3 = LocalS3(port=self.s3_port).start()
        self.s3 = s3
        self._on_stop(s3.stop)
        client = make_client(S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY))
        for name, _kind, _ in ENVIRONMENTS:
            env = self.workspace.environments[name]
            suffix = "" if name == "production" else f"-{name}"
            env.storage = ws.StorageSettings(
                endpoint_url=s3.endpoint_url, region="us-east-1", files_bucket=f"realtor-files{suffix}",
                images_bucket=f"realtor-images{suffix}", documents_bucket=f"realtor-documents{suffix}",
                credentials="r2")
            env.backup.endpoint_url = s3.endpoint_url
            env.backup.region = "us-east-1"
            env.backup.bucket = f"realtor-backups{suffix}"
            env.backup.credentials = "aws"
            for bucket in (*env.storage.buckets().values(), env.backup.bucket):
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=bucket)
            put_files_lifecycle(client, env)  # what `config diff` reads (sandbox/live_config.py)
        return s3.endpoint_url

    def _start_redis(self) -> str:
        if not self.include_redis:
            raise SandboxPartUnavailable("Redis was left out of this sandbox")
        redis = SandboxRedis(self.root / "redis")
        redis.start()
        self.redis = redis
        self._on_stop(redis.stop)
        for db, (name, _kind, _) in enumerate(ENVIRONMENTS):
            env = self.workspace.environments[name]
            env.redis = ws.RedisSettings(host="127.0.0.1", port=redis.port, db=db, maxmemory_bytes=64 * 1024**2)
        return redis.url

    def _start_providers(self) -> str:
        from sandbox.provider_standins import start_all

        providers = start_all()
        self.providers = providers
        self._on_stop(providers.stop)
        for name, _kind, _ in ENVIRONMENTS:
            env = self.workspace.environments[name]
            env.providers = providers.provider_settings(name)
        return ", ".join(f"{k} {v}" for k, v in providers.base_urls().items())

    def _start_platforms(self) -> str:
        from sandbox.live_config import drift_platform
        from sandbox.platform_standin import PlatformStandin

        urls = []
        for name, _kind, _ in ENVIRONMENTS:
            env = self.workspace.environments[name]
            dsn = self.postgres.dsn(env.database.name) if self.postgres is not None else None
            redis_url = f"{self.redis.url}/{env.redis.db}" if self.redis is not None else None
            # The sandbox has no MLS, Twilio or Resend: the platform's external-API check points at a
            # local endpoint that answers (the S3 endpoint), so a healthy sandbox reads as fully up.
            external = self.s3.endpoint_url if self.s3 is not None else None
            standin = PlatformStandin(database_dsn=dsn, redis_url=redis_url, external_apis_url=external,
                                      version="1.4.2")
            drift_platform(name, standin)
            standin.start()
            self.platforms[name] = standin
            self._on_stop(standin.stop)
            env.app_url = standin.url
            urls.append(f"{name} {standin.url}")
        return ", ".join(urls)

    def _seed_sample_files(self) -> None:
        """Objects for the Costs screen's recommendations (optional: the sandbox works without them)."""
        if self.s3 is None or self.postgres is None or "production" not in self.workspace.environments:
            return
        from sandbox.sample_files import seed_sample_files
        from services.core.object_storage import S3Location, make_client

        env = self.workspace.environments["production"]
        try:
            client = make_client(S3Location(self.s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY))
            seed_sample_files(client, env, self.postgres.dsn(env.database.name))
        except Exception:
            log.warning("the sandbox's sample files could not be put in place", exc_info=True)

    # --- what callers need ----------------------------------------------------------------------
    def credentials(self, workspace_id: str = SANDBOX_WORKSPACE_ID) -> CredentialStore:
        return CredentialStore(workspace_id, defaults=sandbox_secret_defaults(self.workspace))

    def endpoints(self) -> dict[str, str]:
        return {p.name: p.status for p in self.parts}

    def to_json(self) -> dict[str, Any]:
        """What ``sandbox up --json`` prints: the workspace file, the parts, each environment's URLs."""
        return {"workspace": str(self.workspace_path), "parts": [p.to_json() for p in self.parts],
                "environments": {n: {"app_url": e.app_url, "health_url": e.health_url}
                                 for n, e in self.workspace.environments.items()}}

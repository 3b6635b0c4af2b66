"""The credential store against the real Secret Service (gnome-keyring in scripts/test's D-Bus session)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from services.core import workspace as ws
from services.core.app_context import AppPaths, build_context
from services.core.credentials import CredentialStore, describe_backend
from services.core.errors import KeyringUnavailableError


@pytest.fixture
def store() -> Iterator[CredentialStore]:
    info = describe_backend()
    if info.weak:
        pytest.fail(f"no real keyring in this test run ({info.name}); run the suite through scripts/test")
    # A random workspace id per test: never touches a real user's entries.
    s = CredentialStore(f"test-{uuid.uuid4().hex}")
    yield s
    for env in ("staging", "production"):
        try:
            s.delete_environment(env)
        except KeyringUnavailableError:
            pass


def test_backend_is_the_secret_service() -> None:
    info = describe_backend()
    assert not info.weak
    assert "SecretService" in info.name


def test_secret_is_read_back_by_a_new_keyring_client(store: CredentialStore) -> None:
    planted = f"pw-{uuid.uuid4().hex}"
    store.set("production", "DATABASE_PASSWORD", planted)
    # A different process with its own keyring client reads what we stored.
    code = (
        "import keyring, sys\n"
        f"print(keyring.get_password({store.service!r}, 'production/DATABASE_PASSWORD'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == planted
    assert store.names("production") == ["DATABASE_PASSWORD"]
    store.delete("production", "DATABASE_PASSWORD")
    assert store.get("production", "DATABASE_PASSWORD") is None
    assert store.names("production") == []


def test_secret_reaches_no_file_the_app_writes(store: CredentialStore, app_dirs: dict[str, Path],
                                               tmp_path: Path) -> None:
    import logging

    from services.core.log_setup import configure_logging

    planted = f"sekrit-{uuid.uuid4().hex}"
    work = ws.Workspace(name="Leak test", id=store.service.split("/", 1)[1])
    work.environments["staging"] = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    ws_path = app_dirs["config"] / "realtor-ops" / "workspace.toml"
    ctx = build_context(work, ws_path, paths=AppPaths.from_os())
    ctx.credentials = store
    ctx.masker.add_source(store.known_values)
    store.set("staging", "VERCEL_TOKEN", planted)
    assert store.get("staging", "VERCEL_TOKEN") == planted
    ctx.save_workspace()
    log_path = configure_logging(ctx.paths.logs)
    logging.getLogger("leak").warning("token is %s and url postgresql://u:%s@h/db", planted, planted)
    ctx.audit.record(environment="staging", action="set secret", outcome=f"stored {planted}",
                     reason=f"rotating {planted}")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert log_path.exists() and ctx.audit.path.exists() and ws_path.exists()
    for root in (app_dirs["config"], app_dirs["data"], app_dirs["state"], app_dirs["cache"]):
        for path in root.rglob("*"):
            if path.is_file():
                assert planted.encode() not in path.read_bytes(), f"secret leaked into {path}"


def test_weak_backend_refuses_to_store() -> None:
    s = CredentialStore("weak", backend=keyring.backends.fail.Keyring())
    assert s.backend_info().weak
    with pytest.raises(KeyringUnavailableError) as err:
        s.set("production", "VERCEL_TOKEN", "x")
    assert "--secrets-from-env" in err.value.sentence()


def test_unreadable_keyring_gives_a_plain_message() -> None:
    class Broken(keyring.backend.KeyringBackend):
        priority = 5  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.KeyringLocked("locked")

        def delete_password(self, service: str, username: str) -> None:
            raise keyring.errors.KeyringLocked("locked")

    s = CredentialStore("broken", backend=Broken())
    with pytest.raises(KeyringUnavailableError) as err:
        s.get("production", "VERCEL_TOKEN")
    assert "locked" in err.value.sentence()


def test_secrets_from_env_use_dotenv_names_and_env_prefixes() -> None:
    env = {
        "VERCEL_TOKEN": "plain-token",
        "STAGING_VERCEL_TOKEN": "staging-token",
        "DATABASE_URL": "postgresql://app:p%40ss%2Fw0rd@db.example.com:6543/postgres?pgbouncer=true",
        "STAGING_REDIS_URL": "rediss://default:r3d1s@eu1.upstash.io:6379",
    }
    s = CredentialStore("ws", from_env=env)
    assert s.get("production", "VERCEL_TOKEN") == "plain-token"
    assert s.get("staging", "VERCEL_TOKEN") == "staging-token"
    assert s.get("production", "DATABASE_PASSWORD") == "p@ss/w0rd"
    assert s.get("staging", "REDIS_PASSWORD") == "r3d1s"
    assert s.get("production", "REDIS_PASSWORD") is None
    assert set(s.names("staging")) >= {"VERCEL_TOKEN", "REDIS_PASSWORD"}
    with pytest.raises(KeyringUnavailableError):
        s.set("production", "VERCEL_TOKEN", "x")


def test_cli_with_an_unusable_keyring_says_so(tmp_path: Path) -> None:
    import os

    work = ws.Workspace(name="cli")
    work.environments["staging"] = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    ws.save(work, tmp_path / "ws.toml")
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    out = subprocess.run([sys.executable, "-m", "cli.main", "--workspace", str(tmp_path / "ws.toml"), "env", "list"],
                         capture_output=True, text=True, env=env, timeout=60,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 2
    assert "keyring" in out.stderr.lower() and "Traceback" not in out.stderr

"""Hostile and careless workspace files: deep nesting, a byte order mark, nonsense in every kind of field.
Each is refused with the file and the field named, never with the value's text, and the file is left as
it was."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w

from services.core import workspace as ws
from services.core.errors import ConfigError, WorkspaceFileError

SECRET = "ghp_" + "Zq7" * 12  # a token-shaped value pasted where it does not belong


def sample() -> ws.Workspace:
    space = ws.Workspace(name="Brokerage", profile=ws.Profile.ADMIN)
    env = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    env.database.host = "db.example.com"
    env.redis.host = "cache.example.com"
    env.backup.bucket = "realtor-backups"
    space.environments["staging"] = env
    return space


def test_deeply_nested_toml_is_not_valid_toml_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "workspace.toml"
    for depth in (65, 5000, 200_000):
        for opener, closer in (("[", "]"), ("{a=", "}")):
            text = ws.dumps(sample()) + "\n[environments.staging.extra]\n"
            text = text.replace('name = "Brokerage"', f"a = {opener * depth}1{closer * depth}\nname = \"Brokerage\"")
            path.write_text(text, encoding="utf-8")
            before = path.read_bytes()
            with pytest.raises(WorkspaceFileError) as caught:
                ws.load(path)
            assert "not valid TOML" in str(caught.value)
            assert str(path) in str(caught.value)
            assert caught.value.exit_code == 2
            assert path.read_bytes() == before


def test_nesting_inside_strings_and_comments_is_only_text(tmp_path: Path) -> None:
    space = sample()
    space.environments["staging"].extra["NEXT_PUBLIC_BANNER"] = "[" * 500 + "{" * 500
    text = "# " + "[" * 500 + "\n" + ws.dumps(space)
    loaded = ws.loads(text)
    assert loaded.environments["staging"].extra["NEXT_PUBLIC_BANNER"] == "[" * 500 + "{" * 500


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "workspace.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ws.dumps(sample()).encode())
    loaded = ws.load(path)
    assert loaded.environments["staging"].database.host == "db.example.com"


def _set(dotted: str, value: object) -> Callable[[ws.Environment], None]:
    def apply(env: ws.Environment) -> None:
        *parents, leaf = dotted.split(".")
        target: object = env
        for part in parents:
            target = getattr(target, part)
        if isinstance(target, dict):
            target[leaf] = value
        else:
            setattr(target, leaf, value)
    return apply


# (field, value): each must be refused naming that field.
NONSENSE: list[tuple[str, object]] = [
    ("app_url", "https://app.example.com:0"),
    ("app_url", "https://app.example.com:99999"),
    ("app_url", "ftp://app.example.com"),
    ("app_url", "https://app.example.com/pa th"),
    ("app_url", f"https://user:{SECRET}@app.example.com"),
    ("app_url", SECRET),
    ("storage.endpoint_url", "https://r2.example.com:0"),
    ("backup.endpoint_url", "http://127.0.0.1:99999"),
    ("external_apis.mls", "https://mls.example.com:70000/health"),
    ("providers.api_base", {"vercel": "http://127.0.0.1:0"}),
    ("database.port", 0),
    ("database.port", 99999),
    ("direct_database.port", -1),
    ("database.host", "db.example.com\nevil"),
    ("database.host", "db example com"),
    ("database.host", "../../etc"),
    ("database.sslmode", "maybe"),
    ("database.name", "x" * 64),
    ("database.pool_limit", 0),
    ("redis.db", 12345678901234567890),
    ("redis.db", -1),
    ("redis.port", 0),
    ("redis.maxmemory_bytes", -5),
    ("redis.eviction_policy", "sometimes"),
    ("storage.region", "us-east-1\n"),
    ("storage.region", "../../etc"),
    ("backup.region", "eu-west-1\r\nX-Amz: 1"),
    ("backup.region", "../"),
    ("storage.files_bucket", "Files_Bucket"),
    ("storage.images_bucket", "a..b"),
    ("backup.bucket", "x"),
    ("backup.bucket", "192.168.1.1"),
    ("backup.prefix", "../outside"),
    ("backup.prefix", "/absolute"),
    ("backup.storage_class", "COLDEST"),
    ("backup.credentials", "gcp"),
    ("storage.credentials", "none"),
    ("backup.part_size_mib", 4),
    ("backup.part_size_mib", 10**9),
    ("backup.compression", "gzip"),
    ("backup.compression_level", 999),
    ("backup.compression_level", 0),
    ("backup.schedule_cron", "every day"),
    ("backup.schedule_cron", "0 2 * *\n* * * * * rm -rf /"),
    ("backup.retention.daily", -1),
    ("backup.retention.weekly", -3),
    ("backup.retention.monthly", -12),
    ("backup.retention.yearly", -7),
    ("backup.retention.min_verified", -1),
    ("backup.transition_ia_days", -30),
    ("backup.expire_days", 0),
    ("health.interval_s", -60),
    ("health.interval_s", 0),
    ("health.timeout_s", -1.0),
    ("health.timeout_s", float("nan")),
    ("health.timeout_s", float("inf")),
    ("health.retries", -2),
    ("health.intervals", {"database": -5}),
    ("health.tls_domains", ["ok.example.com", "not a host"]),
    ("health_path", "health-endpoint"),
    ("providers.github_repository", "not-a-repo"),
    ("providers.github_workflow", "../../deploy.yml"),
    ("providers.upstash_email", "nobody"),
    ("providers.vercel_project_id", "prj 123\n"),
    ("providers.cloudflare_zone_id", "zone/../../"),
    ("extra", {"not a name": "x"}),
]


@pytest.mark.parametrize(("field", "value"), NONSENSE, ids=[f"{f}={v!r}"[:60] for f, v in NONSENSE])
def test_nonsense_in_a_field_is_refused_naming_the_field(tmp_path: Path, field: str, value: object) -> None:
    space = sample()
    env = space.environments["staging"]
    _set(field, copy.deepcopy(value))(env)
    text = tomli_w.dumps(ws.to_dict(space))
    path = tmp_path / "workspace.toml"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()

    with pytest.raises(WorkspaceFileError) as caught:
        ws.load(path)
    error = caught.value
    assert error.exit_code == 2
    assert error.field is not None
    top = field.split(".")[0] if field in ("extra",) else field
    assert error.field.startswith(f"environments.staging.{top}"), error.field
    assert error.line is not None
    assert path.read_bytes() == before
    # Never the text of the value (numbers are fine: they are no secret).
    if isinstance(value, str) and len(value) >= 8:
        assert value not in str(error)
        assert SECRET not in str(error)

    # The same model is refused on save, naming the field, and nothing is written.
    target = tmp_path / "saved.toml"
    with pytest.raises(ConfigError) as on_save:
        ws.save(space, target)
    assert top.split(".")[-1] in str(on_save.value)
    assert not target.exists()


def test_sane_values_still_load() -> None:
    space = sample()
    env = space.environments["staging"]
    env.app_url = "http://127.0.0.1:3000"
    env.backup.endpoint_url = "http://[::1]:9000"
    env.backup.region = "auto"
    env.backup.prefix = "database/staging"
    env.backup.compression_level = 19
    env.backup.retention.daily = 0
    env.redis.db = 15
    env.health.timeout_s = 0.5
    env.health.tls_domains = ["staging.example.com"]
    env.providers.api_base = {"vercel": "http://127.0.0.1:8081"}
    env.extra = {"NEXT_PUBLIC_MAPS_KEY": "multi\nline"}
    assert ws.loads(ws.dumps(space)).environments["staging"] == env


def test_type_errors_never_echo_the_value(tmp_path: Path) -> None:
    """A token pasted as the value of a boolean, a number or an enum is named by field, not repeated."""
    for field, line in (("sandbox", f'sandbox = "{SECRET}"'), ("profile", f'profile = "{SECRET}"'),
                        ("schema_version", f'schema_version = "{SECRET}"')):
        text = ws.dumps(sample())
        text = re.sub(rf"^{field} = .*$", line, text, flags=re.M) if re.search(rf"^{field} =", text, re.M) \
            else line + "\n" + text
        with pytest.raises(WorkspaceFileError) as caught:
            ws.loads(text, path="w.toml")
        assert SECRET not in str(caught.value), field
        assert field in str(caught.value)


def test_a_secret_shaped_key_is_not_repeated() -> None:
    text = ws.dumps(sample()).replace("[environments.staging.features]\n",
                                      f"[environments.staging.features]\n{SECRET} = true\n")
    with pytest.raises(WorkspaceFileError) as caught:
        ws.loads(text, path="w.toml")
    assert SECRET not in str(caught.value)
    assert "environments.staging.features" in str(caught.value)


def test_the_file_says_its_profile_and_how_to_change_it() -> None:
    for profile, other in ((ws.Profile.VIEWER, "admin"), (ws.Profile.ADMIN, "viewer")):
        space = sample()
        space.profile = profile
        header = [line for line in ws.dumps(space).splitlines() if line.startswith("#")]
        note = next(line for line in header if "profile" in line)
        assert f'"{profile.value}"' in note and f'profile = "{other}"' in note


DOTENV_NONSENSE = [
    ("NEXT_PUBLIC_APP_URL", "https://app.example.com:0"),
    ("NEXT_PUBLIC_APP_URL", "https://app.example.com:99999"),
    ("DATABASE_URL", "postgresql://app:pw@db.example.com:0/realtor"),
    ("DATABASE_URL", "postgresql://app:pw@db.example.com:99999/realtor"),
    ("REDIS_URL", "redis://default:pw@cache.example.com:6379/12345678901234567890"),
    ("AWS_REGION", '"eu-west-1\\nX-Injected: 1"'),
    ("AWS_REGION", "../../etc"),
    ("BACKUP_BUCKET_NAME", "Not_A_Bucket"),
]


@pytest.mark.parametrize(("variable", "value"), DOTENV_NONSENSE, ids=[f"{k}={v}"[:50] for k, v in DOTENV_NONSENSE])
def test_dotenv_values_go_through_the_same_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  variable: str, value: str) -> None:
    from cli.main import run

    path = tmp_path / "workspace.toml"
    ws.save(sample(), path)
    before = path.read_bytes()
    dotenv = tmp_path / "staging.env"
    dotenv.write_text(f"# staging\nNEXT_PUBLIC_APP_ENV=staging\n{variable}={value}\n", encoding="utf-8")
    code = run(["--workspace", str(path), "--secrets-from-env", "env", "import-dotenv", str(dotenv),
                "--env", "staging", "--yes"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "line 3" in err and variable in err
    assert "Traceback" not in err
    assert path.read_bytes() == before

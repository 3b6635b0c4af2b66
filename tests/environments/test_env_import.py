""".env import against the real keyring: every seed variable with awkward values, idempotence, a changed
file's preview, all-or-nothing apply, and no secret in any file the app writes."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from urllib.parse import quote

import keyring
import keyring.backend
import keyring.errors
import pytest

from cli.main import run as cli_run
from services.core import guard
from services.core import workspace as ws
from services.core.app_context import AppContext
from services.core.credentials import CredentialStore
from services.core.errors import GuardRefusedError
from services.core.log_setup import configure_logging
from services.environments import env_export
from services.environments.connection_urls import split_database_url, split_redis_url
from services.environments.dotenv_parser import DotenvError
from services.environments.env_import import plan_import
from services.environments.env_variables import TEMPLATE_VARIABLES
from services.environments.import_apply import apply_import
from services.environments.import_plan import ImportApplyError
from tests.environments.conftest import app_files

U = uuid.uuid4().hex[:10]
# Every secret carries a unique marker so that the leak grep cannot match by accident.
DB_PASSWORD = f"p@ss:w/rd#ü?{U}%"
REDIS_PASSWORD = f"Up$tash pw {U}"
SECRETS = {
    # In double quotes Next.js turns only \n and \r into characters: the backslashes stay.
    "NEXTAUTH_SECRET": f'na#b=c\\"d\\\\e-{U}',
    "CLOUDFLARE_R2_ACCESS_KEY_ID": f"r2id{U}",
    "CLOUDFLARE_R2_SECRET_ACCESS_KEY": f"r2 secret with spaces # and hash {U}",
    "MLS_API_KEY": f"mls=key=with=equals={U}",
    "TWILIO_ACCOUNT_SID": f"AC{U}sid",
    "TWILIO_AUTH_TOKEN": f"multi\nline token {U}",
    "RESEND_API_KEY": f"re_ünïcødé_✓_{U}",
    "SENTRY_DSN": f"https://pub{U}@o123.ingest.sentry.io/456",
    "JWT_SECRET": f"jwt-{U}-secret",
    "ENCRYPTION_KEY": f"jwt-{U}-secret-enc",  # written as ${JWT_SECRET}-enc in the file
    "AWS_ACCESS_KEY_ID": f"AKIA{U.upper()}",
    "AWS_SECRET_ACCESS_KEY": f"aws/secret+{U}=",
    "VERCEL_TOKEN": f"vercel-token-{U}",
}
UNKNOWN_SECRET = f"hooks.slack.com/services/{U}/unknown"


def awkward_dotenv() -> str:
    encoded_db = quote(DB_PASSWORD, safe="")
    encoded_redis = quote(REDIS_PASSWORD, safe="")
    return f"""\ufeff# Realtor platform — staging (every variable of the seed's template, and then some)
# a comment line with = and "quotes"

export NEXT_PUBLIC_APP_URL=https://staging-realtor-app.vercel.app
NEXT_PUBLIC_APP_ENV="staging"

# Database
DATABASE_URL="postgresql://postgres.abcd:{encoded_db}@aws-0-us-east-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1&sslmode=require"
DIRECT_URL=postgresql://postgres.abcd:{encoded_db}@db.abcd.supabase.co:5432/postgres?sslmode=require   # direct
REDIS_URL='rediss://default:{encoded_redis}@eu1-bold-cat-12345.upstash.io:6379'

NEXTAUTH_SECRET="na#b=c\\"d\\\\e-{U}"
NEXTAUTH_URL=https://staging-realtor-app.vercel.app  # trailing comment
CLOUDFLARE_R2_ACCESS_KEY_ID=r2id{U}
CLOUDFLARE_R2_SECRET_ACCESS_KEY='r2 secret with spaces # and hash {U}'
CLOUDFLARE_R2_BUCKET_NAME=realtor-files-staging
MLS_API_KEY=mls=key=with=equals={U}
TWILIO_ACCOUNT_SID=AC{U}sid
TWILIO_AUTH_TOKEN="multi
line token {U}"
RESEND_API_KEY=re_ünïcødé_✓_{U}
SENTRY_DSN=https://pub{U}@o123.ingest.sentry.io/456
VERCEL_ANALYTICS_ID=va-staging-1
JWT_SECRET=jwt-{U}-secret
ENCRYPTION_KEY="${{JWT_SECRET}}-enc"
AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=AKIA{U.upper()}
AWS_SECRET_ACCESS_KEY=aws/secret+{U}=
BACKUP_BUCKET_NAME=realtor-backups-staging
VERCEL_TOKEN=vercel-token-{U}
VERCEL_ORG_ID=team_realtor
export VERCEL_PROJECT_ID=prj_realtor
GITHUB_REPOSITORY=realtor/platform
SLACK_WEBHOOK=https://{UNKNOWN_SECRET}
GA_MEASUREMENT_ID=G-123
MLS_API_KEY=mls=key=with=equals={U}
"""


def planted_values() -> list[str]:
    values = [DB_PASSWORD, REDIS_PASSWORD, *SECRETS.values(), UNKNOWN_SECRET]
    values += [quote(DB_PASSWORD, safe=""), quote(REDIS_PASSWORD, safe="")]
    return values


def admin_auth(ctx: AppContext, env: str) -> guard.Authorization:
    return guard.authorize(ctx.workspace, ctx.workspace.environments.get(env) or
                           ws.seed_environment(env, ws.EnvironmentKind.OTHER), "import .env",
                           confirm=env, reason="test import")


def test_awkward_dotenv_imports_every_seed_variable_correctly(ctx: AppContext) -> None:
    plan = plan_import(ctx, "staging", awkward_dotenv(), source="staging.env")
    assert plan.missing == []
    assert plan.unknown == []
    assert {(x.name, x.secret) for x in plan.extras} == {("SLACK_WEBHOOK", True), ("GA_MEASUREMENT_ID", False)}
    assert any("MLS_API_KEY" in w and "last value wins" in w for w in plan.warnings)
    assert set(TEMPLATE_VARIABLES) <= set(plan.recognised)
    assert {c.name for c in plan.secrets} == {*SECRETS, "DATABASE_PASSWORD", "DIRECT_DATABASE_PASSWORD",
                                              "REDIS_PASSWORD", "SLACK_WEBHOOK"}
    text = "\n".join(plan.lines()) + repr(plan) + str(plan.as_dict())
    for value in planted_values():
        assert value not in text

    result = apply_import(ctx, plan, admin_auth(ctx, "staging"))
    assert not result.noop and len(result.secrets_written) == len(plan.secrets)

    env = ws.load(ctx.workspace_path).environments["staging"]
    assert env.app_url == "https://staging-realtor-app.vercel.app"
    assert (env.database.host, env.database.port, env.database.name, env.database.user, env.database.sslmode) == (
        "aws-0-us-east-1.pooler.supabase.com", 6543, "postgres", "postgres.abcd", "require")
    assert env.database.params == {"pgbouncer": "true", "connection_limit": "1"}
    assert (env.direct_database.host, env.direct_database.port, env.direct_database.sslmode) == (
        "db.abcd.supabase.co", 5432, "require")
    assert (env.redis.host, env.redis.port, env.redis.username, env.redis.tls) == (
        "eu1-bold-cat-12345.upstash.io", 6379, "default", True)
    assert env.storage.files_bucket == "realtor-files-staging"
    assert (env.backup.bucket, env.backup.region) == ("realtor-backups-staging", "eu-west-1")
    assert env.providers.vercel_analytics_id == "va-staging-1"
    assert (env.providers.vercel_team_id, env.providers.vercel_project_id) == ("team_realtor", "prj_realtor")
    assert env.providers.github_repository == "realtor/platform"
    assert env.extra == {"NEXT_PUBLIC_APP_ENV": "staging", "NEXTAUTH_URL": "https://staging-realtor-app.vercel.app",
                         "GA_MEASUREMENT_ID": "G-123"}

    # A fresh store (new keyring client) reads back exactly what was planted.
    fresh = CredentialStore(ctx.workspace.id)
    assert fresh.get("staging", "DATABASE_PASSWORD") == DB_PASSWORD
    assert fresh.get("staging", "DIRECT_DATABASE_PASSWORD") == DB_PASSWORD
    assert fresh.get("staging", "REDIS_PASSWORD") == REDIS_PASSWORD
    for name, value in SECRETS.items():
        assert fresh.get("staging", name) == value, name
    assert fresh.get("staging", "SLACK_WEBHOOK") == f"https://{UNKNOWN_SECRET}"

    audit = ctx.audit.entries(environment="staging")
    assert audit[0].action == "import .env" and audit[0].outcome.startswith("applied")
    assert set(audit[0].details["secrets"]) == {c.name for c in plan.secrets}


def test_same_file_twice_is_a_noop_and_a_changed_file_shows_its_changes(ctx: AppContext) -> None:
    text = awkward_dotenv()
    apply_import(ctx, plan_import(ctx, "staging", text), admin_auth(ctx, "staging"))
    before = ctx.workspace_path.read_bytes()
    audit_count = len(ctx.audit.entries())

    again = plan_import(ctx, "staging", text)
    assert again.is_noop, again.lines()
    assert again.summary().startswith("Nothing to change")
    assert apply_import(ctx, again, admin_auth(ctx, "staging")).noop
    assert ctx.workspace_path.read_bytes() == before
    assert len(ctx.audit.entries()) == audit_count

    changed = text.replace("mls=key=with=equals=", "mls-rotated-").replace(
        "BACKUP_BUCKET_NAME=realtor-backups-staging", "BACKUP_BUCKET_NAME=realtor-backups-v2")
    plan = plan_import(ctx, "staging", changed)
    assert [(c.name, c.action) for c in plan.secrets] == [("MLS_API_KEY", "change")]
    assert [(c.path, c.old, c.new) for c in plan.settings] == [
        ("backup.bucket", "realtor-backups-staging", "realtor-backups-v2")]
    shown = "\n".join(plan.lines())
    assert "MLS_API_KEY" in shown and "realtor-backups-v2" in shown and f"mls-rotated-{U}" not in shown
    apply_import(ctx, plan, admin_auth(ctx, "staging"))
    assert CredentialStore(ctx.workspace.id).get("staging", "MLS_API_KEY") == f"mls-rotated-{U}"
    assert plan_import(ctx, "staging", changed).is_noop


def test_no_secret_reaches_any_file_the_app_writes(ctx: AppContext, app_dirs: dict[str, Path]) -> None:
    log_path = configure_logging(ctx.paths.logs, level=logging.DEBUG)
    text = awkward_dotenv()
    dotenv = app_dirs["root"] / "outside" / "staging.env"  # the user's own file, outside the app's folders
    dotenv.parent.mkdir()
    dotenv.write_text(text, encoding="utf-8")
    plan = plan_import(ctx, "staging", text, source="staging.env")
    logging.getLogger("test").info("plan: %s", "\n".join(plan.lines()))
    apply_import(ctx, plan, admin_auth(ctx, "staging"))
    # Exports, as the CLI writes them, into the app's data folder.
    exports = ctx.paths.data / "exports"
    exports.mkdir(parents=True)
    (exports / "workspace.toml").write_text(env_export.export_workspace_toml(ctx.workspace), encoding="utf-8")
    template = env_export.dotenv_template(ctx.environment("staging"),
                                          stored_secrets=ctx.credentials.names("staging"))
    (exports / "staging.env").write_text(template, encoding="utf-8")
    # The CLI, too: an import into production refused, a dry run, an export.
    base = ["--workspace", str(ctx.workspace_path)]
    assert cli_run([*base, "env", "import-dotenv", str(dotenv), "--env", "production", "--yes"]) == 3
    assert cli_run([*base, "--json", "env", "import-dotenv", str(dotenv), "--env", "staging", "--dry-run"]) == 0
    assert cli_run([*base, "env", "export", "--env", "staging", "--dotenv-template", "-o",
                    str(exports / "cli.env")]) == 0
    # A secret carried by an error and by a reason is masked on the way to the log and the audit log.
    logging.getLogger("test").error("failed with %s", SECRETS["VERCEL_TOKEN"])
    ctx.audit.record(environment="staging", action="note", outcome="x", reason=f"rotating {SECRETS['JWT_SECRET']}")
    for handler in logging.getLogger().handlers:
        handler.flush()

    files = app_files(app_dirs)
    assert log_path in files and ctx.audit.path in files and ctx.workspace_path in files
    assert (exports / "cli.env") in files
    for path in files:
        data = path.read_bytes()
        for value in planted_values():
            assert value.encode() not in data, f"a planted secret leaked into {path}"
    # The template has every template variable, each secret empty.
    lines = dict(line.split("=", 1) for line in template.splitlines() if line and not line.startswith("#"))
    assert set(TEMPLATE_VARIABLES) <= set(lines)
    for name in SECRETS:
        if name in lines:
            assert lines[name] == ""
    assert lines["DATABASE_URL"].startswith("postgresql://postgres.abcd:@aws-0-us-east-1.pooler")


class FlakyBackend(keyring.backend.KeyringBackend):
    """The real Secret Service, except that writes fail after ``allowed`` secret writes."""

    priority = 5  # type: ignore[assignment]

    def __init__(self, real: keyring.backend.KeyringBackend, allowed: int) -> None:
        super().__init__()
        self.real = real
        self.allowed = allowed

    def get_password(self, service: str, username: str) -> str | None:
        return self.real.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        if not username.endswith("__index__"):
            if self.allowed <= 0:
                raise keyring.errors.PasswordSetError("the keyring refused the write")
            self.allowed -= 1
        self.real.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self.real.delete_password(service, username)


def test_a_failing_keyring_write_leaves_nothing_half_applied(ctx: AppContext) -> None:
    real = keyring.get_keyring()
    apply_import(ctx, plan_import(ctx, "staging", "MLS_API_KEY=old-mls-value\n"), admin_auth(ctx, "staging"))
    workspace_before = ctx.workspace_path.read_bytes()
    ctx.credentials = CredentialStore(ctx.workspace.id, backend=FlakyBackend(real, allowed=4))
    plan = plan_import(ctx, "staging", awkward_dotenv())
    assert len(plan.secrets) > 4
    with pytest.raises(ImportApplyError) as err:
        apply_import(ctx, plan, admin_auth(ctx, "staging"))
    assert "nothing was changed" in err.value.sentence()
    fresh = CredentialStore(ctx.workspace.id)
    assert fresh.names("staging") == ["MLS_API_KEY"]
    assert fresh.get("staging", "MLS_API_KEY") == "old-mls-value"
    assert ctx.workspace_path.read_bytes() == workspace_before
    assert ctx.environment("staging").database.host == ""
    assert ctx.audit.entries()[0].outcome == "failed; nothing applied"

    # A failing workspace save rolls the keyring back too.
    ctx.credentials = fresh

    def broken_save() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(ImportApplyError):
        apply_import(ctx, plan_import(ctx, "staging", awkward_dotenv()), admin_auth(ctx, "staging"),
                     save=broken_save)
    assert fresh.names("staging") == ["MLS_API_KEY"]
    assert fresh.get("staging", "MLS_API_KEY") == "old-mls-value"
    assert ctx.workspace_path.read_bytes() == workspace_before


def test_viewer_and_production_are_refused_by_the_guard(ctx: AppContext) -> None:
    plan = plan_import(ctx, "production", "MLS_API_KEY=x1234\n")
    with pytest.raises(GuardRefusedError):
        guard.authorize(ctx.workspace, ctx.environment("production"), "import .env")
    ctx.workspace.profile = ws.Profile.VIEWER
    with pytest.raises(GuardRefusedError):
        guard.authorize(ctx.workspace, ctx.environment("staging"), "import .env")
    ctx.workspace.profile = ws.Profile.ADMIN
    auth = guard.authorize(ctx.workspace, ctx.environment("production"), "import .env", confirm="production",
                           reason="rotate MLS key")
    apply_import(ctx, plan, auth)
    assert ctx.audit.entries()[0].reason == "rotate MLS key"


def test_prefixed_variables_and_new_environments(ctx: AppContext) -> None:
    text = ("DATABASE_URL=postgresql://u:a@prod.example.com/app\n"
            "STAGING_DATABASE_URL=postgresql://u:b@stg.example.com/app\n"
            "DEV_DATABASE_URL=postgresql://u:c@dev.example.com/app\n")
    plan = plan_import(ctx, "staging", text)
    new_env = plan._new_env
    assert new_env is not None and new_env.database.host == "stg.example.com"
    assert [u.name for u in plan.unknown] == ["DEV_DATABASE_URL"]
    plan = plan_import(ctx, "qa-1", "NEXT_PUBLIC_APP_ENV=staging\nNEXT_PUBLIC_APP_URL=https://qa.example.com\n")
    assert plan.creates_environment and plan.kind == ws.EnvironmentKind.STAGING
    apply_import(ctx, plan, admin_auth(ctx, "qa-1"))
    assert ws.load(ctx.workspace_path).environments["qa-1"].app_url == "https://qa.example.com"


@pytest.mark.parametrize(("url", "expected", "password"), [
    ("postgresql://postgres:p%40ss%2Fw0rd@db.x.supabase.co:5432/postgres",
     {"host": "db.x.supabase.co", "port": 5432, "name": "postgres", "user": "postgres", "sslmode": "prefer",
      "params": {}}, "p@ss/w0rd"),
    ("postgres://u:pa@ss@h/db?sslmode=verify-full&pgbouncer=true",
     {"host": "h", "port": 5432, "name": "db", "user": "u", "sslmode": "verify-full",
      "params": {"pgbouncer": "true"}}, "pa@ss"),
    ("postgresql://[::1]:6543/x%20y", {"host": "::1", "port": 6543, "name": "x y", "user": "postgres",
                                       "sslmode": "prefer", "params": {}}, None),
])
def test_database_urls_are_split(url: str, expected: dict[str, object], password: str | None) -> None:
    assert split_database_url(url) == (expected, password)


@pytest.mark.parametrize(("url", "needle"), [
    ("mysql://u:p@h/db", "not a postgresql:// URL"),
    ("postgresql://u:pa#ss@h/db", "cannot be read"),
    ("postgresql://u:p@h:99999/db", "cannot be read"),
    ("postgresql:///db", "no host"),
])
def test_bad_database_urls_name_the_line(url: str, needle: str) -> None:
    with pytest.raises(DotenvError) as err:
        split_database_url(url, line=7, source="x.env")
    assert "x.env, line 7 (DATABASE_URL)" in err.value.sentence() and needle in err.value.sentence()
    assert "pa#ss" not in err.value.sentence()


def test_redis_urls_are_split() -> None:
    assert split_redis_url("rediss://default:s3cr%23t@eu1.upstash.io:6380/2")[:2] == (
        {"host": "eu1.upstash.io", "port": 6380, "username": "default", "db": 2, "tls": True}, "s3cr#t")
    assert split_redis_url("redis://localhost")[:2] == (
        {"host": "localhost", "port": 6379, "username": "", "db": 0, "tls": False}, None)
    with pytest.raises(DotenvError):
        split_redis_url("redis://h/abc", line=3)

"""Issue 10 §6 and issue 12 §1 in the importer: derived settings follow the app URL, every variable is
kept (plain or in the keyring, the user may flip one), drift sees them all, and the preview shows where
Next.js reads a value differently from its text — never a secret's value."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from cli.main import run as cli_run
from services.core import guard
from services.core import workspace as ws
from services.core.app_context import AppContext
from services.core.credentials import CredentialStore
from services.environments import env_export
from services.environments.drift import diff_environments
from services.environments.env_import import plan_import
from services.environments.env_variables import secret_reason
from services.environments.import_apply import apply_import
from services.health.checks.tls import TlsCheck, domains_of

U = uuid.uuid4().hex[:10]


def _auth(ctx: AppContext, env: str) -> guard.Authorization:
    target = ctx.workspace.environments.get(env) or ws.seed_environment(env, ws.EnvironmentKind.OTHER)
    return guard.authorize(ctx.workspace, target, "import .env", confirm=env, reason="test")


def _import(ctx: AppContext, env: str, text: str, **flags: list[str]) -> None:
    apply_import(ctx, plan_import(ctx, env, text, **flags), _auth(ctx, env))  # type: ignore[arg-type]


def test_a_new_environment_keeps_nothing_of_the_seeds_example_urls(ctx: AppContext) -> None:
    port = 40000 + int(U[:3], 16) % 20000
    plan = plan_import(ctx, "qa-staging", f"NEXT_PUBLIC_APP_URL=http://127.0.0.1:{port}\n", source="qa.env")
    assert plan.creates_environment
    apply_import(ctx, plan, _auth(ctx, "qa-staging"))
    env = ws.load(ctx.workspace_path).environments["qa-staging"]
    assert env.app_url == f"http://127.0.0.1:{port}"
    assert env.health.tls_domains == [] and domains_of(env) == []
    assert not TlsCheck().configured(env)
    assert TlsCheck().not_configured_reason(env).startswith("not applicable")
    text = ws.dumps(ws.Workspace(environments={"qa-staging": env}))
    assert "realtor-app" not in text and "realtor-platform" not in text
    assert env.health_url == f"http://127.0.0.1:{port}/api/health"


def test_a_new_environment_without_an_app_url_says_so(ctx: AppContext) -> None:
    plan = plan_import(ctx, "qa-2", "GA_MEASUREMENT_ID=G-1\n")
    assert any("no NEXT_PUBLIC_APP_URL" in w for w in plan.warnings)
    assert plan._new_env is not None and plan._new_env.app_url == ""


def test_an_existing_environments_derived_tls_domain_follows_its_new_url(ctx: AppContext) -> None:
    assert ctx.environment("staging").health.tls_domains == ["staging-realtor-app.vercel.app"]
    plan = plan_import(ctx, "staging", "NEXT_PUBLIC_APP_URL=https://staging.example.org/app\n")
    assert any(c.path == "health.tls_domains" and "staging.example.org" in c.new for c in plan.settings)
    apply_import(ctx, plan, _auth(ctx, "staging"))
    env = ctx.environment("staging")
    assert env.health.tls_domains == [] and domains_of(env) == [("staging.example.org", 443)]
    # A list the user wrote by hand is theirs: kept.
    env.health.tls_domains = ["a.example.org", "b.example.org"]
    ctx.save_workspace()
    _import(ctx, "staging", "NEXT_PUBLIC_APP_URL=https://other.example.org\n")
    assert ctx.environment("staging").health.tls_domains == ["a.example.org", "b.example.org"]


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("STRIPE_SECRET_KEY", "sk_live_x", True),
    ("SESSION_TOKEN", "abc", True),
    ("DB_PASSWORD_OLD", "x", True),
    ("SIGNING_SECRET", "y", True),
    ("FEATURE_COLOR", "blue", False),
    ("MAPBOX_STYLE", "mapbox://styles/me/style-1", False),
    ("CALLBACK", "https://user:pw@example.com/hook", True),
    ("OPAQUE", "Zk9vR3pLq8Wm2Xc7Tn4Yb6Hd1Sa5Je0U", True),        # high entropy
    ("HEXISH", "9f86d081884c7d659a2feaa0c55ad015", True),
    ("BUILD_ID", "3f2b8c1e-0d4a-4b6e-9c7f-1a2b3c4d5e6f", False),  # a UUID is an id
    ("LONG_WORDS", "the-quick-brown-fox-jumps-over", False),
    ("PEMISH", "-----BEGIN CERTIFICATE-----\nMII", True),
    ("GH", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", True),
    ("ADMIN", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", True),  # bcrypt
    ("ADMIN_HASH", "x", True),
    ("NEXT_PUBLIC_MAPS_KEY", "AIzaSyD-public-browser-key-123456", False),  # public by definition
])
def test_what_looks_secret(name: str, value: str, secret: bool) -> None:
    assert bool(secret_reason(name, value)) is secret


def test_unknown_variables_are_kept_and_the_user_can_flip_them(ctx: AppContext) -> None:
    text = (f"NEXT_PUBLIC_APP_URL=https://staging.example.org\nFEATURE_COLOR=blue\nSTRIPE_SECRET_KEY=sk_live_{U}\n"
            f"OPAQUE_ID=Zk9vR3pLq8Wm2Xc7Tn4Yb6{U}\nNEXT_PUBLIC_MAPS_KEY=AIza-{U}\n")
    plan = plan_import(ctx, "staging", text)
    kinds = {x.name: x.secret for x in plan.extras}
    assert kinds == {"FEATURE_COLOR": False, "STRIPE_SECRET_KEY": True, "OPAQUE_ID": True,
                     "NEXT_PUBLIC_MAPS_KEY": False}
    shown = "\n".join(plan.lines())
    assert "STRIPE_SECRET_KEY (line 3): secret, kept in the keyring (its name has 'KEY'" in shown
    assert "--plain STRIPE_SECRET_KEY" in shown and "--secret FEATURE_COLOR" in shown
    assert f"sk_live_{U}" not in shown and U not in shown.replace(f"AIza-{U}", "")

    flipped = plan_import(ctx, "staging", text, secret=["FEATURE_COLOR"], plain=["OPAQUE_ID"])
    assert {x.name: (x.secret, x.flipped) for x in flipped.extras}["FEATURE_COLOR"] == (True, True)
    apply_import(ctx, flipped, _auth(ctx, "staging"))
    env = ws.load(ctx.workspace_path).environments["staging"]
    store = CredentialStore(ctx.workspace.id)
    assert env.extra["OPAQUE_ID"] == f"Zk9vR3pLq8Wm2Xc7Tn4Yb6{U}" and "FEATURE_COLOR" not in env.extra
    assert store.get("staging", "FEATURE_COLOR") == "blue" and store.get("staging", "STRIPE_SECRET_KEY")
    assert f"sk_live_{U}" not in ctx.workspace_path.read_text()

    # Importing again keeps each where it is now, with no flag.
    assert plan_import(ctx, "staging", text).is_noop
    # Flipping back moves it: the keyring entry goes, the setting comes.
    back = plan_import(ctx, "staging", text, plain=["FEATURE_COLOR"])
    assert back.removed_secrets == ["FEATURE_COLOR"]
    apply_import(ctx, back, _auth(ctx, "staging"))
    assert ctx.environment("staging").extra["FEATURE_COLOR"] == "blue"
    assert "FEATURE_COLOR" not in CredentialStore(ctx.workspace.id).names("staging")


def test_flip_flags_are_checked(ctx: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dotenv = tmp_path / "x.env"
    dotenv.write_text("FEATURE_COLOR=blue\nMLS_API_KEY=k\n")
    base = ["--workspace", str(ctx.workspace_path), "env", "import-dotenv", str(dotenv), "--env", "staging",
            "--dry-run"]
    assert cli_run([*base, "--plain", "MLS_API_KEY"]) == 2
    assert "MLS_API_KEY is a variable the console knows" in capsys.readouterr().err
    assert cli_run([*base, "--secret", "NOT_THERE"]) == 2
    assert "has no variable NOT_THERE" in capsys.readouterr().err
    assert cli_run([*base, "--secret", "FEATURE_COLOR", "--plain", "FEATURE_COLOR"]) == 2
    assert cli_run([*base, "--secret", "FEATURE_COLOR"]) == 0
    assert "FEATURE_COLOR (line 1): secret, kept in the keyring (as you asked)" in capsys.readouterr().out


def test_drift_covers_every_variable_by_fingerprint_for_secrets(ctx: AppContext) -> None:
    _import(ctx, "staging", f"FEATURE_COLOR=blue\nWEBHOOK_SECRET=ws-{U}-a\nONLY_STAGING=1\nSAME_TOKEN=t-{U}\n")
    _import(ctx, "production", f"FEATURE_COLOR=green\nWEBHOOK_SECRET=ws-{U}-b\nSAME_TOKEN=t-{U}\n")
    report = asyncio.run(diff_environments(ctx, "staging", "production", with_template=False, with_vercel=False))
    items = {i.key: i for i in report.between.items}
    assert (items["FEATURE_COLOR"].a, items["FEATURE_COLOR"].b) == ("blue", "green")
    assert (items["WEBHOOK_SECRET"].a, items["WEBHOOK_SECRET"].b) == ("set", "set")
    assert "fingerprint" in items["WEBHOOK_SECRET"].note and items["WEBHOOK_SECRET"].drift
    assert items["ONLY_STAGING"].category == "presence"
    assert "SAME_TOKEN" not in items
    assert f"ws-{U}" not in repr(report)


def test_the_preview_shows_nexts_reading_and_never_a_secret(ctx: AppContext, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    dotenv = tmp_path / "next.env"
    dotenv.write_text(
        "NEXTAUTH_URL=https://example.com/app#section\n"
        f"JWT_SECRET=jwt{U}#tail{U}\n"
        f"HASH_SECRET='$2b$10$N9qo8uLOickgx2ZMRZoMyeIj{U}'\n"
        "GREETING='hello $NAME'\n"
        "DATABASE_URL=postgresql://app:pa\\$\\$word@db.example.com:5432/app\n")
    base = ["--workspace", str(ctx.workspace_path)]
    assert cli_run([*base, "env", "import-dotenv", str(dotenv), "--env", "staging", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Read differently by Next.js than written" in out
    assert "NEXTAUTH_URL (line 1): Next.js will read this as 'https://example.com/app' (an unquoted value ends" in out
    assert "GREETING (line 4): Next.js will read this as 'hello ' (single quotes do not stop" in out
    assert "JWT_SECRET (line 2): Next.js will read a different value than the text in the file: 13 character(s)" \
           " instead of 28" in out
    assert "HASH_SECRET (line 3): Next.js will read a different value" in out
    assert "DATABASE_URL (line 5): Next.js will read a different value" in out
    assert U not in out and "pa$$word" not in out and "N9qo" not in out

    assert cli_run([*base, "--json", "env", "import-dotenv", str(dotenv), "--env", "staging", "--yes",
                    "--confirm", "staging", "--reason", "t"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["variable"] for r in data["plan"]["readings"]} == {"NEXTAUTH_URL", "JWT_SECRET", "HASH_SECRET",
                                                                  "GREETING", "DATABASE_URL"}
    saved = ws.load(ctx.workspace_path).environments["staging"]
    assert saved.extra["NEXTAUTH_URL"] == "https://example.com/app"
    assert saved.dotenv_notes["NEXTAUTH_URL"].startswith("Next.js will read this as 'https://example.com/app'")
    assert "13 character(s) instead of 28" in saved.dotenv_notes["JWT_SECRET"]
    store = CredentialStore(ctx.workspace.id)
    assert store.get("staging", "JWT_SECRET") == f"jwt{U}"
    assert store.get("staging", "DATABASE_PASSWORD") == "pa$$word"
    assert U not in ctx.workspace_path.read_text()
    # A later file where the text and the reading agree clears the note.
    _import(ctx, "staging", "NEXTAUTH_URL='https://example.com/app#section'\n")
    assert "NEXTAUTH_URL" not in ctx.environment("staging").dotenv_notes


def test_the_dotenv_template_is_read_back_exactly_by_next(ctx: AppContext) -> None:
    awkward = {"A_DOLLAR": "pa$$word $HOME ${X}", "A_POUND": "x#y # z", "A_QUOTES": "it's \"q\" `b`",
               "A_NEWLINE": "one\ntwo", "A_BACKSLASH": "C:\\dir\\$x\\n", "A_SPACES": "  padded  "}
    _import(ctx, "staging", "".join(f"{k}=plain-{i}\n" for i, k in enumerate(awkward)))
    env = ctx.environment("staging")
    env.extra.update(awkward)
    ctx.save_workspace()
    template = env_export.dotenv_template(env, stored_secrets=ctx.credentials.names("staging"))
    plan = plan_import(ctx, "staging", template)
    assert plan.is_noop, plan.lines()


def test_a_file_of_thousands_of_secret_looking_variables_is_refused_before_the_keyring(ctx: AppContext) -> None:
    from services.core.errors import ConfigError
    from services.environments.env_import import MAX_EXTRA_SECRETS

    text = "".join(f"SERVICE_{i}_TOKEN=t{i}\n" for i in range(MAX_EXTRA_SECRETS + 1))
    with pytest.raises(ConfigError) as err:
        plan_import(ctx, "staging", text)
    assert "look secret" in err.value.sentence()
    assert CredentialStore(ctx.workspace.id).names("staging") == []


@pytest.mark.parametrize("line", [
    "REDIS_URL=redis://h:6379/Mk9secretpath",
    "REDIS_URL=rediss://default:Mk9pw@h:0",
    "DATABASE_URL=mysql://u:Mk9pw@h/db",
    "DATABASE_URL=postgresql://u:Mk9pw@h:99999/db",
    "DATABASE_URL=postgresql://u:Mk9p#w@h/db",
    "DIRECT_URL=postgresql://u:Mk9pw@[::1/db",
    "NEXT_PUBLIC_APP_URL=ftp://Mk9host",
    "NEXT_PUBLIC_APP_URL=https://Mk9host:0",
    "GITHUB_REPOSITORY=Mk9repo",
    "BACKUP_BUCKET_NAME=Mk9_Bucket",
])
def test_setting_and_url_errors_name_the_line_not_the_value(ctx: AppContext, line: str) -> None:
    from services.environments.dotenv_parser import DotenvError

    with pytest.raises(DotenvError) as err:
        plan_import(ctx, "staging", f"# first\n{line}\n", source="bad.env")
    assert "bad.env, line 2" in err.value.sentence()
    assert "Mk9" not in err.value.sentence()

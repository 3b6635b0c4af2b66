"""The .env parser on real-world syntax, and fuzzed input: never a crash, every rejection names its line."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core import workspace as ws
from services.core.app_context import AppPaths, build_context
from services.core.credentials import CredentialStore
from services.core.errors import ConfigError, WorkspaceFileError
from services.environments.dotenv_parser import DotenvError, parse_dotenv
from services.environments.env_import import plan_import


def values(text: str) -> dict[str, str]:
    return parse_dotenv(text).values()


def test_comments_export_and_whitespace() -> None:
    # dotenv 16.3.1 ends an unquoted value at the first '#', with or without a space before it.
    assert values("# c\n\n  export A=1  \nB = two words # note\nC=x#y\nD=\nE= # only a comment\n") == {
        "A": "1", "B": "two words", "C": "x", "D": "", "E": ""}


def test_quotes_escapes_and_multiline() -> None:
    text = ("S='lit $A \\n #x'\n"
            'D="a\\tb\\n\\"q\\" \\\\ \\$A # kept"\n'
            'M="line 1\nline 2\n  line 3"\n'
            "K='one\ntwo'\n"
            "B=`back tick`\n")
    # Only \n and \r are escapes in double quotes; every value is expanded (single quotes too), and \$ is $.
    assert values(text) == {"S": "lit  \\n #x", "D": 'a\\tb\n\\"q\\" \\\\ $A # kept',
                            "M": "line 1\nline 2\n  line 3", "K": "one\ntwo", "B": "back tick"}


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("P=pa\\$\\$word\n", "P", "pa$$word"),                                  # \$ outside double quotes
    ("H=\\$2b\\$10\\$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n", "H",
     "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"),     # an escaped bcrypt hash
    ("B=${NOPE:-${NOPE2:-deep}}\n", "B", "deep"),                              # nested defaults
    ('W="C:\\\\Users\\\\me\\\\"\n', "W", "C:\\\\Users\\\\me\\\\"),  # backslashes stay
    ('E="say \\"hi\\""\n', "E", 'say \\"hi\\"'),
    ('T="a\\tb"\n', "T", "a\\tb"),
    ("NEXTAUTH_URL=https://example.com/app#section\n", "NEXTAUTH_URL", "https://example.com/app"),
    ("HASH='$2b$10$abc'\n", "HASH", ""),                                       # single quotes expanded
    ("B=${A}\nA=1\n", "B", "1"),                                               # forward reference
    ("A=1\nB=$A\nA=2\n", "B", "2"),                                           # the last definition
    ("A=x\nB=${A:-d}\n", "B", "d"),                                            # dotenv-expand 10's bug
    ("ONE=1\nTWO=2\nT=$ONE$TWO\n", "T", ""),                                  # ... and another
    ("F=cost $5 each\n", "F", "cost  each"),
    ("X=${NOPE-d}\n", "X", "-d}"),
])
def test_values_as_next_reads_them(text: str, key: str, expected: str) -> None:
    assert values(text)[key] == expected


def test_where_the_reading_differs_the_entry_says_how_without_the_value() -> None:
    parsed = parse_dotenv("URL=https://example.com/app#section\nTOKEN=abc#s3cr3tpart\nSAME=plain\n"
                          'PEM="-----BEGIN-----\\nMIIsecret\\n-----END-----"\nHASH=\'$2b$10$s3cr3tHash\'\n')
    url, token, same, pem, hashed = (parsed.entries[k] for k in ("URL", "TOKEN", "SAME", "PEM", "HASH"))
    assert url.literal == "https://example.com/app#section" and url.value == "https://example.com/app"
    assert url.reading_note(secret=False).startswith("Next.js will read this as 'https://example.com/app'")
    assert "ends at '#'" in url.reading_note(secret=False)
    note = token.reading_note(secret=True)
    assert "3 character(s) instead of 14" in note and "s3cr3t" not in note and "abc" not in note
    assert not same.differs and same.reading_note(secret=True) == ""
    assert "line breaks" in pem.reading_note(secret=True) and "MII" not in pem.reading_note(secret=True)
    hash_note = hashed.reading_note(secret=True)
    assert "single quotes" in hash_note and "s3cr3t" not in hash_note
    assert any("digit" in w.message and "s3cr3t" not in w.message for w in parsed.warnings if w.key == "HASH")


def test_broken_dotenv_expand_cases_warn_with_next_reading() -> None:
    parsed = parse_dotenv("A=x\nB=${A:-d}\nC=${A-d}\nONE=1\nTWO=2\nT=$ONE$TWO\nF=$5\n")
    by_key = {w.key: w.message for w in parsed.warnings}
    assert "takes its default although NAME is set" in by_key["B"]
    assert "${NAME-default} is not understood" in by_key["C"]
    assert "followed directly by another" in by_key["T"]
    assert "followed by a digit" in by_key["F"]
    assert parsed.values()["C"] == "x-d}"


@pytest.mark.parametrize("text", ["A=$A\n", "A=${A}\nB=1\n", "PATH=/bin:$PATH\n", "A=$B\nB=$A\n",
                                  "A=$B\nB=$C\nC=$A\nD=ok\n", "X=${X-d}\n"])
def test_a_cycle_is_refused_because_next_skips_the_whole_file(text: str) -> None:
    with pytest.raises(DotenvError) as err:
        parse_dotenv(text, source="loop.env")
    assert "refers to itself" in err.value.sentence()
    assert "skips every variable of this file" in err.value.sentence()


def test_self_reference_with_a_default_is_fine() -> None:
    assert values("A=${A:-x}\n") == {"A": "x"}


def test_duplicates_last_wins_with_a_warning() -> None:
    parsed = parse_dotenv("A=1\nB=2\nA=3\n")
    assert parsed.values() == {"A": "3", "B": "2"}
    assert parsed.entries["A"].line == 3
    assert parsed.warnings[0].sentence() == "line 3 (A): set again (first on line 1); the last value wins"


def test_crlf_and_bom() -> None:
    assert values("\ufeffA=1\r\nB=\"x\r\ny\"\r\n") == {"A": "1", "B": "x\ny"}


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("A=1\nnot a line\n", 2, "has no '='"),
    ("A=1\n=value\n", 2, "no name before '='"),
    ("A=1\nB=\"open\nC=2\n", 2, "never closed"),
    ("A='x' y\n", 1, "after the closing"),
    ("A=1\n\nB=\"two\nlines\" tail\n", 3, "next \" is on line 4"),
    ("A=1\nCLÉ=2\n", 2, "U+00C9, column 3"),
    ("A=1\n\ufeffB=2\n", 2, "byte-order mark"),
    ("A='abc\nB='x'\n", 1, "the next ' is on line 2"),
    ("A=1\x00\n", 1, "NUL"),
    ("A\n=1\n", 1, "same line"),
    ("toString=1\n", 1, "JavaScript"),
])
def test_rejections_name_the_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(DotenvError) as err:
        parse_dotenv(text, source="my.env")
    assert err.value.line == line
    assert f"my.env, line {line}" in err.value.sentence()
    assert needle in err.value.sentence()


@pytest.mark.parametrize("text", [
    "TOKEN='s3cr3t-value' trailing\n",
    "A=1\nghp_s3cr3tTokenPastedAlone\n",
    "ghp_s3cr3t Token With Spaces\n",
    "s3cr3t=\n=s3cr3t\n",
    "A=1\n  s3cr3t-pem-line-without-equals  \n",
    "s3cr3tÉ=1\n",
    "A=1\n\ufeffs3cr3t\n",
    "s3cr3t\n=1\n",
    "A=\"s3cr3t\n",
    "A='s3cr3t\nB='x'\n",
])
def test_rejections_never_quote_the_line(text: str) -> None:
    with pytest.raises(DotenvError) as err:
        parse_dotenv(text)
    assert "s3cr3t" not in err.value.sentence()
    assert "s3cr3t" not in repr(err.value)


# --- fuzzing -------------------------------------------------------------------------------------

_LINE = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["A", "DATABASE_URL", "REDIS_URL", "export B", "C_1",
                                                        "MLS_API_KEY", "NEXT_PUBLIC_APP_URL", "STAGING_REDIS_URL",
                                                        "AWS_REGION", "BACKUP_BUCKET_NAME"]),
              st.text(alphabet="ab =#'\"\\$ {}:/@%?&\n\tü", max_size=30)),
    st.sampled_from(["DATABASE_URL=postgresql://u:p%40@h:5432/d?sslmode=require",
                     "REDIS_URL=rediss://default:x@h:6379", "DIRECT_URL=postgres://[::1", "REDIS_URL=redis://h:0",
                     "DATABASE_URL=postgresql://h:99999/x", "NEXT_PUBLIC_APP_URL=ftp://x", "X=\"", "Y='",
                     "GITHUB_REPOSITORY=bad", "CLOUDFLARE_R2_BUCKET_NAME=UPPER", "DATABASE_URL=postgresql://h:0/x"]),
)


def _check_rejection(exc: DotenvError, text: str) -> None:
    lines = max(1, text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1)
    assert 1 <= exc.line <= lines
    assert re.search(r", line \d+", exc.sentence())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=12).map("\n".join))
def test_fuzzed_dotenv_never_crashes_the_parser(text: str) -> None:
    try:
        parsed = parse_dotenv(text)
    except DotenvError as exc:
        _check_rejection(exc, text)
        return
    for entry in parsed.entries.values():
        assert entry.line >= 1


def _readonly_context() -> object:
    # Secrets "from the environment" (empty): planning reads no keyring, so fuzzing stays fast.
    work = ws.Workspace(name="fuzz", id=f"fuzz-{uuid.uuid4().hex}", profile=ws.Profile.ADMIN)
    work.environments["staging"] = ws.seed_environment("staging", ws.EnvironmentKind.STAGING)
    ctx = build_context(work, AppPaths.from_os().config / "fuzz.toml", paths=AppPaths.from_os())
    ctx.credentials = CredentialStore(work.id, from_env={})
    return ctx


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE, max_size=12).map("\n".join))
def test_fuzzed_dotenv_never_crashes_the_importer(text: str) -> None:
    ctx = _readonly_context()
    try:
        plan = plan_import(ctx, "staging", text, source="fuzz.env")  # type: ignore[arg-type]
    except DotenvError as exc:
        _check_rejection(exc, text)
        return
    # Whatever was accepted can be saved and read back.
    assert plan._new_env is not None
    ws.loads(ws.dumps(ws.Workspace(environments={"staging": plan._new_env})))


_TOML_LINE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["[environments.staging]", "[environments.production.database]", "kind = \"staging\"",
                     "kind = \"nope\"", "port = 70000", "port = \"x\"", "app_url = \"ftp://x\"", "unknown = 1",
                     "schema_version = 99", "profile = \"admin\"", "[environments.\"bad name\"]",
                     "[environments.staging.features]", "debugMode = 1", "environments = 3", "name = [1, 2]",
                     "part_size_mib = 1", "[environments.staging.backup]", "[[environments]]"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOML_LINE, max_size=10).map("\n".join))
def test_fuzzed_workspace_toml_never_crashes_the_loader(text: str) -> None:
    try:
        ws.loads(text, path="fuzz.toml")
    except WorkspaceFileError as exc:
        assert exc.path == "fuzz.toml"
        assert exc.line is not None, exc.sentence()
        assert 1 <= exc.line <= text.count("\n") + 1
        assert f"fuzz.toml, line {exc.line}" in exc.sentence()
    except ConfigError as exc:  # pragma: no cover - any other error is a bug
        pytest.fail(f"unexpected {type(exc).__name__}: {exc}")


_SECRET_MARK = "§ghp§"  # cannot be part of a name, so it may appear in an error only by echoing text
_MARKED_LINE = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(["A", "TOKEN", "export B", "C.d-e"]),
              st.builds(lambda a, b: a + _SECRET_MARK + b, st.text(alphabet="ab '\"`#$\\{}:-\n", max_size=8),
                        st.text(alphabet="ab '\"`#$\\{}:-\n", max_size=8))),
    st.builds(lambda a, b: a + _SECRET_MARK + b, st.text(alphabet="ab =#'\"\t\ufeffé", max_size=10),
              st.text(alphabet="ab =#'\"\t", max_size=10)),
    st.sampled_from(["A=1", "# comment", "", "B='x'", "X=${X}", "Y=$Y$Y"]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MARKED_LINE, min_size=1, max_size=8).map("\n".join))
def test_fuzzed_rejections_never_echo_a_line(text: str) -> None:
    try:
        parse_dotenv(text, source="fuzz.env")
    except DotenvError as exc:
        assert _SECRET_MARK not in exc.sentence() and "§" not in exc.sentence(), exc.sentence()
        _check_rejection(exc, text)

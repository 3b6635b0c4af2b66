from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core import workspace as ws
from services.core.errors import WorkspaceFileError


def sample() -> ws.Workspace:
    w = ws.Workspace(name="Acme Realty", profile=ws.Profile.ADMIN)
    for kind in (ws.EnvironmentKind.DEVELOPMENT, ws.EnvironmentKind.STAGING, ws.EnvironmentKind.PRODUCTION):
        env = ws.seed_environment(kind.value, kind)
        env.database.host = f"db.{kind.value}.example.com"
        env.database.params = {"pgbouncer": "true"}
        env.providers.betterstack_monitor_ids = ["123", "456"]
        w.environments[kind.value] = env
    return w


def test_round_trip_preserves_everything(tmp_path: Path) -> None:
    original = sample()
    path = tmp_path / "ws.toml"
    ws.save(original, path)
    loaded = ws.load(path)
    assert loaded == original
    assert loaded.environments["development"].features.debugMode is True
    assert loaded.environments["production"].features.testIntegrations is False


def test_seed_defaults_follow_the_seed() -> None:
    prod = ws.seed_environment("production", ws.EnvironmentKind.PRODUCTION)
    assert prod.app_url == "https://realtor-platform.com"
    assert prod.health_url == "https://realtor-platform.com/api/health"
    assert prod.backup.storage_class == "STANDARD_IA"
    assert prod.backup.expire_days == 2555 and prod.backup.transition_ia_days == 30
    assert prod.database.pool_limit == 100
    assert prod.redis.maxmemory_bytes == 1024**3 and prod.redis.eviction_policy == "allkeys-lru"


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text('name = "x"\n\n[environments.prod\nkind = "production"\n')
    with pytest.raises(WorkspaceFileError) as err:
        ws.load(path)
    assert err.value.line == 3
    assert "line 3" in err.value.sentence()


def test_bad_field_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text(
        'name = "x"\n[environments.prod]\nkind = "production"\n\n[environments.prod.database]\n'
        'host = "db"\nport = "not-a-port"\n'
    )
    with pytest.raises(WorkspaceFileError) as err:
        ws.load(path)
    assert err.value.field == "environments.prod.database.port"
    assert err.value.line == 7


def test_unknown_kind_and_unknown_field_are_named(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    path.write_text('[environments.prod]\nkind = "prod"\n')
    with pytest.raises(WorkspaceFileError) as err:
        ws.load(path)
    assert err.value.field == "environments.prod.kind" and err.value.line == 2
    path.write_text('[environments.prod]\nkind = "production"\ncolour = "blue"\n')
    with pytest.raises(WorkspaceFileError) as err:
        ws.load(path)
    assert err.value.field == "environments.prod.colour" and err.value.line == 3


def test_newer_schema_is_refused_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "ws.toml"
    text = "schema_version = 99\n"
    path.write_text(text)
    with pytest.raises(WorkspaceFileError):
        ws.load(path)
    assert path.read_text() == text


def test_failed_save_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ws.toml"
    ws.save(sample(), path)
    before = path.read_bytes()

    def boom(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    changed = sample()
    changed.name = "Changed"
    with pytest.raises(OSError):
        ws.save(changed, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ws.toml"]


def test_workspace_path_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ws.WORKSPACE_ENV_VAR, str(tmp_path / "env.toml"))
    assert ws.resolve_workspace_path(str(tmp_path / "cli.toml")) == tmp_path / "cli.toml"
    assert ws.resolve_workspace_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv(ws.WORKSPACE_ENV_VAR)
    assert ws.resolve_workspace_path(None) == ws.config_dir() / "workspace.toml"
    assert str(ws.config_dir()).startswith(os.environ["XDG_CONFIG_HOME"])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    try:
        ws.loads(text, path="fuzz.toml")
    except WorkspaceFileError as exc:
        assert exc.path == "fuzz.toml"
        assert exc.sentence()


# --- generated TOML: documents shaped like a workspace, with values, keys and tables changed ----------------

import copy  # noqa: E402
import datetime as _dt  # noqa: E402
import tomllib  # noqa: E402

import tomli_w  # noqa: E402

_BASE = tomllib.loads(ws.dumps(sample()))
_SCALARS = st.one_of(
    st.text(max_size=40), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.just(""), st.sampled_from(["admin", "viewer", "production",
                                                                                "staging", "development", "require",
                                                                                "0", "65536", "-1", "db.example.com"]),
    st.dates(), st.datetimes(timezones=st.just(_dt.UTC)), st.times())
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=4)), max_leaves=8)


def _paths(doc: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:  # type: ignore[type-arg]
    found = []
    for key, value in doc.items():
        found.append((*prefix, key))
        if isinstance(value, dict):
            found += _paths(value, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_generated_workspace_toml_loads_or_is_refused_by_name(data: st.DataObject) -> None:
    doc = copy.deepcopy(_BASE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        paths = _paths(doc)
        if not paths:
            break
        where = data.draw(st.sampled_from(paths))
        parent = doc
        for key in where[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[where[-1]] = data.draw(_VALUES)
        elif action == "delete":
            del parent[where[-1]]
        elif isinstance(parent.get(where[-1]), dict):
            parent[where[-1]][data.draw(st.text(min_size=1, max_size=12))] = data.draw(_VALUES)
    text = tomli_w.dumps(doc)
    try:
        loaded = ws.loads(text, path="fuzz.toml")
    except WorkspaceFileError as exc:
        assert exc.path == "fuzz.toml"
        assert exc.sentence()
    else:
        # Whatever loads is a valid workspace that saves and loads back the same.
        assert ws.loads(ws.dumps(loaded), path="again.toml") == loaded

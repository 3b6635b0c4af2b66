"""scripts/fetch-provider-specs without the internet: its downloads are served from memory, so what
is checked is the rest (checksums, the npm tarball, the folder it writes and that the tests then
find it). The providers' real files are not in the repository, so the bytes here are stand-ins."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.spec_location import REPO, SpecLocation, spec_file

SPEC = b'{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}'


def _script() -> ModuleType:
    path = REPO / "scripts" / "fetch-provider-specs"
    loader = importlib.machinery.SourceFileLoader("fetch_provider_specs", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up while the file runs
    loader.exec_module(module)
    return module


def _tarball(member: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_blob_checksum_is_gits(tmp_path: Path) -> None:
    fetch = _script()
    (tmp_path / "f").write_bytes(SPEC)
    git = subprocess.run(["git", "hash-object", str(tmp_path / "f")], capture_output=True, text=True, check=True)
    assert fetch._git_blob_sha1(SPEC) == git.stdout.strip()


def test_fetches_checks_and_writes_a_folder_the_tests_find(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fetch = _script()
    tarball = _tarball("package/generated/api.github.com.json", SPEC)
    sources = (
        fetch.Source("vercel", "vercel.openapi.json", "vercel/sdk", "vercel-spec.json", "c0ffee",
                     "git-blob:" + fetch._git_blob_sha1(SPEC)),
        fetch.Source("github", "github.openapi.json", "", "package/generated/api.github.com.json", "1.0.0",
                     "sha256:" + hashlib.sha256(tarball).hexdigest(), npm="@octokit/openapi"),
        fetch.Source("sentry", "sentry.openapi.json", "getsentry/x", "openapi.json", "c0ffee",
                     "git-blob:" + "0" * 40),  # the served bytes do not match: refused
    )
    served = {
        "https://raw.githubusercontent.com/vercel/sdk/c0ffee/vercel-spec.json": SPEC,
        "https://registry.npmjs.org/@octokit/openapi/-/openapi-1.0.0.tgz": tarball,
        "https://raw.githubusercontent.com/getsentry/x/c0ffee/openapi.json": SPEC,
    }
    monkeypatch.setattr(fetch, "SOURCES", sources)
    monkeypatch.setattr(fetch, "_get", lambda url: served[url])
    target = tmp_path / "specs"
    assert fetch.main([str(target)]) == 1, "a checksum mismatch fails the run"
    assert (target / "vercel.openapi.json").read_bytes() == SPEC
    assert (target / "github.openapi.json").read_bytes() == SPEC
    assert not (target / "sentry.openapi.json").exists(), "a file that fails its checksum is not kept"
    manifest = json.loads((target / "FETCHED.json").read_text())
    assert manifest["upstream"] is True and sorted(manifest["files"]) == ["github", "vercel"]
    assert spec_file(target, "vercel") == target / "vercel.openapi.json"

    monkeypatch.setenv("REALTOR_PROVIDER_SPECS", str(target))
    from tests import spec_location

    spec_location.locate.cache_clear()
    try:
        found: SpecLocation = spec_location.locate()
        assert found.on and found.upstream and sorted(found.files) == ["github", "vercel"]
    finally:
        monkeypatch.undo()
        spec_location.locate.cache_clear()


def test_an_explicit_off_and_a_wrong_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import spec_location

    try:
        monkeypatch.setenv("REALTOR_PROVIDER_SPECS", "off")
        spec_location.locate.cache_clear()
        assert not spec_location.locate().on and not spec_location.locate().problem
        monkeypatch.setenv("REALTOR_PROVIDER_SPECS", str(tmp_path / "nothing-here"))
        spec_location.locate.cache_clear()
        assert "no <provider>.openapi.json there" in spec_location.locate().problem
    finally:
        monkeypatch.undo()
        spec_location.locate.cache_clear()

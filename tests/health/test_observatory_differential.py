"""Differential test: our Observatory against the real one's analyzers, on a corpus of our own.

The reference is ``@mdn/mdn-http-observatory`` from the npm registry, pinned below. The registry's
newest release is 1.4.8; the grading we implement is v1.6.3 (commit
22e088df69a0d8734bd8f6ffad8a7ff97da8ddb8), which is not published there. Between the two, by their
sources, these rules changed and are kept out of the comparison:

- X-Frame-Options DENY/SAMEORIGIN scores +5 since October 2025 (1.4.8: 0). Results are compared, and
  that one modifier is checked to be 0 there and +5 here.
- CSP header values are split at commas into policies since 1.6.2: 1.4.8 is given the policies
  already split (the splitting itself is covered by our own tests).
- Subresource integrity: 1.4.8 treats a response without a Content-Type as not HTML (1.6.3 parses
  it), so the SRI result is compared only where the response has one.

Everything else (CSP parsing and grading, meta tags, HSTS with the preload list, X-Frame-Options,
X-Content-Type-Options, Referrer-Policy, CORP, CORS, redirection, SRI, cookies through a real
tough-cookie jar, the score modifiers and the grade chart) is compared on every case. The npm install
is cached (``~/.cache/realtor-ops-tests``); without node/npm the test is skipped with the reason,
except under CI=true, where it fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.health.observatory import Hop, ScanInput, SeenResponse, analyze, grade_for
from services.health.observatory.model import CORS_ORIGIN
from services.health.observatory.preload import is_preloaded
from tests.health.observatory_reference.corpus import cases

REFERENCE_PACKAGE = "@mdn/mdn-http-observatory"
REFERENCE_VERSION = "1.4.8"
HERE = Path(__file__).parent / "observatory_reference"
CACHE = Path(os.environ.get("REALTOR_TEST_CACHE", Path.home() / ".cache" / "realtor-ops-tests"))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _hosts(all_cases: list[dict[str, Any]]) -> set[str]:
    hosts: set[str] = set()
    for c in all_cases:
        names = [c["host"]] + [u.split("/")[2] for u, _ in c["http_chain"] or []]
        for name in names:
            labels = name.split(".")
            hosts.update(".".join(labels[i:]) for i in range(len(labels)))
    return hosts


def _preload_json(hosts: set[str]) -> dict[str, Any]:
    """The preload list 1.4.8 reads (``conf/hsts-preload.json``, which its postinstall downloads), written
    from the same list our side uses, for the corpus' hosts and their parents."""
    return {host: {"includeSubDomains": is_preloaded("zz-probe." + host), "includeSubDomainsForPinning": False,
                   "mode": "force-https", "pinned": False}
            for host in sorted(hosts) if is_preloaded(host)}


@pytest.fixture(scope="module")
def reference() -> tuple[str, Path]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reason = (f"node and npm are needed to install {REFERENCE_PACKAGE}@{REFERENCE_VERSION} from the npm registry "
                  "for the differential test (apt-get install nodejs npm)")
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must run it")
        pytest.skip(reason)
    folder = CACHE / f"mdn-http-observatory-{REFERENCE_VERSION}"
    package = folder / "node_modules" / "@mdn" / "mdn-http-observatory"
    with _locked(CACHE / ".observatory.lock"):
        installed = package / "package.json"
        if not installed.exists() or json.loads(installed.read_text())["version"] != REFERENCE_VERSION:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "package.json").write_text('{"private": true}\n')
            # --ignore-scripts: its postinstall downloads the preload list and TLD list from the web.
            done = subprocess.run([npm, "install", "--ignore-scripts", "--no-audit", "--no-fund",
                                   f"{REFERENCE_PACKAGE}@{REFERENCE_VERSION}"], cwd=folder, capture_output=True,
                                  text=True, timeout=900, check=False)
            assert done.returncode == 0, f"npm install failed: {done.stderr[-2000:]}"
        (package / "conf").mkdir(exist_ok=True)
        (package / "conf" / "hsts-preload.json").write_text(json.dumps(_preload_json(_hosts(cases()))))
    return node, package


def _csp_policies(headers: list[list[str]]) -> list[str] | None:
    values = [v for k, v in headers if k.lower() == "content-security-policy"]
    return [p.strip() for v in values for p in v.split(",")] if values else None


def _scan(c: dict[str, Any]) -> ScanInput:
    auto = SeenResponse(c["start_url"], 200, tuple((k, v) for k, v in c["headers"]), c["body"], c["auto_verified"])
    https = None
    if c["https_response"] is not None:
        https = SeenResponse(c["start_url"], 200, tuple((k, v) for k, v in c["https_response"]["headers"]), None,
                             c["https_response"]["verified"])
    chain = tuple(Hop(u, s) for u, s in c["http_chain"] or [])
    http = SeenResponse(chain[-1].url, chain[-1].status, verified=c["http_verified"]) if chain else None
    cors = None
    if c["cors"] is not None:
        cors = SeenResponse(c["start_url"], 200, tuple((k, v) for k, v in c["cors"]["headers"]))
    return ScanInput(c["host"], auto, c["start_url"], https, http, chain, (), tuple((u, v) for u, v in c["cookies"]),
                     cors, c["cors"]["origin"] if c["cors"] else CORS_ORIGIN)


def _shared(c: dict[str, Any], test: str) -> bool:
    if test == "subresource-integrity":
        return any(k.lower() == "content-type" for k, _ in c["headers"])
    return True


def test_every_rule_agrees_with_the_observatory_npm_package(reference: tuple[str, Path]) -> None:
    node, package = reference
    corpus = cases()
    assert len(corpus) >= 300
    for c in corpus:
        c["csp_policies"] = _csp_policies(c["headers"])
        c["tests"] = ["content-security-policy", "cookies", "cross-origin-resource-sharing", "redirection",
                      "referrer-policy", "strict-transport-security", "subresource-integrity",
                      "x-content-type-options", "x-frame-options", "cross-origin-resource-policy"]
    done = subprocess.run([node, str(HERE / "driver.mjs"), str(package)], input=json.dumps(corpus),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    theirs = {r["id"]: r for r in answer["results"]}

    mismatches: list[str] = []
    compared = 0
    seen_results: set[str] = set()
    for c in corpus:
        ref = theirs[c["id"]]
        assert "error" not in ref, f"{c['id']}: the reference failed: {ref['error']}"
        ours = {t.test: t for t in analyze(_scan(c)).tests}
        for test, expected in ref["tests"].items():
            if not _shared(c, test):
                continue
            compared += 1
            mine = ours[test]
            seen_results.add(mine.result)
            if mine.result != expected["result"]:
                mismatches.append(f"{c['id']} {test}: ours {mine.result}, theirs {expected['result']}")
            elif mine.result == "x-frame-options-sameorigin-or-deny":
                assert (expected["modifier"], mine.modifier) == (0, 5)  # the October 2025 change
            elif mine.modifier != expected["modifier"]:
                mismatches.append(f"{c['id']} {test}: modifier ours {mine.modifier}, theirs {expected['modifier']}")
    assert not mismatches, f"{len(mismatches)} of {compared} disagree:\n" + "\n".join(mismatches[:40])
    # The corpus reaches most of the results, not just the easy ones.
    assert len(seen_results) >= 50, sorted(seen_results)
    for score, grade in answer["grades"].items():
        assert grade_for(int(score)) == grade, score

"""Contract checks: every request a client sends to a stand-in, and every answer the stand-in gives,
is validated against the provider's official (trimmed) OpenAPI file with openapi-core.

Plug a :class:`SpecValidator` into ``StandinServer.request_validator``. It records:

- ``violations``: the request does not fit the spec (unknown path or method, a parameter of the
  wrong type or not declared at all, a missing required parameter, a body that does not fit, the
  wrong auth scheme, a missing required header), or the answer does not fit the spec for a status
  the spec documents (body schema, headers).
- ``undocumented``: answers with a status the spec does not list (a 429 or 500 injected on an
  endpoint whose spec lists only 200). Real providers send those too; they are not violations.
- ``substituted``: answers checked against a replacement schema because the published one is
  self-contradictory (listed in ``KNOWN_SPEC_DEFECTS``).

One reading is applied to every file: a schema marked ``nullable: true`` with an ``enum`` accepts
null even when the enum does not list it. OpenAPI 3.0.3 says the enum must list null, but the
generators behind the GitHub and Vercel files (and the APIs themselves: GitHub's in-progress job has
``"conclusion": null``, Vercel's preview deployment ``"target": null``) mean "nullable" by it.

Validation is an addition: where no spec is found (``tests/spec_location.py`` says where it looks),
a validator is inactive, records only what it saw (``checked``) and reports no violation, so every
test still runs on its own assertions. The files are never copied into the repository.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from sandbox.provider_standins.protocol import Exchange
from tests.spec_location import locate

# The providers' production hosts, for a spec published without ``servers`` (Supabase's own file).
DEFAULT_SERVERS = {
    "betterstack": "https://uptime.betterstack.com",
    "cloudflare": "https://api.cloudflare.com/client/v4",
    "github": "https://api.github.com",
    "sentry": "https://us.sentry.io",
    "supabase": "https://api.supabase.com",
    "upstash": "https://api.upstash.com/v2",
    "vercel": "https://api.vercel.com",
}

# (spec, method, path template, status pattern) -> replacement schema ref, with the reason.
KNOWN_SPEC_DEFECTS: dict[tuple[str, str, str, str], tuple[str, str]] = {
    ("cloudflare", "post", "/zones/{zone_id}/purge_cache", "4XX"): (
        "#/components/schemas/cache-purge_api-response-common-failure",
        "the published 4XX schema is allOf(success: [true], success: [false]) and admits no value",
    ),
}


def spec_available(name: str) -> bool:
    return locate().has(name)


@functools.cache
def load_spec(name: str) -> tuple[dict[str, Any], OpenAPI]:
    path = locate().files[name]
    data = _read(path)
    if not data.get("servers"):
        data["servers"] = [{"url": DEFAULT_SERVERS[name]}]
    _allow_null_in_nullable_enums(data)
    # The files were validated when trimmed (SOURCES.md); skip re-validating (Vercel's takes ~2 s).
    return data, OpenAPI.from_dict(data, config=Config(spec_validator_cls=None))


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
    else:  # Upstash publishes YAML; PyYAML comes with openapi-core (jsonschema-path)
        import yaml

        data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return data


def _allow_null_in_nullable_enums(node: Any) -> None:
    """Also drops empty ``oneOf`` lists (they admit no value; two in Vercel's published file)."""
    if isinstance(node, dict):
        if node.get("oneOf") == []:
            del node["oneOf"]
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            enum.append(None)
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


def server_url(data: dict[str, Any]) -> tuple[str, str]:
    """(scheme://host, base path) of the spec's first server, variables at their defaults."""
    server = data["servers"][0]
    url = server["url"]
    for name, var in server.get("variables", {}).items():
        url = url.replace("{" + name + "}", var["default"])
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}", ("/" + path if path else "")


class _Request:
    def __init__(self, host_url: str, exchange: Exchange) -> None:
        req = exchange.request
        self.host_url = host_url
        self.path = req.full_path
        self.method = req.method.lower()
        self.body = req.body or None
        self.content_type = req.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(req.query),
            header=Headers(list(req.headers.items())),
            cookie=ImmutableMultiDict(),
            path={},
        )


class _Response:
    def __init__(self, exchange: Exchange) -> None:
        resp = exchange.response
        assert resp is not None
        self.status_code = resp.status
        self.data = resp.encoded() or None
        self.content_type = resp.content_type if self.data else ""
        self.headers = Headers(list(resp.headers.items()))


@dataclass
class SpecValidator:
    """Validates stand-in exchanges against ``<spec>.openapi.json``; inactive when that file is not
    found (``active`` is False: only ``checked`` is recorded)."""

    spec: str
    auth_scheme: str = "bearer"
    required_headers: dict[str, str] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    substituted: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.active = spec_available(self.spec)
        if self.active:
            self._data, self._api = load_spec(self.spec)
            self._host, self._server_path = server_url(self._data)

    def __call__(self, exchange: Exchange) -> None:
        req = exchange.request
        where = f"{req.method} {req.full_path}"
        status = exchange.response.status if exchange.response else "dropped"
        if not self.active:
            with self._lock:
                self.checked.append(f"{where} -> {status} (not validated: no spec)")
            return
        problems, notes, subs = self._check(exchange)
        with self._lock:
            self.checked.append(f"{where} -> {status}")
            self.violations.extend(f"{where} -> {status}: {p}" for p in problems)
            self.undocumented.extend(f"{where} -> {status}: {n}" for n in notes)
            self.substituted.extend(f"{where} -> {status}: {s}" for s in subs)

    def assert_clean(self) -> None:
        assert not self.violations, "spec violations:\n" + "\n".join(self.violations)
        assert self.checked, "the validator saw no request"

    # -- checks ---------------------------------------------------------------------------------

    def _check(self, exchange: Exchange) -> tuple[list[str], list[str], list[str]]:
        problems: list[str] = []
        notes: list[str] = []
        subs: list[str] = []
        request = _Request(self._host, exchange)
        try:
            finder: Any = self._api.request_validator
            found = finder.path_finder.find(request.method, request.host_url + request.path)
        except PathError as exc:
            if locate().upstream:  # the trimmed copies add some endpoints by hand (SOURCES.md)
                return problems, [f"request not in the published spec: {exc}"], subs
            return [f"request not in the spec: {exc}"], notes, subs
        operation, template = found.operation, found.path_result.pattern
        problems += [_describe(e) for e in self._api.iter_request_errors(request)]
        problems += self._undeclared_query(exchange, found.path, operation)
        problems += self._auth_and_headers(exchange)
        if exchange.response is None:
            return problems, notes, subs
        response = _Response(exchange)
        defect = self._defect(request.method, template, response.status_code)
        if defect is not None:
            ref, why = defect
            subs.append(f"checked against {ref} ({why})")
            problems += self._validate_against(ref, response)
            return problems, notes, subs
        for error in self._api.iter_response_errors(request, response):
            if isinstance(error, ResponseNotFound):
                notes.append(f"status {response.status_code} is not documented for this operation")
            else:
                problems.append(_describe(error))
        return problems, notes, subs

    def _undeclared_query(self, exchange: Exchange, path: SchemaPath, operation: SchemaPath) -> list[str]:
        declared = set()
        for source in (operation, path):
            for param in source.get("parameters", SchemaPath.from_dict({})):
                if (param / "in").read_str() == "query":
                    declared.add((param / "name").read_str())
        sent = {key for key, _ in exchange.request.query}
        return [f"query parameter '{name}' is not declared in the spec" for name in sorted(sent - declared)]

    def _auth_and_headers(self, exchange: Exchange) -> list[str]:
        problems = []
        headers = exchange.request.headers
        scheme = headers.get("authorization", "").partition(" ")[0].lower()
        if scheme != self.auth_scheme:
            problems.append(f"auth scheme is '{scheme or 'none'}', expected '{self.auth_scheme}'")
        for name, value in self.required_headers.items():
            if headers.get(name.lower()) != value:
                problems.append(f"header {name}: {value} is missing")
        return problems

    def _defect(self, method: str, template: str, status: int) -> tuple[str, str] | None:
        for (spec, m, p, pattern), fix in KNOWN_SPEC_DEFECTS.items():
            if spec == self.spec and m == method and p == template and _status_matches(pattern, status):
                return fix
        return None

    def _validate_against(self, ref: str, response: _Response) -> list[str]:
        node: Any = self._data
        for part in ref[2:].split("/"):
            node = node[part]
        schema = {**node, "components": self._data["components"]}
        try:
            body = json.loads(response.data or b"null")
        except ValueError:
            return ["the body is not JSON"]
        validator = OAS30Validator(schema)
        return [f"{'/'.join(map(str, e.path)) or '<body>'}: {e.message}" for e in validator.iter_errors(body)]


def _status_matches(pattern: str, status: int) -> bool:
    return pattern == str(status) or (pattern.endswith("XX") and pattern[0] == str(status)[0])


def _describe(error: BaseException) -> str:
    """One line per problem: the schema errors with their location, not the whole value."""
    current: BaseException | None = error
    while current is not None:
        schema_errors = getattr(current, "schema_errors", None)
        if schema_errors:
            lines = []
            for sub in list(schema_errors)[:8]:
                path = "/".join(str(p) for p in getattr(sub, "absolute_path", ()))
                lines.append(f"at {path or '<root>'}: {_short(getattr(sub, 'message', str(sub)))}")
                for ctx in list(getattr(sub, "context", ()) or ())[:4]:
                    ctx_path = "/".join(str(p) for p in ctx.absolute_path)
                    lines.append(f"    (branch) at {ctx_path or '<root>'}: {_short(ctx.message)}")
            return f"{type(error).__name__}: " + "\n    ".join(lines)
        current = current.__cause__
    return _short(f"{type(error).__name__}: {error}")


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"

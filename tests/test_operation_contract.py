"""The operation contract, enforced (issue 13 §3): every function that takes the context says it is an
``AppContext`` (or another named type), never ``Any``/``object`` or nothing; an authorization is an
``Authorization``; and services/ is type-checked in strict mode by the normal ``mypy`` run."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONTEXT_NAMES = ("ctx", "context")
LOOSE = {"Any", "typing.Any", "object"}


def _parameters(tree: ast.AST) -> list[tuple[int, str, str, ast.expr | None]]:
    """(line, function, parameter, annotation) of every parameter of every def."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
                out.append((node.lineno, node.name, arg.arg, arg.annotation))
    return out


def _loose(annotation: ast.expr | None) -> bool:
    """No annotation, or one that says nothing: Any, object, or either of them with ``| None``/Optional."""
    if annotation is None:
        return True
    text = ast.unparse(annotation).strip("'\"")
    parts = {p.strip() for p in text.replace("Optional[", "").rstrip("]").split("|")} - {"None"}
    return bool(parts & LOOSE)


def _context_problems(source: str, where: str) -> list[str]:
    bad = []
    for line, fn, name, annotation in _parameters(ast.parse(source)):
        if name in CONTEXT_NAMES and _loose(annotation):
            shown = ast.unparse(annotation) if annotation is not None else "no annotation"
            bad.append(f"{where}:{line} {fn}({name}: {shown})")
        elif name == "authorization" and (annotation is None or "Authorization" not in ast.unparse(annotation)):
            shown = ast.unparse(annotation) if annotation is not None else "no annotation"
            bad.append(f"{where}:{line} {fn}({name}: {shown})")
    return bad


def _problems_under(*folders: str) -> list[str]:
    bad = []
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.py")):
            bad += _context_problems(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    return bad


def test_every_context_parameter_names_its_type() -> None:
    assert _problems_under("services", "cli") == []


def test_the_check_catches_a_loose_context() -> None:
    source = (
        "from typing import Any\n"
        "def a(ctx: Any) -> None: ...\n"
        "async def b(x: int, ctx: object) -> None: ...\n"
        "def c(ctx) -> None: ...\n"
        "def d(*, context: 'Any | None' = None) -> None: ...\n"
        "def e(ctx: AppContext, authorization: Any = None) -> None: ...\n"
        "def f(ctx: AppContext, authorization: Authorization | None = None) -> None: ...\n"
        "def g(ctx: CheckContext) -> None: ...\n"
    )
    found = _context_problems(source, "x.py")
    assert [p.split(" ", 1)[1].split("(", 1)[0] for p in found] == ["a", "b", "c", "d", "e"]


def test_services_are_checked_in_strict_mode() -> None:
    """``mypy`` (no arguments) checks services/ with every flag of ``--strict``; a ``strict = true`` in an
    override would not do (mypy takes it for the whole run), so the flags are listed one by one."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert "services" in config["packages"]
    assert config.get("warn_redundant_casts") is True  # the one strict flag mypy only takes globally
    overrides = [o for o in config.get("overrides", []) if "services.*" in o["module"]]
    assert len(overrides) == 1
    strict = overrides[0]
    for flag in ("disallow_any_generics", "disallow_subclassing_any", "disallow_untyped_calls",
                 "disallow_untyped_defs", "disallow_incomplete_defs", "check_untyped_defs",
                 "disallow_untyped_decorators", "warn_unused_ignores", "warn_return_any", "strict_equality",
                 "extra_checks"):
        assert strict.get(flag) is True, flag
    assert strict.get("implicit_reexport") is False


# -- the operation shape (services/core/operation.py) ------------------------------------------------

OPERATION_MODULES = ("services.config_drift.service", "services.timeline.service", "services.deployments.vercel_ops")


def _marked() -> list[Any]:
    for name in OPERATION_MODULES:
        importlib.import_module(name)
    from services.core.operation import OPERATIONS

    return list(OPERATIONS)


def test_the_marked_operations_follow_the_contract() -> None:
    from services.core.operation import is_frozen_dataclass

    ops = _marked()
    assert {f"{op.__module__}.{op.__name__}" for op in ops} >= {
        "services.config_drift.service.config_diff", "services.timeline.service.build_timeline",
        "services.deployments.vercel_ops.rollback", "services.deployments.vercel_ops.promote"}
    for op in ops:
        assert inspect.iscoroutinefunction(op), op
        params = list(inspect.signature(op).parameters.values())
        assert [p.name for p in params[:2]] == ["ctx", "request"], op
        assert params[2].name in ("authorization", "auth"), op
        assert params[3].name == "progress" and params[3].default is None, op
        assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in params[4:]), op
        namespace = vars(sys.modules[op.__module__])
        request = namespace[params[1].annotation]  # annotations are strings (from __future__ import annotations)
        result = namespace[inspect.signature(op).return_annotation]
        assert is_frozen_dataclass(request), op
        assert is_frozen_dataclass(result) and callable(getattr(result, "to_json", None)), op


def test_the_requests_named_by_the_contract_are_frozen_dataclasses() -> None:
    from services.backup.dump_stream import BackupRequest
    from services.config_drift.model import ConfigDiffRequest
    from services.core.operation import is_frozen_dataclass
    from services.deployments.vercel_ops import PromoteRequest, RollbackRequest
    from services.timeline.service import TimelineRequest

    for cls in (BackupRequest, ConfigDiffRequest, PromoteRequest, RollbackRequest, TimelineRequest):
        assert is_frozen_dataclass(cls), cls


def test_an_alias_job_prints_the_json_the_cli_always_printed() -> None:
    from services.deployments.caveats import Caveats
    from services.deployments.vercel_ops import AliasJob

    job = AliasJob("rollback", "dpl_a", "dpl_b", "succeeded", ("x.app",), Caveats(("one",), ("m1",), ""))
    assert job.to_json() == {"type": "rollback", "from": "dpl_a", "to": "dpl_b", "status": "succeeded",
                             "caveats": ["one"], "migrations_since": ["m1"]}
    assert AliasJob("promote", "a", "b", "accepted", (), None).to_json()["caveats"] == []


# -- --json comes from the results (issue 13 §3: "the CLI stops building JSON by hand per command") --------

# (file, function) where print_json may still take JSON the CLI builds itself, and why.
HAND_BUILT_JSON_ALLOWED = {
    # The error envelope: an ErrorReport is rendered here, the one place every command's failure goes through.
    ("cli/output.py", "print_error"),
    # ci rerun/cancel: the operations return the provider's acknowledgement (ActionAccepted, which the console's
    # jobs also get); the CLI echoes the run id and the choice it asked for. Left for a result type of their own.
    ("cli/deploy_commands.py", "ci_rerun"),
    ("cli/deploy_commands.py", "ci_cancel"),
}


def _renders_itself(node: ast.expr, assigned: dict[str, ast.expr]) -> bool:
    """``x.to_json()`` (or another ``…_json()`` method of a result), a list comprehension of those, or a
    variable assigned one of them in the same function."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and (node.func.attr == "to_json" or node.func.attr.endswith("_json"))
    if isinstance(node, ast.ListComp):
        return _renders_itself(node.elt, assigned)
    if isinstance(node, ast.Name) and node.id in assigned:
        return _renders_itself(assigned[node.id], {})
    return False


def _hand_built_json(source: str, where: str) -> list[tuple[str, str, int]]:
    """(file, function, line) of every ``print_json(...)`` whose argument the CLI builds itself."""
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        assigned = {t.id: n.value for n in ast.walk(fn) if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name)}
        for call in ast.walk(fn):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print_json"
                    and not (call.args and _renders_itself(call.args[0], assigned))):
                found.append((where, fn.name, call.lineno))
    return found


def test_the_cli_prints_the_json_the_results_render() -> None:
    found = []
    for path in sorted((REPO / "cli").glob("*.py")):
        found += _hand_built_json(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    bad = [f"{where}:{line} {fn}" for where, fn, line in found if (where, fn) not in HAND_BUILT_JSON_ALLOWED]
    assert bad == [], "print_json takes a result's to_json(), not JSON built in the CLI"
    stale = HAND_BUILT_JSON_ALLOWED - {(where, fn) for where, fn, _ in found}
    assert stale == set(), "no longer hand-built: remove from HAND_BUILT_JSON_ALLOWED"


def test_the_json_check_catches_hand_built_json() -> None:
    source = (
        "def a(r): print_json({'id': r.id})\n"
        "def b(rs): print_json([{'id': r.id} for r in rs])\n"
        "def c(rs): print_json([r.id for r in rs])\n"
        "def d(r): print_json(backup_json(r))\n"
        "def e(r):\n    data = {'id': r.id}\n    print_json(data)\n"
        "def f(r): print_json(r.to_json())\n"
        "def g(rs): print_json([r.to_json() for r in rs])\n"
        "def h(m): print_json(m.summary_json())\n"
        "def i(r):\n    data = r.to_json()\n    print_json(data)\n"
        "def j(p, r): print_json(Outcome(p, r).to_json())\n"
    )
    assert [fn for _, fn, _ in _hand_built_json(source, "x.py")] == ["a", "b", "c", "d", "e"]

"""The operation contract: how every service operation looks, whichever front end calls it.

An operation is a coroutine function of this shape::

    @operation
    async def config_diff(ctx: AppContext, request: ConfigDiffRequest,
                          authorization: Authorization | None = None,
                          progress: Progress | None = None) -> ConfigReport: ...

``ctx``
    The :class:`~services.core.app_context.AppContext`: the workspace, the credential store, the audit
    log, the folders, the secret masker. Never ``Any``: a test fails on a context typed loosely.
``request``
    A frozen dataclass holding everything the caller chose (the environment's name first). The console
    and the CLI build the same request from a form or from arguments.
``authorization``
    The :class:`~services.core.guard.Authorization` from ``guard.authorize`` (the CLI's
    ``--confirm``/``--reason``) or the console's unlock dialog. An operation that changes something checks
    it again itself; one that only reads takes ``None`` (and says so).
``progress``
    A :class:`~services.core.progress.Progress`, or ``None``: the operation calls ``set_total``,
    ``advance`` and ``note``; the caller made it with a :data:`ProgressCallback` that renders snapshots
    (the jobs panel, the CLI's ticker). Cancellation is asyncio's: the task is cancelled and the
    operation cleans up in its ``except CancelledError``.
result
    A frozen dataclass (a :class:`Result`) whose ``to_json()`` is what ``--json`` prints. A failure is
    an ``OpsError`` subclass with a plain sentence, never a result with an error flag.

``@operation`` changes nothing at run time; it lets mypy check the shape (``Operation``) and lists the
operation in :data:`OPERATIONS` for the contract's test. Further keyword-only parameters with defaults
(test seams such as ``now=``) are allowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import Field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from services.core.progress import Progress as Progress  # re-exported: the operation's progress type
from services.core.progress import ProgressSnapshot

if TYPE_CHECKING:
    from services.core.app_context import AppContext
    from services.core.guard import Authorization

ProgressCallback = Callable[[ProgressSnapshot], None]
"""What a front end gives ``Progress(on_update=...)`` to render an operation's progress (throttled)."""


class Request(Protocol):
    """An operation's input: a frozen dataclass."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


class Result(Protocol):
    """An operation's output: a frozen dataclass with the JSON the CLI prints for ``--json``."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def to_json(self) -> dict[str, Any]: ...


RequestT_contra = TypeVar("RequestT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", bound=Result, covariant=True)


class Operation(Protocol[RequestT_contra, ResultT_co]):
    """``async op(ctx, request, authorization, progress=None) -> result`` (positional: a read-only
    operation may call its third parameter ``authorization`` and default it to None, a change ``auth``)."""

    def __call__(self, ctx: AppContext, request: RequestT_contra, authorization: Authorization,
                 progress: Progress | None = None, /) -> Awaitable[ResultT_co]: ...


OperationT = TypeVar("OperationT", bound=Operation[Any, Result])
OPERATIONS: list[Callable[..., Awaitable[Result]]] = []


def operation(fn: OperationT) -> OperationT:
    """Mark ``fn`` as an operation: mypy checks it against :class:`Operation`; it is returned unchanged."""
    OPERATIONS.append(fn)
    return fn


def is_frozen_dataclass(cls: type) -> bool:
    params = getattr(cls, "__dataclass_params__", None)
    return dataclasses.is_dataclass(cls) and params is not None and bool(params.frozen)

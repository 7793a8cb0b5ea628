"""The solver registry: one signature for every method, and ``auto``'s choice.

A backend is ``run(problem, *, progress=None, **options) -> SolverResult``. It declares
the problem features it can enforce (see :data:`mentormatch.problem.FEATURES`) and the
method options it accepts, so that a method is never asked to do what it cannot do: an
explicit method that lacks a feature the problem needs is refused, and ``auto`` only
picks among the backends that have them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mentormatch._scores import DenseScores
from mentormatch.exceptions import SolverError
from mentormatch.problem import Problem, Status

__all__ = [
    "DENSE_CELLS_LIMIT",
    "SOURCE_CELLS_LIMIT",
    "Backend",
    "SolverResult",
    "backends",
    "choose",
    "register",
]

#: Above this many cells of the capacity-expanded matrix of the free mentees, ``auto``
#: picks "flow" rather than "hungarian" (measured: flow is faster from about
#: 1,000 x 200 with capacity 5 on; see benchmarks/RESULTS.md).
DENSE_CELLS_LIMIT = 250_000
#: Above this many mentee-mentor cells, a score source (not a dense matrix) goes to "flow".
SOURCE_CELLS_LIMIT = 4_000_000


@attrs.frozen
class SolverResult:
    """What a backend returns.

    Attributes
    ----------
    assignment : ndarray of shape (n_mentees,)
        Mentor position per mentee, -1 when unmatched.
    status : Status
        How the solve ended.
    bound : float or None
        Proven upper bound on the declared objective's total score (for
        ``"coverage"``: among matchings with as many pairs); None when the matching is
        proven optimal (the bound is then its own total).
    info : mapping
        Small entries for the run's audit record (backend, phases, quota outcomes).
    stats : mapping
        Solver statistics (rounds, candidate pairs, seconds per phase).
    """

    assignment: NDArray[np.int64]
    status: Status = attrs.field(converter=Status)
    bound: float | None = None
    info: Mapping[str, Any] = attrs.field(factory=dict)
    stats: Mapping[str, Any] = attrs.field(factory=dict)


def _names(values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in values)


def _option_names(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@attrs.frozen
class Backend:
    """A registered solver method.

    Attributes
    ----------
    name : str
        The ``method`` name.
    run : callable
        ``run(problem, *, progress=None, **options) -> SolverResult``.
    handles : frozenset of str
        Problem features it enforces (``min_load``, ``quotas``, ``group_caps``,
        ``fair``, ``priority``, ``moves``).
    options : tuple of str
        Method options it accepts (the keys of ``Problem.options``).
    exact : bool
        Whether a result with status ``"optimal"`` is the proven optimum (False for
        ``"stable"``).
    summary : str
        One line for error messages and docs.
    """

    name: str
    run: Callable[..., SolverResult]
    handles: frozenset[str] = attrs.field(converter=_names)
    options: tuple[str, ...] = attrs.field(converter=_option_names)
    exact: bool = True
    summary: str = ""


_REGISTRY: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add ``backend`` to the registry (replacing one of the same name) and return it."""
    if backend.name == "auto":
        msg = "'auto' is the registry's own choice; a backend needs another name."
        raise SolverError(msg)
    _REGISTRY[backend.name] = backend
    return backend


def backends() -> Mapping[str, Backend]:
    """Return the registered backends by name (read-only)."""
    return MappingProxyType(_REGISTRY)


def method_names() -> tuple[str, ...]:
    """Return ``("auto", <registered names>...)``."""
    return ("auto", *_REGISTRY)


def get(method: str) -> Backend:
    """Return the backend called ``method``, or raise a :class:`SolverError`."""
    try:
        return _REGISTRY[method]
    except KeyError:
        names = ", ".join(repr(n) for n in method_names())
        close = difflib.get_close_matches(str(method), method_names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = f"`method` must be one of {names}; got {method!r}{hint}."
        raise SolverError(msg) from None


def check_options(backend: Backend, options: Mapping[str, Any]) -> None:
    """Refuse method options the backend does not accept (with a did-you-mean)."""
    for key in options:
        if key not in backend.options:
            close = difflib.get_close_matches(key, backend.options, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            accepted = ", ".join(repr(o) for o in backend.options) or "none"
            msg = (f"option {key!r} is not an option of method {backend.name!r}{hint}; "
                   f"it accepts {accepted}.")
            raise SolverError(msg)


def free_size(problem: Problem) -> tuple[int, int]:
    """Return (free mentees, capacity-expanded cells of the free part of ``problem``).

    Forced and fixed pairs are made before any solver runs (their mentees leave and
    their mentors' seats drop); unavailable mentees take no part.
    """
    n, _m = problem.shape
    taken = np.concatenate([problem.forced, problem.fixed]) if problem.fixed.size else (
        problem.forced)
    free = np.ones(n, dtype=bool)
    if taken.size:
        free[taken[:, 0]] = False
    if problem.unavailable is not None:
        free &= ~problem.unavailable
    cap = problem.capacity.astype(np.int64).copy()
    if taken.size:
        np.subtract.at(cap, taken[:, 1], 1)
    n_free = int(free.sum())
    return n_free, n_free * int(np.minimum(np.maximum(cap, 0), n_free).sum())


def choose(problem: Problem) -> tuple[Backend, str]:
    """Pick the backend for ``problem``: the requested one, or ``auto``'s choice.

    Returns the backend and the reason (recorded in the manifest).

    Raises
    ------
    SolverError
        If the method is unknown or cannot enforce a feature the problem needs.
    """
    needs = problem.needs()
    if problem.method != "auto":
        backend = get(problem.method)
        missing = sorted(needs - backend.handles)
        if missing:
            can = sorted(b.name for b in _REGISTRY.values() if needs <= b.handles)
            alt = f"use method={can[0]!r} or 'auto'" if can else "no method can"
            msg = (f"method={backend.name!r} cannot enforce {_describe(missing)}; {alt}.")
            raise SolverError(msg)
        return backend, "requested"
    side = sorted(needs - {"priority"})
    if side:
        backend = get("ilp")
        return backend, f"{_describe(side)} need(s) the integer programme"
    _n, m = problem.shape
    n_free, cells = free_size(problem)
    if not isinstance(problem.source, DenseScores) and n_free * m > SOURCE_CELLS_LIMIT:
        pick, reason = "flow", (
            f"score source too large to densify ({n_free * m} cells > {SOURCE_CELLS_LIMIT}): "
            "sparse min-cost flow with pricing")
    elif cells > DENSE_CELLS_LIMIT:
        pick, reason = "flow", (
            f"capacity-expanded matrix of {cells} cells (> {DENSE_CELLS_LIMIT}): sparse "
            "min-cost flow with pricing is faster there, and exact")
    else:
        pick, reason = "hungarian", "no side constraints: exact assignment on expanded columns"
    backend = get(pick)
    if not needs <= backend.handles:
        for name in ("hungarian", "flow", "ilp"):
            other = _REGISTRY.get(name)
            if other is not None and needs <= other.handles:
                return other, f"{_describe(sorted(needs))}: {name} enforces it"
    return backend, reason


def _describe(features: list[str]) -> str:
    names = {
        "min_load": "`min_load`",
        "quotas": "`quotas`",
        "group_caps": "`group_caps`",
        "fair": "objective='fair'",
        "priority": "`priority`",
        "moves": "`max_changes` (moving kept pairs)",
    }
    return ", ".join(names.get(f, f) for f in features)

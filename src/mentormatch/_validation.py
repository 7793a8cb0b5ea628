"""Validation helpers shared by every entry point (one place per kind of input)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mentormatch.exceptions import SolverError

__all__ = [
    "check_capacity",
    "check_choice",
    "check_min_load",
    "check_pairs",
    "positions_by_id",
]


def check_choice(value: str, options: Iterable[str], name: str) -> str:
    """Return ``value`` if it is one of ``options``, else raise a :class:`SolverError`.

    Examples
    --------
    >>> check_choice("total", ("coverage", "total"), "objective")
    'total'
    >>> check_choice("best", ("coverage", "total"), "objective")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: `objective` must be one of 'coverage', 'total'; got 'best'.
    """
    options = tuple(options)
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        msg = f"`{name}` must be one of {allowed}; got {value!r}."
        raise SolverError(msg)
    return value


def check_capacity(capacity: ArrayLike, n_mentors: int) -> NDArray[np.int64]:
    """Validate mentor capacities: one non-negative integer per mentor.

    Examples
    --------
    >>> check_capacity([1, 2], 2)
    array([1, 2])
    >>> check_capacity([1, 2], 3)
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: `capacity` must have one entry per mentor (3); got 2.
    """
    arr = np.asarray(capacity)
    if arr.ndim == 0:
        arr = np.full(n_mentors, arr)
    if arr.ndim != 1 or arr.shape[0] != n_mentors:
        got = arr.shape[0] if arr.ndim == 1 else f"shape {arr.shape}"
        msg = f"`capacity` must have one entry per mentor ({n_mentors}); got {got}."
        raise SolverError(msg)
    if arr.dtype.kind not in "iub":
        try:
            as_float = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"`capacity` must hold integers; got dtype {arr.dtype}."
            raise SolverError(msg) from exc
        # 2**63 and above do not fit in int64 (they would wrap around when cast)
        bad = ~np.isfinite(as_float) | (as_float != np.round(as_float)) | (as_float >= 2.0**63)
        if bad.any():
            j = int(np.argmax(bad))
            msg = (
                f"`capacity` must hold whole numbers below 2**63; got {as_float[j].item()!r} "
                f"for mentor {j}."
            )
            raise SolverError(msg)
        arr = as_float
    out = arr.astype(np.int64)
    neg = out < 0
    if neg.any():
        j = int(np.argmax(neg))
        msg = f"`capacity` must be >= 0; got {out[j]} for mentor {j}."
        raise SolverError(msg)
    return out


def check_pairs(pairs: Iterable, shape: tuple[int, int], name: str) -> NDArray[np.int64]:
    """Validate a collection of ``(mentee, mentor)`` index pairs; return an ``(k, 2)`` array.

    Examples
    --------
    >>> check_pairs([(0, 1)], (2, 2), "forced")
    array([[0, 1]])
    >>> check_pairs([(0, 5)], (2, 2), "forced")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: `forced` pair (0, 5) is out of range for 2 mentees x 2 mentors.
    """
    items = list(pairs)
    if not items:
        return np.empty((0, 2), dtype=np.int64)
    out = []
    for p in items:
        try:
            i, j = p
            ii, jj = int(i), int(j)
        except (TypeError, ValueError) as exc:
            msg = f"`{name}` must hold (mentee, mentor) index pairs; got {p!r}."
            raise SolverError(msg) from exc
        if ii != i or jj != j:
            msg = f"`{name}` must hold integer index pairs; got {p!r}."
            raise SolverError(msg)
        if not (0 <= ii < shape[0] and 0 <= jj < shape[1]):
            msg = (
                f"`{name}` pair ({ii}, {jj}) is out of range for "
                f"{shape[0]} mentees x {shape[1]} mentors."
            )
            raise SolverError(msg)
        out.append((ii, jj))
    # a pair listed twice is the same constraint: keep its first occurrence only
    return np.asarray(list(dict.fromkeys(out)), dtype=np.int64)


def check_min_load(
    min_load: ArrayLike | None, capacity: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """Validate a minimum mentor load (a number or one per mentor), capped at capacity.

    Examples
    --------
    >>> check_min_load(2, np.array([1, 3]))
    array([1, 2])
    >>> check_min_load(None, np.array([1])) is None
    True
    """
    if min_load is None:
        return None
    arr = np.asarray(min_load)
    if arr.ndim == 0:
        arr = np.full(capacity.shape[0], arr)
    if arr.shape != capacity.shape:
        msg = (
            f"`min_load` must be a number or have one entry per mentor "
            f"({capacity.shape[0]}); got shape {arr.shape}."
        )
        raise SolverError(msg)
    if arr.dtype.kind not in "iu" or (arr < 0).any():
        msg = f"`min_load` must hold non-negative integers; got {arr.tolist()[:5]}."
        raise SolverError(msg)
    return np.minimum(arr.astype(np.int64), capacity)


def positions_by_id(ids: Iterable[Any]) -> dict[str, int]:
    """Map each participant id (as text) to its position.

    Ids are compared as text so that ``7`` and ``"7"`` name the same participant, the way
    they do after a round trip through CSV.

    Examples
    --------
    >>> positions_by_id(["E1", "E2"])
    {'E1': 0, 'E2': 1}
    """
    return {str(v): k for k, v in enumerate(ids)}

"""Validation helpers shared by every entry point (one place per kind of input)."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from mentormatch.exceptions import SolverError, UnknownIdError

__all__ = [
    "IdIndex",
    "align_by_id",
    "check_capacity",
    "check_choice",
    "check_ids",
    "check_min_load",
    "check_pairs",
    "pairs_by_id",
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


def check_capacity(capacity: ArrayLike, n_mentors: int,
                   ids: Sequence[Any] | None = None) -> NDArray[np.int64]:
    """Validate mentor capacities: one non-negative integer per mentor.

    ``ids`` (the mentors' ids, in position order) name a bad entry by id in messages.

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
                f"for mentor {_who(ids, j)}."
            )
            raise SolverError(msg)
        arr = as_float
    out = arr.astype(np.int64)
    neg = out < 0
    if neg.any():
        j = int(np.argmax(neg))
        msg = f"`capacity` must be >= 0; got {out[j]} for mentor {_who(ids, j)}."
        raise SolverError(msg)
    return out


def _who(ids: Sequence[Any] | None, j: int) -> str:
    return str(j) if ids is None else repr(ids[j])


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


def check_ids(ids: Any, n: int, name: str) -> NDArray:
    """Validate participant ids: ``n`` of them, unique when compared as text.

    Ids are compared as text (``7`` and ``"7"`` name the same participant, as they do
    after a round trip through CSV), so two ids that differ only in type are refused.
    None gives positions ``0 .. n - 1``.

    Examples
    --------
    >>> check_ids(["E1", "E2"], 2, "mentee_ids").tolist()
    ['E1', 'E2']
    >>> check_ids([7, "7"], 2, "mentee_ids")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: `mentee_ids` must be unique (compared as text); '7' appears twice.
    """
    if ids is None:
        out = np.arange(n).astype(object)
        out.setflags(write=False)
        return out
    arr = np.empty(len(ids), dtype=object)
    arr[:] = list(ids)
    if arr.shape != (n,):
        msg = f"`{name}` must have {n} entries; got {arr.shape[0]}."
        raise SolverError(msg)
    missing = np.flatnonzero(pd.isna(arr)) if arr.size else np.empty(0, dtype=np.intp)
    if missing.size:
        k = int(missing[0])
        msg = f"`{name}` must not hold missing values; got {arr[k]!r} at position {k}."
        raise SolverError(msg)
    keys = pd.Index([str(v) for v in arr.tolist()])
    if keys.has_duplicates:
        key = keys[keys.duplicated()][0]
        msg = f"`{name}` must be unique (compared as text); {key!r} appears twice."
        raise SolverError(msg)
    arr.setflags(write=False)
    return arr


class IdIndex:
    """Position of each participant id of one role, with clear errors for unknown ids.

    Parameters
    ----------
    ids : sequence
        The ids, in position order (unique as text, see :func:`check_ids`).
    role : {"mentee", "mentor"}
        Used in messages.

    Examples
    --------
    >>> idx = IdIndex(["E1", "E2"], "mentee")
    >>> idx.position("E2"), idx.positions(["E1"]).tolist()
    (1, [0])
    >>> idx.position("E9")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.UnknownIdError: 'E9' is not a mentee id.
    """

    def __init__(self, ids: Iterable[Any], role: str) -> None:
        self.ids = list(ids)
        self.role = role
        self._pos = positions_by_id(self.ids)
        self._index: pd.Index | None = None  # built on the first vectorised lookup

    def __contains__(self, pid: Any) -> bool:
        return str(pid) in self._pos

    def position(self, pid: Any, where: str = "") -> int:
        """Return the position of ``pid``; raise :class:`UnknownIdError` if unknown."""
        hit = self._pos.get(str(pid))
        if hit is None:
            head = f"{where}: " if where else ""
            shown = ", ".join(repr(x) for x in self.ids[:5])
            more = ", ..." if len(self.ids) > 5 else ""
            hint = f" (ids look like {shown}{more})" if self.ids and where else ""
            msg = f"{head}{pid!r} is not a {self.role} id{hint}."
            raise UnknownIdError(msg)
        return hit

    def positions(self, pids: Iterable[Any], where: str = "") -> NDArray[np.int64]:
        """Return the positions of ``pids`` (each must be known; vectorised)."""
        given = list(pids)
        if len(given) < 64:
            return np.asarray([self.position(p, where) for p in given], dtype=np.int64)
        if self._index is None:
            self._index = pd.Index([str(x) for x in self.ids])
        out = np.asarray(self._index.get_indexer(pd.Index([str(p) for p in given])), dtype=np.int64)
        bad = np.flatnonzero(out < 0)
        if bad.size:
            self.position(given[int(bad[0])], where)  # raises, naming the id as given
        return out


def align_by_id(values: Any, index: IdIndex, name: str) -> Any:
    """Return ``values`` in position order when it is labelled (Series or mapping).

    A pandas Series or a mapping is read by label: each label must be an id of
    ``index`` (compared as text) and every id must have a value, else
    :class:`SolverError` lists what is missing or extra. Anything else (a scalar, a
    list, an array) is positional and returned unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = IdIndex(["A", "B"], "mentor")
    >>> align_by_id(pd.Series({"B": 2, "A": 1}), idx, "capacity").tolist()
    [1, 2]
    >>> align_by_id(pd.Series({"A": 1}), idx, "capacity")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: `capacity` is labelled by mentor id but has no entry for 'B' (1 missing); give one value per mentor.
    """
    if isinstance(values, pd.DataFrame):
        msg = f"`{name}` must be one value per {index.role} (a Series or array); got a DataFrame."
        raise SolverError(msg)
    if isinstance(values, pd.Series):
        labels, data = list(values.index), list(values.to_numpy())
    elif isinstance(values, Mapping):
        labels, data = list(values.keys()), list(values.values())
    else:
        return values
    keys = [str(k) for k in labels]
    counts = collections.Counter(keys)
    dupes = sorted(k for k, c in counts.items() if c > 1)
    if dupes:
        msg = f"`{name}` has repeated labels {dupes[:5]}; each {index.role} id once."
        raise SolverError(msg)
    extra = [lab for lab in labels if lab not in index]
    if extra:
        shown = ", ".join(repr(x) for x in extra[:5])
        msg = (
            f"`{name}` is labelled by {index.role} id but {shown} "
            f"{'is not an id' if len(extra) == 1 else 'are not ids'} of this problem "
            f"({len(extra)} extra); labels must be {index.role} ids."
        )
        raise SolverError(msg)
    by_key = dict(zip(keys, data, strict=True))
    missing = [pid for pid in index.ids if str(pid) not in by_key]
    if missing:
        shown = ", ".join(repr(x) for x in missing[:5])
        msg = (
            f"`{name}` is labelled by {index.role} id but has no entry for {shown} "
            f"({len(missing)} missing); give one value per {index.role}."
        )
        raise SolverError(msg)
    return np.asarray([by_key[str(pid)] for pid in index.ids])


def pairs_by_id(pairs: Any, mentees: IdIndex, mentors: IdIndex, name: str) -> NDArray[np.int64]:
    """Read ``(mentee_id, mentor_id)`` pairs into an ``(k, 2)`` array of positions.

    A pair listed twice is kept once. A DataFrame is read by its first two columns.

    Examples
    --------
    >>> pairs_by_id([("E2", "M1")], IdIndex(["E1", "E2"], "mentee"),
    ...             IdIndex(["M1"], "mentor"), "forced").tolist()
    [[1, 0]]
    >>> pairs_by_id([("E2", "M9")], IdIndex(["E1", "E2"], "mentee"),
    ...             IdIndex(["M1"], "mentor"), "forced")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.UnknownIdError: `forced` pair ('E2', 'M9'): 'M9' is not a mentor id (ids look like 'M1').
    """
    if isinstance(pairs, pd.DataFrame):
        if pairs.shape[1] < 2:
            msg = f"`{name}` must have two columns (mentee id, mentor id); got {pairs.shape[1]}."
            raise SolverError(msg)
        items: list[Any] = list(pairs.iloc[:, :2].itertuples(index=False, name=None))
    elif isinstance(pairs, np.ndarray) and pairs.ndim == 2:
        items = [tuple(row) for row in pairs.tolist()]
    elif pairs is None:
        items = []
    elif isinstance(pairs, str | bytes | Mapping) or not isinstance(pairs, Iterable):
        msg = (f"`{name}` must be a collection of (mentee id, mentor id) pairs; got "
               f"{pairs!r}.")
        raise SolverError(msg)
    else:
        items = list(pairs)
    firsts: list[Any] = []
    seconds: list[Any] = []
    for p in items:
        if isinstance(p, str | bytes) or not isinstance(p, Iterable):
            msg = f"`{name}` must hold (mentee id, mentor id) pairs; got {p!r}."
            raise SolverError(msg)
        pair = tuple(p)
        if len(pair) != 2:
            msg = f"`{name}` must hold (mentee id, mentor id) pairs; got {p!r}."
            raise SolverError(msg)
        firsts.append(pair[0])
        seconds.append(pair[1])
    if not firsts:
        return np.empty((0, 2), dtype=np.int64)
    try:
        e = mentees.positions(firsts)
        r = mentors.positions(seconds)
    except UnknownIdError:  # name the first bad pair
        for a, b in zip(firsts, seconds, strict=True):
            where = f"`{name}` pair {(a, b)!r}"
            mentees.position(a, where)
            mentors.position(b, where)
        raise
    out = np.stack([e, r], axis=1)
    _, first = np.unique(out[:, 0] * max(1, len(mentors.ids)) + out[:, 1], return_index=True)
    return out[np.sort(first)]  # a pair listed twice is kept once, at its first place

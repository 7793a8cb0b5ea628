r"""The matching problem as one frozen value: scores, capacities and every constraint.

A :class:`Problem` is what :func:`~mentormatch.solve` solves and what every later step
(explanations, what-if questions, suggestions, rematches, reports, saved states) reads
and re-solves with :meth:`Problem.evolve`, so no constraint can fall out along the way.
Constraints are declared by participant id and stored as positions.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from mentormatch._scores import DenseScores, ScoreSource, as_score_source
from mentormatch._validation import (
    IdIndex,
    align_by_id,
    check_capacity,
    check_choice,
    check_ids,
    check_min_load,
    pairs_by_id,
)
from mentormatch.exceptions import InfeasibleError, SolverError
from mentormatch.problem._constraints import (
    Group,
    GroupCaps,
    Quota,
    normalise_group_caps,
    resolve_group_caps,
    resolve_quota,
)

__all__ = ["FEATURES", "OBJECTIVES", "Problem", "Status"]

#: Objectives a problem can declare.
OBJECTIVES = ("coverage", "total", "fair")

#: Features a problem may need from a solver (see :meth:`Problem.needs`).
FEATURES = ("min_load", "quotas", "group_caps", "fair", "priority", "moves")


class Status(enum.StrEnum):
    """How a solve ended (a string enum: ``Status.OPTIMAL == "optimal"``).

    Attributes
    ----------
    OPTIMAL
        Proven optimal: ``bound - objective`` is within the documented tolerance.
    TIME_LIMIT
        The time limit stopped the solver; the matching is feasible and ``bound`` is a
        proven upper bound on the optimum.
    GAP_LIMIT
        The solver stopped once the proven gap fell below the requested gap; ``bound``
        is a proven upper bound.
    STABLE
        A stable matching (deferred acceptance): no blocking pairs, not optimal in
        score; ``bound`` is the optimal total.

    Examples
    --------
    >>> Status.OPTIMAL == "optimal", Status("time_limit")
    (True, 'time_limit')
    """

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    GAP_LIMIT = "gap_limit"
    STABLE = "stable"

    def __repr__(self) -> str:
        return repr(self.value)


def _readonly(arr: Any, dtype: Any = None) -> NDArray:
    out = np.array(arr, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _mentee_mask(value: Any, index: IdIndex, name: str) -> NDArray[np.bool_] | None:
    """Read a set of mentees (ids, a boolean mask or a boolean Series) as a mask."""
    if value is None:
        return None
    n = len(index.ids)
    if isinstance(value, pd.Series | Mapping):
        arr = np.asarray(align_by_id(value, index, name))
        if arr.dtype != bool:
            msg = f"`{name}` as a Series must hold True/False per mentee id."
            raise SolverError(msg)
        return _readonly(arr, bool)
    arr = np.asarray(list(value) if not isinstance(value, np.ndarray) else value)
    if arr.dtype == bool:
        if arr.shape != (n,):
            msg = f"`{name}` as a boolean mask must have one entry per mentee ({n}); got {arr.shape[0]}."
            raise SolverError(msg)
        return _readonly(arr, bool)
    mask = np.zeros(n, dtype=bool)
    mask[index.positions(arr.tolist(), f"`{name}`")] = True
    return _readonly(mask)


class Problem:
    r"""A matching problem: scores, capacities and every constraint, as one frozen value.

    :func:`~mentormatch.solve` solves it; explanations, what-if questions, suggestions,
    rematches and reports re-solve :meth:`evolve`\ d copies of it, so every constraint
    is kept by construction. Every argument naming participants names them by id:
    ``mentee_ids`` / ``mentor_ids`` (or the labels of a DataFrame of scores), and
    positions ``0 .. n - 1`` when there are none.

    Parameters
    ----------
    scores : array-like, DataFrame or ScoreSource
        Pair scores, shape ``(n_mentees, n_mentors)``, higher is better, ``-inf``
        forbids a pair (NaN and ``+inf`` are errors). A DataFrame's index holds the
        mentee ids and its columns the mentor ids.
    capacity : int, array-like or Series
        Mentees each mentor takes. A Series (or mapping) is read by mentor id: every
        mentor needs an entry and every label must be a mentor id.
    mentee_ids, mentor_ids : sequence, optional
        Participant ids (unique as text); they must agree with a DataFrame's labels.
    objective : {"coverage", "total", "fair"}, default="coverage"
        ``"coverage"``: most mentees matched, then the best total score among those
        matchings. ``"total"``: the best total score (a negative pair is never made).
        ``"fair"``: most mentees matched, then the best lowest pair score, then the
        total.
    forced, banned : iterable of (mentee_id, mentor_id), default=()
        Pairs that must / must not be made. A forced pair may score below
        ``min_score`` but must not be forbidden or banned.
    min_load : int, array-like or Series, optional
        Fewest mentees per mentor (capped at its capacity).
    min_score : float, optional
        Pairs scoring below this are not made.
    quotas : sequence of Quota, default=()
        Bounds on how many members of a group get matched.
    group_caps : GroupCaps or (labels, caps), optional
        At most so many pairs per group of mentors.
    fixed : iterable of (mentee_id, mentor_id), default=()
        Pairs of an earlier matching that stay (rematch); at most ``max_changes`` of
        them may change.
    max_changes : int, default=0
        How many fixed pairs the solver may end or move when that matches more people.
    priority : ids, boolean mask or Series of mentees, optional
        Mentees to match first (lexicographically before everyone else), e.g. those
        who lost a partner.
    unavailable : ids, boolean mask or Series of mentees, optional
        Mentees who take no mentor (left the programme or asked not to be rematched).
    method : str, default="auto"
        Solver method (see :func:`~mentormatch.solve`).
    options : mapping, optional
        Method-specific options, e.g. ``{"backend": "cbc"}`` for ``"ilp"`` or
        ``{"proposing": "mentor"}`` for ``"stable"``.
    time_limit : float, optional
        Seconds a solver may use; the best matching found is returned with its bound.
    seed : int, optional
        Tie-breaking among equally good matchings: None keeps the input order
        (earlier mentees first); an int breaks ties by a random order of the mentees
        drawn from it, so that nobody is favoured for where they sit in the table.

    Raises
    ------
    SolverError
        For malformed scores, capacities, ids or options.
    UnknownIdError
        For a pair, member or label that names no participant.
    InfeasibleError
        For forced pairs that cannot all be made.

    See Also
    --------
    solve : solve a problem.

    Examples
    --------
    >>> import pandas as pd
    >>> S = pd.DataFrame([[0.9, 0.5], [0.8, 0.1]], index=["ann", "bob"],
    ...                  columns=["X", "Y"])
    >>> p = Problem(S, pd.Series({"Y": 1, "X": 1}), banned=[("ann", "X")])
    >>> p.capacity.tolist(), p.banned.tolist()
    ([1, 1], [[0, 0]])
    >>> p.evolve(objective="total").objective
    'total'
    """

    __slots__ = (
        "_groups",
        "_hash",
        "banned",
        "capacity",
        "fixed",
        "forced",
        "group_caps",
        "max_changes",
        "mentee_ids",
        "mentor_ids",
        "method",
        "min_load",
        "min_score",
        "objective",
        "options",
        "priority",
        "quotas",
        "seed",
        "source",
        "time_limit",
        "unavailable",
    )

    _groups: tuple[Group, ...]
    _hash: str | None
    source: ScoreSource
    capacity: NDArray[np.int64]
    mentee_ids: NDArray
    mentor_ids: NDArray
    objective: str
    forced: NDArray[np.int64]
    banned: NDArray[np.int64]
    min_load: NDArray[np.int64] | None
    min_score: float | None
    quotas: tuple[Quota, ...]
    group_caps: GroupCaps | None
    fixed: NDArray[np.int64]
    max_changes: int
    priority: NDArray[np.bool_] | None
    unavailable: NDArray[np.bool_] | None
    method: str
    options: Mapping[str, Any]
    time_limit: float | None
    seed: int | None

    def __init__(
        self,
        scores: ArrayLike | ScoreSource | pd.DataFrame,
        capacity: Any,
        *,
        mentee_ids: Any = None,
        mentor_ids: Any = None,
        objective: str = "coverage",
        forced: Any = (),
        banned: Any = (),
        min_load: Any = None,
        min_score: float | None = None,
        quotas: Iterable[Quota] = (),
        group_caps: Any = None,
        fixed: Any = (),
        max_changes: int = 0,
        priority: Any = None,
        unavailable: Any = None,
        method: str = "auto",
        options: Mapping[str, Any] | None = None,
        time_limit: float | None = None,
        seed: int | None = None,
    ) -> None:
        set_ = object.__setattr__
        if isinstance(scores, pd.DataFrame):
            mentee_ids = _agree(mentee_ids, scores.index, "mentee_ids", "index")
            mentor_ids = _agree(mentor_ids, scores.columns, "mentor_ids", "columns")
            try:
                scores = scores.to_numpy(dtype=np.float64, copy=True)
            except (TypeError, ValueError) as exc:
                msg = f"`scores` must hold numbers; {str(exc).rstrip('.')}."
                raise SolverError(msg) from exc
            _check_labelled(scores, mentee_ids, mentor_ids)
        source = as_score_source(scores)
        n, m = source.shape
        e_ids = check_ids(mentee_ids, n, "mentee_ids")
        r_ids = check_ids(mentor_ids, m, "mentor_ids")
        e_idx, r_idx = IdIndex(e_ids.tolist(), "mentee"), IdIndex(r_ids.tolist(), "mentor")
        set_(self, "source", source)
        set_(self, "mentee_ids", e_ids)
        set_(self, "mentor_ids", r_ids)
        cap = check_capacity(align_by_id(capacity, r_idx, "capacity"), m, r_idx.ids)
        cap.setflags(write=False)
        set_(self, "capacity", cap)
        set_(self, "objective", check_choice(objective, OBJECTIVES, "objective"))
        if not isinstance(method, str):
            msg = f"`method` must be a method name; got {method!r}."
            raise SolverError(msg)
        set_(self, "method", method)
        set_(self, "forced", _readonly(pairs_by_id(forced, e_idx, r_idx, "forced")))
        set_(self, "banned", _readonly(pairs_by_id(banned, e_idx, r_idx, "banned")))
        set_(self, "fixed", _readonly(pairs_by_id(fixed, e_idx, r_idx, "fixed")))
        ml = None if min_load is None else check_min_load(
            align_by_id(min_load, r_idx, "min_load"), cap)
        if ml is not None:
            ml.setflags(write=False)
        set_(self, "min_load", ml)
        set_(self, "min_score", _opt_float(min_score, "min_score"))
        tl = _opt_float(time_limit, "time_limit")
        if tl is not None and not tl > 0:
            msg = f"`time_limit` must be a positive number of seconds; got {time_limit!r}."
            raise SolverError(msg)
        set_(self, "time_limit", tl)
        if isinstance(max_changes, bool) or not isinstance(max_changes, int | np.integer) or (
                max_changes < 0):
            msg = f"`max_changes` must be a whole number >= 0; got {max_changes!r}."
            raise SolverError(msg)
        set_(self, "max_changes", int(max_changes))
        set_(self, "priority", _mentee_mask(priority, e_idx, "priority"))
        set_(self, "unavailable", _mentee_mask(unavailable, e_idx, "unavailable"))
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                                 or seed < 0):
            msg = f"`seed` must be None or an integer >= 0; got {seed!r}."
            raise SolverError(msg)
        set_(self, "seed", None if seed is None else int(seed))
        if options is not None and not isinstance(options, Mapping):
            msg = f"`options` must be a mapping of option names to values; got {options!r}."
            raise SolverError(msg)
        opts = dict(options or {})
        if any(not isinstance(k, str) for k in opts):
            msg = f"`options` must map option names (text) to values; got keys {list(opts)}."
            raise SolverError(msg)
        set_(self, "options", MappingProxyType(opts))
        if quotas is not None and not isinstance(quotas, Iterable):
            msg = f"`quotas` must be a sequence of Quota objects; got {quotas!r}."
            raise SolverError(msg)
        qs = tuple(quotas or ())
        groups = [resolve_quota(q, k, e_idx if getattr(q, "side", "") == "mentee" else r_idx)
                  for k, q in enumerate(qs)]
        set_(self, "quotas", tuple(_quota_by_id(q, g, e_ids, r_ids) for q, g in zip(
            qs, groups, strict=True)))
        gc = normalise_group_caps(group_caps, r_idx)
        set_(self, "group_caps", gc)
        set_(self, "_groups", tuple(groups + resolve_group_caps(gc, r_idx)))
        set_(self, "_hash", None)
        self._check_pairs()

    # ------------------------------------------------------------------ immutability
    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"Problem is immutable; use evolve({name}=...) for a changed copy."
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> None:
        msg = "Problem is immutable."
        raise AttributeError(msg)

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # rebuilt (and validated) from its arguments, e.g. on a worker process
        return (_from_arguments, (self.arguments(),))

    # ----------------------------------------------------------------------- views
    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentees, n_mentors)``."""
        return self.source.shape

    @property
    def groups(self) -> tuple[Group, ...]:
        """Quotas and group caps resolved to positions and integer bounds."""
        return self._groups

    @property
    def standing(self) -> NDArray[np.int64]:
        """Pairs every solution contains: forced pairs, and fixed ones when none may move.

        Solver backends treat these alike: their mentees leave the problem and their
        mentors' seats drop.
        """
        if self.fixed.size and self.max_changes == 0:
            return np.concatenate([self.forced, self.fixed])
        return self.forced

    def needs(self) -> frozenset[str]:
        """Return the features a solver must support for this problem (see FEATURES)."""
        out = set()
        if self.min_load is not None and self.min_load.any():
            out.add("min_load")
        if any(g.family == "quota" for g in self._groups):
            out.add("quotas")
        if any(g.family == "group_cap" for g in self._groups):
            out.add("group_caps")
        if self.objective == "fair":
            out.add("fair")
        if self.priority is not None and self.priority.any():
            out.add("priority")
        if self.fixed.size and self.max_changes > 0:
            out.add("moves")
        return frozenset(out)

    def mentee_label(self, i: int) -> str:
        """Name mentee ``i`` in messages (its id)."""
        return repr(self.mentee_ids[i])

    def mentor_label(self, j: int) -> str:
        """Name mentor ``j`` in messages (its id)."""
        return repr(self.mentor_ids[j])

    def pair_ids(self, pairs: NDArray[np.int64]) -> list[tuple[Any, Any]]:
        """Return ``(mentee_id, mentor_id)`` tuples for an ``(k, 2)`` array of positions."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        return list(zip(self.mentee_ids[pairs[:, 0]].tolist(),
                        self.mentor_ids[pairs[:, 1]].tolist(), strict=True))

    def dense(self) -> NDArray[np.float64]:
        """Return the effective dense scores (bans, ``min_score``, unavailable applied).

        Forced and fixed pairs keep their score even when it is below ``min_score``.
        """
        n = self.shape[0]
        if isinstance(self.source, DenseScores):
            S = self.source.matrix.copy()
        else:
            S = np.array(self.source.block(np.arange(n, dtype=np.intp)), dtype=np.float64)
        return self.apply_filters(S, np.arange(n))

    def apply_filters(self, S: NDArray[np.float64], rows: NDArray) -> NDArray[np.float64]:
        """Apply ``min_score``, bans and unavailable mentees to a block of sorted ``rows``.

        Works in place on ``S`` (``len(rows)`` x all mentors) and returns it.
        """
        rows = np.asarray(rows)
        keep_pairs = np.concatenate([self.forced, self.fixed]) if self.fixed.size else self.forced
        keep = None
        if keep_pairs.size and rows.size:
            pos = np.searchsorted(rows, keep_pairs[:, 0]).clip(0, len(rows) - 1)
            hit = rows[pos] == keep_pairs[:, 0]
            keep = (pos[hit], keep_pairs[hit, 1], S[pos[hit], keep_pairs[hit, 1]].copy())
        if self.min_score is not None:
            S[self.min_score > S] = -np.inf
        if self.banned.size and rows.size:
            pos = np.searchsorted(rows, self.banned[:, 0]).clip(0, len(rows) - 1)
            ok = rows[pos] == self.banned[:, 0]
            S[pos[ok], self.banned[ok, 1]] = -np.inf
        if keep is not None:
            S[keep[0], keep[1]] = keep[2]
        if self.unavailable is not None and rows.size:
            S[self.unavailable[rows]] = -np.inf
        return S

    # ---------------------------------------------------------------------- evolve
    def evolve(self, **changes: Any) -> Problem:
        """Return a copy with some arguments changed; every other constraint is kept.

        ``changes`` take the constructor's arguments (by id). Constraints that are not
        changed are carried over by participant id, so changing ``scores`` together
        with the ids (participants joined or left) keeps every pair, member and label
        that still names a participant, and refuses the others.

        Examples
        --------
        >>> p = Problem([[0.9, 0.5], [0.8, 0.1]], [1, 1], forced=[(1, 1)])
        >>> q = p.evolve(capacity=[1, 2])
        >>> q.capacity.tolist(), q.forced.tolist(), p.capacity.tolist()
        ([1, 2], [[1, 1]], [1, 1])
        """
        unknown = sorted(set(changes) - set(_ARGS))
        if unknown:
            msg = f"Problem.evolve got unknown argument(s) {unknown}; expected some of {list(_ARGS)}."
            raise SolverError(msg)
        args = self.arguments()
        if "scores" in changes and "mentee_ids" not in changes and "mentor_ids" not in changes:
            new = changes["scores"]
            if not isinstance(new, pd.DataFrame):
                shape = as_score_source(new).shape
                if shape != self.shape:
                    msg = (
                        f"new scores of shape {shape} need new `mentee_ids` and `mentor_ids` "
                        f"(this problem is {self.shape})."
                    )
                    raise SolverError(msg)
            else:
                args.pop("mentee_ids")
                args.pop("mentor_ids")
        args.update(changes)
        return Problem(**args)

    def arguments(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this problem (by id)."""
        ids_e, ids_r = self.mentee_ids.tolist(), self.mentor_ids.tolist()
        return {
            "scores": self.source,
            "capacity": pd.Series(self.capacity, index=pd.Index(ids_r, dtype=object)),
            "mentee_ids": ids_e,
            "mentor_ids": ids_r,
            "objective": self.objective,
            "forced": self.pair_ids(self.forced),
            "banned": self.pair_ids(self.banned),
            "min_load": None if self.min_load is None else pd.Series(
                self.min_load, index=pd.Index(ids_r, dtype=object)),
            "min_score": self.min_score,
            "quotas": self.quotas,
            "group_caps": self.group_caps,
            "fixed": self.pair_ids(self.fixed),
            "max_changes": self.max_changes,
            "priority": None if self.priority is None else [
                ids_e[i] for i in np.flatnonzero(self.priority)],
            "unavailable": None if self.unavailable is None else [
                ids_e[i] for i in np.flatnonzero(self.unavailable)],
            "method": self.method,
            "options": dict(self.options),
            "time_limit": self.time_limit,
            "seed": self.seed,
        }

    # ---------------------------------------------------------------------- record
    def record(self) -> dict[str, Any]:
        """Return the problem's constraints as plain data (JSON-ready, by id).

        The audit record of a run, and what a saved state keeps:
        ``Problem.from_record(record, scores)`` rebuilds the problem.

        Examples
        --------
        >>> Problem([[1.0]], [1], mentee_ids=["E1"], mentor_ids=["M1"],
        ...         banned=[("E1", "M1")]).record()["banned"]
        [['E1', 'M1']]
        """
        args = self.arguments()
        out: dict[str, Any] = {
            "mentee_ids": args["mentee_ids"],
            "mentor_ids": args["mentor_ids"],
            "capacity": self.capacity.tolist(),
            "objective": self.objective,
            "forced": [[a, b] for a, b in args["forced"]],
            "banned": [[a, b] for a, b in args["banned"]],
            "fixed": [[a, b] for a, b in args["fixed"]],
            "max_changes": self.max_changes,
            "min_load": None if self.min_load is None else self.min_load.tolist(),
            "min_score": self.min_score,
            "quotas": [_quota_record(q) for q in self.quotas],
            "group_caps": None if self.group_caps is None else {
                "labels": dict(self.group_caps.labels), "caps": dict(self.group_caps.caps)},
            "priority": args["priority"],
            "unavailable": args["unavailable"],
            "method": self.method,
            "options": _plain(dict(self.options)),
            "time_limit": self.time_limit,
            "seed": self.seed,
        }
        return out

    @classmethod
    def from_record(cls, record: Mapping[str, Any], scores: Any) -> Problem:
        """Rebuild a problem from :meth:`record` and its scores.

        Raises
        ------
        SolverError
            If the record does not describe a valid problem for these scores.
        """
        rec = dict(record)
        unknown = sorted(set(rec) - set(_ARGS) - {"capacity"})
        if unknown:
            msg = f"problem record has unknown field(s) {unknown}."
            raise SolverError(msg)
        quotas = [Quota(q["side"], q["members"], min_matched=q.get("min_matched"),
                        max_matched=q.get("max_matched"), min_share=q.get("min_share"),
                        max_share=q.get("max_share"), name=q.get("name", ""))
                  for q in rec.pop("quotas", []) or []]
        gc = rec.pop("group_caps", None)
        group_caps = None if gc is None else GroupCaps(gc["labels"], gc["caps"])
        return cls(scores, rec.pop("capacity"), quotas=quotas, group_caps=group_caps, **rec)

    def fingerprint(self) -> str:
        """Return a SHA-256 over the scores (or their source's fingerprint) and constraints."""
        if self._hash is not None:
            return self._hash
        h = hashlib.sha256()
        if isinstance(self.source, DenseScores):
            mat = self.source.matrix
            h.update(f"{mat.dtype}{mat.shape}".encode())
            h.update(np.ascontiguousarray(mat).tobytes())
        else:
            fp = getattr(self.source, "fingerprint", None)
            h.update(str(fp() if callable(fp) else self.source.shape).encode())
        rec = self.record()
        rec.pop("method")
        rec.pop("options")
        rec.pop("time_limit")
        h.update(repr(sorted(rec.items(), key=lambda kv: kv[0])).encode())
        digest = h.hexdigest()
        object.__setattr__(self, "_hash", digest)
        return digest

    def __repr__(self) -> str:
        n, m = self.shape
        parts = [f"{n} mentees x {m} mentors", f"objective={self.objective!r}"]
        for name in ("forced", "banned", "fixed"):
            arr = getattr(self, name)
            if arr.size:
                parts.append(f"{name}={arr.shape[0]}")
        for name in sorted(self.needs()):
            parts.append(name)
        if self.method != "auto":
            parts.append(f"method={self.method!r}")
        return f"Problem({', '.join(parts)})"

    # ------------------------------------------------------------------- checks
    def _check_pairs(self) -> None:
        """Refuse forced / fixed pairs that cannot all be made (one place for both)."""
        n, m = self.shape
        for name, pairs in (("forced", self.forced), ("fixed", self.fixed)):
            if not pairs.size:
                continue
            keys = pairs[:, 0] * m + pairs[:, 1]
            also_banned = np.isin(keys, self.banned[:, 0] * m + self.banned[:, 1])
            raw = np.asarray(self.source.pair_scores(pairs[:, 0], pairs[:, 1]),
                             dtype=np.float64)
            away = (np.zeros(len(pairs), dtype=bool) if self.unavailable is None
                    else self.unavailable[pairs[:, 0]])
            for bad, why in ((also_banned, "is also banned; a pair cannot be both"),
                             (raw == -np.inf, "is forbidden by a hard rule (score -inf)"),
                             (away, "names a mentee who is unavailable")):
                if bad.any():
                    i, j = pairs[int(np.argmax(bad))].tolist()
                    pair = f"({self.mentee_label(i)}, {self.mentor_label(j)})"
                    msg = f"{name} pair {pair} {why}."
                    raise InfeasibleError(msg, constraint=name)
        both = np.concatenate([self.forced, self.fixed])
        if not both.size:
            return
        what = ("`forced`" if not self.fixed.size else
                "`fixed`" if not self.forced.size else "`forced` and `fixed`")
        mentees, counts = np.unique(both[:, 0], return_counts=True)
        if (counts > 1).any():
            i = int(mentees[np.argmax(counts > 1)])
            msg = (f"{what} give{'s' if ' and ' not in what else ''} mentee "
                   f"{self.mentee_label(i)} more than one mentor; a mentee has at most one.")
            raise InfeasibleError(msg, constraint="forced")
        per_mentor = np.bincount(both[:, 1], minlength=m)
        over = per_mentor > self.capacity
        if over.any():
            j = int(np.argmax(over))
            msg = (f"{what} give{'s' if ' and ' not in what else ''} mentor "
                   f"{self.mentor_label(j)} {per_mentor[j]} mentees but its capacity is "
                   f"{self.capacity[j]}.")
            raise InfeasibleError(msg, constraint="forced")
        del n


def _from_arguments(args: dict[str, Any]) -> Problem:
    """Rebuild a problem from :meth:`Problem.arguments` (used by pickle)."""
    return Problem(**args)


_ARGS = (
    "scores", "capacity", "mentee_ids", "mentor_ids", "objective", "forced", "banned",
    "min_load", "min_score", "quotas", "group_caps", "fixed", "max_changes", "priority",
    "unavailable", "method", "options", "time_limit", "seed",
)


def _check_labelled(S: NDArray[np.float64], mentee_ids: Any, mentor_ids: Any) -> None:
    """Refuse NaN and +inf in a DataFrame of scores, naming the pair by its ids."""
    bad = np.isnan(S) | np.isposinf(S)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        who = f"mentee {list(mentee_ids)[i]!r} and mentor {list(mentor_ids)[j]!r}"
        msg = (f"`scores` must not contain NaN; got NaN for {who}." if np.isnan(S[i, j])
               else f"`scores` must be finite or -inf (forbidden); got +inf for {who}.")
        raise SolverError(msg)


def _agree(ids: Any, labels: pd.Index, name: str, where: str) -> list[Any]:
    """Return the DataFrame's labels as ids, refusing explicit ids that disagree."""
    got = labels.tolist()
    if ids is not None and [str(x) for x in ids] != [str(x) for x in got]:
        msg = (f"`{name}` disagrees with the DataFrame's {where}; a DataFrame's labels are "
               "the ids: drop the argument or relabel the DataFrame.")
        raise SolverError(msg)
    return got


def _opt_float(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        msg = f"`{name}` must be a number; got {value!r}."
        raise SolverError(msg) from None
    if not np.isfinite(out):
        msg = f"`{name}` must be a finite number; got {value!r}."
        raise SolverError(msg)
    return out


def _quota_by_id(q: Quota, g: Group, e_ids: NDArray, r_ids: NDArray) -> Quota:
    """Return the quota with its members as ids (evolve and records keep it by id)."""
    ids = e_ids if q.side == "mentee" else r_ids
    members = np.empty(g.members.size, dtype=object)
    members[:] = [ids[k] for k in g.members.tolist()]
    return Quota(q.side, members, min_matched=q.min_matched, max_matched=q.max_matched,
                 min_share=q.min_share, max_share=q.max_share, name=g.name)


def _quota_record(q: Quota) -> dict[str, Any]:
    return {
        "side": q.side,
        "members": _plain(list(np.asarray(q.members, dtype=object).tolist())),
        "min_matched": q.min_matched,
        "max_matched": q.max_matched,
        "min_share": q.min_share,
        "max_share": q.max_share,
        "name": q.name,
    }


def _plain(value: Any) -> Any:
    """Return numpy scalars and containers as plain Python values (JSON-ready)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

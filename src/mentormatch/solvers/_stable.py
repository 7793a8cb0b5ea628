r"""Stable matchings by deferred acceptance.

A matching is *stable* when no mentee-mentor pair would both rather be together than
keep what they have: no **blocking pair** :math:`(i, j)` where both find each other
acceptable, mentee :math:`i` is unmatched or prefers :math:`j` to its mentor, and mentor
:math:`j` has a free seat or prefers :math:`i` to the worst of its mentees.

Preferences come from the scores (each side ranks the other by score, higher first, ties
broken towards the lower index, ``-inf`` pairs unacceptable) or from explicit ranked
lists for one side or both.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mentormatch._scores import check_score_matrix
from mentormatch._validation import IdIndex, check_choice
from mentormatch.exceptions import SolverError
from mentormatch.solvers._hungarian import hungarian_assignment
from mentormatch.solvers._ilp import ilp_assignment

__all__ = ["blocking_mask", "preference_ranks", "prefs_by_id", "stable_assignment"]

_BIG = np.iinfo(np.int32).max

#: Above this many cells of the capacity-expanded matrix the optimum used for the price
#: of stability is computed by the LP (HiGHS) instead of the dense assignment.
_DENSE_OPT_CELLS = 40_000_000


def _rank_from_lists(prefs: Sequence[Sequence[int]], n_own: int, n_other: int,
                     name: str) -> NDArray[np.int32]:
    """Return ranks ``(n_own, n_other)`` from ranked lists (unlisted: unacceptable)."""
    if len(prefs) != n_own:
        msg = f"`{name}` must hold one ranked list per {name.split('_')[0]} ({n_own}); got {len(prefs)}."
        raise SolverError(msg)
    rank = np.full((n_own, n_other), _BIG, dtype=np.int32)
    for a, lst in enumerate(prefs):
        arr = np.asarray(list(lst))
        if arr.size == 0:
            continue
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            msg = f"`{name}`[{a}] must be a list of integer indices; got {list(lst)[:5]!r}."
            raise SolverError(msg)
        if arr.min() < 0 or arr.max() >= n_other:
            bad = int(arr.min() if arr.min() < 0 else arr.max())
            msg = f"`{name}`[{a}] holds index {bad}, out of range for {n_other} entries."
            raise SolverError(msg)
        if np.unique(arr).size != arr.size:
            msg = f"`{name}`[{a}] lists an index more than once: {arr.tolist()[:10]}."
            raise SolverError(msg)
        rank[a, arr] = np.arange(arr.size, dtype=np.int32)
    return rank


def preference_ranks(
    scores: ArrayLike,
    mentee_prefs: Sequence[Sequence[int]] | None = None,
    mentor_prefs: Sequence[Sequence[int]] | None = None,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.bool_]]:
    """Return both sides' ranks of every pair and which pairs are mutually acceptable.

    Parameters
    ----------
    scores : array-like of shape (n_mentees, n_mentors)
        Pair scores; ``-inf`` pairs are unacceptable to both sides.
    mentee_prefs : sequence of sequences of int, optional
        For each mentee, mentor indices from most to least preferred; mentors left out
        are unacceptable. Default: by score, ties towards the lower index.
    mentor_prefs : sequence of sequences of int, optional
        For each mentor, mentee indices from most to least preferred.

    Returns
    -------
    mentee_rank : ndarray of shape (n_mentees, n_mentors)
        ``mentee_rank[i, j]`` is mentor ``j``'s position in mentee ``i``'s list (0 is
        best).
    mentor_rank : ndarray of shape (n_mentees, n_mentors)
        ``mentor_rank[i, j]`` is mentee ``i``'s position in mentor ``j``'s list.
    acceptable : ndarray of bool, shape (n_mentees, n_mentors)
        Pairs with a finite score that both sides list.

    Examples
    --------
    >>> me, mo, ok = preference_ranks([[0.9, 0.5], [0.9, -np.inf]])
    >>> me.tolist(), mo[:, 0].tolist(), ok.tolist()
    ([[0, 1], [0, 1]], [0, 1], [[True, True], [True, False]])
    """
    S = check_score_matrix(scores)
    n, m = S.shape
    if mentee_prefs is None:
        order = np.argsort(-S, axis=1, kind="stable")
        mentee_rank = np.empty((n, m), dtype=np.int32)
        np.put_along_axis(mentee_rank, order, np.arange(m, dtype=np.int32)[None, :], axis=1)
    else:
        mentee_rank = _rank_from_lists(mentee_prefs, n, m, "mentee_prefs")
    if mentor_prefs is None:
        order = np.argsort(-S, axis=0, kind="stable")
        mentor_rank = np.empty((n, m), dtype=np.int32)
        np.put_along_axis(mentor_rank, order, np.arange(n, dtype=np.int32)[:, None], axis=0)
    else:
        mentor_rank = _rank_from_lists(mentor_prefs, m, n, "mentor_prefs").T.copy()
    acceptable = np.isfinite(S) & (mentee_rank < _BIG) & (mentor_rank < _BIG)
    return mentee_rank, mentor_rank, acceptable


def _mentee_proposing(mentee_rank: NDArray, mentor_rank: NDArray, acceptable: NDArray,
                      cap: NDArray[np.int64], free: NDArray[np.int64]) -> tuple[NDArray, int]:
    n, m = mentee_rank.shape
    lists = np.argsort(np.where(acceptable, mentee_rank, _BIG), axis=1, kind="stable")
    length = acceptable.sum(axis=1)
    nxt = np.zeros(n, dtype=np.int64)
    held: list[list[tuple[int, int]]] = [[] for _ in range(m)]  # heaps of (-rank, mentee)
    queue = deque(free.tolist())
    proposals = 0
    cap_l = cap.tolist()
    while queue:
        i = queue.popleft()
        if nxt[i] >= length[i]:
            continue
        j = int(lists[i, nxt[i]])
        nxt[i] += 1
        proposals += 1
        r = int(mentor_rank[i, j])
        heap = held[j]
        if len(heap) < cap_l[j]:
            heapq.heappush(heap, (-r, i))
        elif heap and r < -heap[0][0]:
            _, out = heapq.heapreplace(heap, (-r, i))
            queue.append(out)
        else:
            queue.append(i)
    assignment = np.full(n, -1, dtype=np.int64)
    for j, heap in enumerate(held):
        for _, i in heap:
            assignment[i] = j
    return assignment, proposals


def _mentor_proposing(mentee_rank: NDArray, mentor_rank: NDArray, acceptable: NDArray,
                      cap: NDArray[np.int64], free: NDArray[np.int64]) -> tuple[NDArray, int]:
    n, m = mentee_rank.shape
    ok = acceptable.copy()
    is_free = np.zeros(n, dtype=bool)
    is_free[free] = True
    ok &= is_free[:, None]
    lists = np.argsort(np.where(ok, mentor_rank, _BIG), axis=0, kind="stable")
    length = ok.sum(axis=0)
    nxt = np.zeros(m, dtype=np.int64)
    used = np.zeros(m, dtype=np.int64)
    holder = np.full(n, -1, dtype=np.int64)
    queue = deque(np.flatnonzero(cap > 0).tolist())
    proposals = 0
    while queue:
        j = queue.popleft()
        while used[j] < cap[j] and nxt[j] < length[j]:
            i = int(lists[nxt[j], j])
            nxt[j] += 1
            proposals += 1
            h = holder[i]
            if h < 0:
                holder[i] = j
                used[j] += 1
            elif mentee_rank[i, j] < mentee_rank[i, h]:
                holder[i] = j
                used[j] += 1
                used[h] -= 1
                queue.append(int(h))
    return holder, proposals


def stable_assignment(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    forced: NDArray[np.int64] | None = None,
    *,
    proposing: str = "mentee",
    mentee_prefs: Sequence[Sequence[int]] | None = None,
    mentor_prefs: Sequence[Sequence[int]] | None = None,
) -> tuple[NDArray[np.int64], dict[str, Any]]:
    """Run deferred acceptance and measure the price of stability.

    Parameters
    ----------
    S : ndarray of shape (n_mentees, n_mentors)
        Effective scores (``-inf``: unacceptable).
    capacity : ndarray of shape (n_mentors,)
        Seats per mentor.
    forced : ndarray of shape (k, 2), optional
        Pairs made first; their seats are taken before deferred acceptance runs.
    proposing : {"mentee", "mentor"}, default="mentee"
        The proposing side gets its best stable matching (the other side its worst).
    mentee_prefs, mentor_prefs : sequence of sequences of int, optional
        Explicit ranked lists (see :func:`preference_ranks`).

    Returns
    -------
    assignment : ndarray of shape (n_mentees,)
    info : dict
        ``status`` (``"stable"``), ``bound`` and ``optimal_total`` (the best total score
        of any matching, found with ``objective="total"``), ``price_of_stability``
        (optimal total minus the stable total, >= 0), ``price_of_stability_ratio``
        (optimal / stable total, NaN unless both are positive), ``proposals``,
        ``n_blocking_pairs`` (0: a self-check) and ``proposing``.

    Examples
    --------
    >>> S = np.array([[0.9, 0.8], [0.1, 0.7]])
    >>> a, info = stable_assignment(S, np.array([1, 1]))
    >>> a.tolist(), info["status"], round(info["price_of_stability"], 3)
    ([0, 1], 'stable', 0.0)
    """
    check_choice(proposing, ("mentee", "mentor"), "proposing")
    n = S.shape[0]
    cap = capacity.astype(np.int64).copy()
    forced = np.empty((0, 2), dtype=np.int64) if forced is None else forced
    mentee_rank, mentor_rank, acceptable = preference_ranks(S, mentee_prefs, mentor_prefs)
    free = np.ones(n, dtype=bool)
    if forced.size:
        free[forced[:, 0]] = False
        np.subtract.at(cap, forced[:, 1], 1)
    free_idx = np.flatnonzero(free)
    run = _mentee_proposing if proposing == "mentee" else _mentor_proposing
    assignment, proposals = run(mentee_rank, mentor_rank, acceptable, cap, free_idx)
    if forced.size:
        assignment[forced[:, 0]] = forced[:, 1]
    rows = np.flatnonzero(assignment >= 0)
    stable_total = float(S[rows, assignment[rows]].sum())
    optimum = _optimal_total(S, capacity, forced)
    optimum = max(optimum, stable_total)
    blocking = blocking_mask(assignment, capacity, mentee_rank, mentor_rank, acceptable)
    if forced.size:
        blocking[forced[:, 0], :] = False
    ratio = optimum / stable_total if stable_total > 0 and optimum > 0 else float("nan")
    info = {
        "status": "stable",
        "bound": optimum,
        "proposing": proposing,
        "proposals": int(proposals),
        "optimal_total": optimum,
        "price_of_stability": optimum - stable_total,
        "price_of_stability_ratio": ratio,
        "n_blocking_pairs": int(blocking.sum()),
        "preferences": {
            "mentee": "explicit" if mentee_prefs is not None else "scores",
            "mentor": "explicit" if mentor_prefs is not None else "scores",
        },
    }
    return assignment, info


def _optimal_total(S: NDArray[np.float64], capacity: NDArray[np.int64],
                   forced: NDArray[np.int64]) -> float:
    """Return the best total score of any matching (``objective="total"``)."""
    n = S.shape[0]
    if n * int(capacity.sum()) <= _DENSE_OPT_CELLS:
        a = hungarian_assignment(S, capacity, "total", forced)
    else:
        a, _ = ilp_assignment(S, capacity, "total", forced, None)
    rows = np.flatnonzero(a >= 0)
    return float(S[rows, a[rows]].sum())


def blocking_mask(assignment: NDArray[np.int64], capacity: NDArray[np.int64],
                   mentee_rank: NDArray, mentor_rank: NDArray,
                   acceptable: NDArray) -> NDArray[np.bool_]:
    n, m = mentee_rank.shape
    matched = assignment >= 0
    rows = np.flatnonzero(matched)
    cur = np.full(n, _BIG, dtype=np.int64)
    cur[rows] = mentee_rank[rows, assignment[rows]]
    load = np.bincount(assignment[matched], minlength=m)
    worst = np.full(m, -1, dtype=np.int64)
    np.maximum.at(worst, assignment[rows], mentor_rank[rows, assignment[rows]].astype(np.int64))
    # a mentor with a free seat takes anybody acceptable
    worst[load < capacity] = _BIG + 1
    return (
        acceptable
        & (mentee_rank < cur[:, None])
        & (mentor_rank < worst[None, :])
        & (assignment[:, None] != np.arange(m)[None, :])
    )


def prefs_by_id(value: Any, own: IdIndex, other: IdIndex, name: str) -> list[list[int]] | None:
    """Read ranked lists given by id into lists of positions.

    ``value`` is a mapping id -> ranked ids (every participant of ``own`` listed), or one
    ranked list per participant in position order; None stays None (rank by score).

    Examples
    --------
    >>> from mentormatch._validation import IdIndex
    >>> prefs_by_id({"E1": ["M2"], "E2": ["M1", "M2"]}, IdIndex(["E1", "E2"], "mentee"),
    ...             IdIndex(["M1", "M2"], "mentor"), "mentee_prefs")
    [[1], [0, 1]]
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        lists: list[Sequence[Any]] = [[] for _ in own.ids]
        for pid, ranked in value.items():
            lists[own.position(pid, f"`{name}`")] = ranked
        given = {str(pid) for pid in value}
        missing = [k for k, pid in enumerate(own.ids) if str(pid) not in given]
        if missing:
            shown = ", ".join(repr(own.ids[k]) for k in missing[:5])
            msg = f"`{name}` has no ranked list for {shown}; give one list per {own.role}."
            raise SolverError(msg)
    else:
        lists = list(value)
        if len(lists) != len(own.ids):
            msg = f"`{name}` must hold one ranked list per {own.role} ({len(own.ids)}); got {len(lists)}."
            raise SolverError(msg)
    out = []
    for k, ranked in enumerate(lists):
        if isinstance(ranked, str | bytes):
            msg = f"`{name}` entry {k}: a ranked list of {other.role} ids; got {ranked!r}."
            raise SolverError(msg)
        out.append(other.positions(list(ranked), f"`{name}` of {own.ids[k]!r}").tolist())
    return out

"""Exact matching with scipy's ``linear_sum_assignment`` on capacity-expanded columns."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

__all__ = ["coverage_offset", "hungarian_assignment"]


def coverage_offset(S: NDArray[np.float64], k: int) -> float:
    """Return a bonus per matched pair that makes "more pairs" win over any score gain.

    With ``M > k * (max - min) + max(0, -min)`` over the allowed scores, a matching with
    one more pair always has a larger ``sum(score + M)`` than any matching of at most
    ``k`` pairs with fewer pairs, and every allowed pair is worth matching.
    """
    finite = S[np.isfinite(S)]
    if finite.size == 0:
        return 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return k * (hi - lo) + max(0.0, -lo) + 1.0


def hungarian_assignment(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    objective: str,
    forced: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Solve the capacity-constrained assignment exactly.

    Parameters
    ----------
    S : ndarray of shape (n_mentees, n_mentors)
        Effective scores; ``-inf`` marks a forbidden pair.
    capacity : ndarray of shape (n_mentors,)
        Mentor capacities.
    objective : {"coverage", "total"}
        ``"coverage"`` maximises the number of pairs, then the total score;
        ``"total"`` maximises the total score (negative pairs are never made).
    forced : ndarray of shape (k, 2)
        Pairs that must be made (already checked to be feasible).

    Returns
    -------
    ndarray of shape (n_mentees,)
        Mentor index per mentee, -1 when unmatched.

    Notes
    -----
    Column ``t`` of the expanded matrix is a seat of mentor ``slot[t]``; mentor ``j``
    has ``capacity[j]`` seats. Instead of dummy "unmatched" columns, a forbidden pair and
    (for ``"total"``) a negative pair get value 0, the value of leaving the mentee
    unmatched; such assignments are dropped afterwards. Any solution of this relaxed
    rectangular problem maps to a feasible matching with the same value, so it is
    always feasible and exact.
    """
    n = S.shape[0]
    assignment = np.full(n, -1, dtype=np.int64)
    cap = capacity.astype(np.int64).copy()
    free = np.ones(n, dtype=bool)
    if forced.size:
        assignment[forced[:, 0]] = forced[:, 1]
        np.subtract.at(cap, forced[:, 1], 1)
        free[forced[:, 0]] = False
    rows = np.flatnonzero(free)
    if rows.size == 0 or cap.sum() == 0:
        return assignment
    # no mentor can take more than the free mentees: more seats only cost memory
    cap = np.minimum(cap, rows.size)
    # drop mentors that cannot take anybody, then expand the rest into seats
    useful = np.flatnonzero(cap > 0)
    sub = S[np.ix_(rows, useful)]
    allowed = np.isfinite(sub)
    peak = float(np.abs(sub[allowed]).max(initial=0.0))
    # divide by a power of two (same optimum) so that offsets and sums cannot overflow
    work = np.ldexp(sub, -int(np.frexp(peak)[1])) if peak > 1.0 else sub
    if objective == "coverage":
        k = int(min(rows.size, cap.sum()))
        val = np.where(allowed, work + coverage_offset(work, k), 0.0)
    else:
        val = np.where(allowed, np.maximum(work, 0.0), 0.0)
    slots = np.repeat(np.arange(useful.size), cap[useful])
    cost = -val[:, slots]
    r, c = linear_sum_assignment(cost)
    mentor_local = slots[c]
    keep = allowed[r, mentor_local]
    if objective != "coverage":
        keep &= sub[r, mentor_local] >= 0
    assignment[rows[r[keep]]] = useful[mentor_local[keep]]
    return assignment

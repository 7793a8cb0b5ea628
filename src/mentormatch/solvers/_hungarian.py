"""Exact matching with scipy's ``linear_sum_assignment`` on capacity-expanded columns.

No big-M: lexicographic objectives ("most pairs, then the best total"; "most priority
mentees, then most pairs, then the best total") are made exact by first computing the
counts to reach (maximum flows) and then solving one assignment whose dummy columns
(or rows) admit exactly the right number of unmatched mentees of each kind.
"""

from __future__ import annotations

import math
import time
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from mentormatch.solvers._certificate import (
    SWEEP_TOL,
    dense_rowterms,
    dual_prices,
    level_weights,
    rounding_error,
    tolerance,
)

__all__ = ["HungarianResult", "hungarian_assignment", "hungarian_solve", "max_matching_size"]


@attrs.frozen
class HungarianResult:
    """What :func:`hungarian_solve` returns.

    Attributes
    ----------
    assignment : ndarray of shape (n_mentees,)
        Mentor index per mentee, -1 when unmatched.
    status : str
        ``"optimal"`` when the certificate closes the gap within ``stats["tolerance"]``
        (always, up to a failure of floating point far beyond the tolerance).
    bound : float
        Proven upper bound on the total score of the optimal matching (for the
        lexicographic objectives: of the matchings that reach the optimal counts),
        rounding error included.
    stats : dict
        ``level`` (pairs made, priority counted twice, for ``"coverage"``), its proven
        bound ``level_bound``, ``gap``, ``tolerance``, the dual ``prices`` (score part,
        one per mentor; ``inf`` for a mentor with no seat left after the forced pairs) and
        ``price_levels``,
        and ``seconds`` per phase.
    """

    assignment: NDArray[np.int64]
    status: str
    bound: float
    stats: dict[str, Any]


def hungarian_assignment(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    objective: str,
    forced: NDArray[np.int64],
    *,
    priority: NDArray[np.bool_] | None = None,
) -> NDArray[np.int64]:
    r"""Solve the capacity-constrained assignment exactly.

    Parameters
    ----------
    S : ndarray of shape (n_mentees, n_mentors)
        Effective scores; ``-inf`` marks a forbidden pair.
    capacity : ndarray of shape (n_mentors,)
        Mentor capacities.
    objective : {"coverage", "total"}
        ``"coverage"`` maximises the number of pairs, then the total score;
        ``"total"`` maximises the total score (a pair with a negative score is never made,
        except for a priority mentee who could not be matched otherwise).
    forced : ndarray of shape (k, 2)
        Pairs that must be made (already checked to be feasible).
    priority : ndarray of shape (n_mentees,) of bool, optional
        Mentees to match first: the matching matches as many of them as possible, then
        follows ``objective`` (lexicographically).

    Returns
    -------
    ndarray of shape (n_mentees,)
        Mentor index per mentee, -1 when unmatched.

    See Also
    --------
    hungarian_solve : the same, with its optimality certificate.

    Notes
    -----
    Column ``t`` of the expanded matrix is a seat of mentor ``slot[t]``; mentor ``j``
    has ``capacity[j]`` seats. For ``"total"`` a forbidden or negative pair gets value
    0, the value of leaving the mentee unmatched, and is dropped afterwards. For the
    lexicographic objectives the counts to reach are computed first (maximum flows on
    the allowed pairs): with :math:`K` the most pairs and :math:`K_P` the most priority
    pairs, :math:`|P| - K_P` dummy columns open to priority mentees only and
    :math:`|N| - (K - K_P)` open to the others (cost 0; forbidden pairs cost
    :math:`+\infty`) force every complete assignment to reach both counts, and the
    assignment maximises the total among those. (Without priority and with more mentees
    than seats, :math:`C - K` dummy rows take the seats that stay empty instead.)

    Examples
    --------
    >>> S = np.array([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]])
    >>> hungarian_assignment(S, np.array([1, 2]), "coverage", np.empty((0, 2), int)).tolist()
    [1, 0, 1]
    """
    return _solve(S, capacity, objective, forced, priority, certify=False).assignment


def hungarian_solve(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    objective: str,
    forced: NDArray[np.int64],
    *,
    priority: NDArray[np.bool_] | None = None,
) -> HungarianResult:
    """Solve like :func:`hungarian_assignment` and prove the result optimal.

    The certificate is the one of :mod:`mentormatch.solvers._certificate`: dual prices
    derived from the assignment by Bellman-Ford sweeps over the allowed pairs, a level
    bound (exact integers) and a score bound with its rounding error added.

    Examples
    --------
    >>> S = np.array([[0.5 + 1e-9, 0.5], [0.5, 1e4]])
    >>> res = hungarian_solve(S, np.array([1, 1]), "coverage", np.empty((0, 2), int))
    >>> res.assignment.tolist(), res.status
    ([0, 1], 'optimal')
    >>> bool(0 <= res.bound - (S[0, 0] + S[1, 1]) <= res.stats["tolerance"])
    True
    """
    return _solve(S, capacity, objective, forced, priority, certify=True)


def max_matching_size(allowed: NDArray[np.bool_], capacity: NDArray[np.int64]) -> int:
    """Most pairs a matching can make on the ``allowed`` pairs (Dinic's maximum flow).

    Examples
    --------
    >>> max_matching_size(np.array([[True, False], [True, False]]), np.array([1, 3]))
    1
    """
    n, m = allowed.shape
    cap = np.minimum(np.asarray(capacity, dtype=np.int64), n)
    if n == 0 or m == 0:
        return 0
    if allowed.all():  # every pair allowed: the smaller side decides
        return int(min(n, cap.sum()))
    deg = allowed.sum(axis=1)
    if not deg.any():
        return 0
    # CSR of the flow network, built directly: mentees 0..n-1, mentors n..n+m-1,
    # source n+m, sink n+m+1
    src, snk = n + m, n + m + 1
    indptr = np.concatenate([[0], np.cumsum(deg), np.cumsum(deg)[-1] + np.arange(1, m + 1),
                             [deg.sum() + m + n, deg.sum() + m + n]]).astype(np.int32)
    indices = np.concatenate([np.nonzero(allowed)[1] + n, np.full(m, snk),
                              np.arange(n)]).astype(np.int32)
    data = np.concatenate([np.ones(int(deg.sum())), cap, np.ones(n)]).astype(np.int32)
    graph = csr_matrix((data, indices, indptr), shape=(n + m + 2, n + m + 2))
    return int(maximum_flow(graph, src, snk).flow_value)


def _solve(S: NDArray[np.float64], capacity: NDArray[np.int64], objective: str,
           forced: NDArray[np.int64], priority: NDArray[np.bool_] | None,
           *, certify: bool) -> HungarianResult:
    t0 = time.perf_counter()
    n = S.shape[0]
    assignment = np.full(n, -1, dtype=np.int64)
    cap = np.asarray(capacity, dtype=np.int64).copy()
    free = np.ones(n, dtype=bool)
    forced = np.asarray(forced, dtype=np.int64).reshape(-1, 2)
    if forced.size:
        assignment[forced[:, 0]] = forced[:, 1]
        np.subtract.at(cap, forced[:, 1], 1)
        free[forced[:, 0]] = False
    forced_score = math.fsum(S[forced[:, 0], forced[:, 1]].tolist()) if forced.size else 0.0
    prio = None if priority is None else np.asarray(priority, dtype=bool)
    w_p, w_n = level_weights(objective, prio)
    rows = np.flatnonzero(free)
    useful = np.flatnonzero(cap > 0)
    sub = S[np.ix_(rows, useful)]
    is_p = np.zeros(rows.size, dtype=bool) if prio is None else prio[rows]
    omega = np.where(is_p, w_p, w_n)
    # "total": a pair that lowers the total is never worth making, unless the mentee is
    # a priority mentee (level weight > 0) who has no other way to be matched
    allowed = np.isfinite(sub) & ((sub >= 0) | (omega[:, None] > 0))
    cap_u = np.minimum(cap[useful], max(1, rows.size))
    stats: dict[str, Any] = {"seconds": {}}
    live = np.flatnonzero(allowed.any(axis=1)) if allowed.size else np.empty(0, np.intp)
    match = np.full(rows.size, -1, dtype=np.int64)
    if live.size and cap_u.sum():
        match[live] = _assign(sub[live], allowed[live], cap_u, objective, is_p[live],
                              w_p != w_n)
    assignment[rows[match >= 0]] = useful[match[match >= 0]]
    stats["seconds"]["assignment"] = time.perf_counter() - t0
    if not certify:
        return HungarianResult(assignment, "optimal", math.nan, stats)
    t1 = time.perf_counter()
    status, bound = _certify(sub, allowed, cap[useful], omega, match, forced_score, stats,
                             S.shape[1], useful)
    stats["seconds"]["certificate"] = time.perf_counter() - t1
    return HungarianResult(assignment, status, bound, stats)


def _assign(sub: NDArray[np.float64], allowed: NDArray[np.bool_], cap: NDArray[np.int64],
            objective: str, is_p: NDArray[np.bool_], tiers: bool) -> NDArray[np.int64]:
    """Local mentor per row (every row has an allowed pair), -1 when unmatched."""
    R = sub.shape[0]
    slots = np.repeat(np.arange(cap.size), cap)
    C = slots.size
    out = np.full(R, -1, dtype=np.int64)
    if objective != "coverage" and not tiers:
        # value 0 = unmatched: any solution maps to a matching of the same value
        val = np.where(allowed, sub, 0.0)
        r, c = linear_sum_assignment(-val[:, slots])
        keep = allowed[r, slots[c]]
        out[r[keep]] = slots[c[keep]]
        return out
    n_p = int(is_p.sum())
    k_p = max_matching_size(allowed[is_p], cap) if tiers else 0
    if objective == "coverage":
        k_all = max_matching_size(allowed, cap)
        if not tiers and R > C:
            # more mentees than seats: C - K dummy rows take the seats left empty
            cost = np.full((R + C - k_all, C), 0.0)
            cost[:R] = np.where(allowed, -sub, np.inf)[:, slots]
            r, c = linear_sum_assignment(cost)
            real = r < R
            out[r[real]] = slots[c[real]]
            return out
        d_p, d_n = n_p - k_p, (R - n_p) - (k_all - k_p)
        seat = np.where(allowed, -sub, np.inf)
    else:  # "total" with priority mentees: they reach K_P, the others are relaxed
        d_p = n_p - k_p
        seat = np.where(is_p[:, None], np.where(allowed, -sub, np.inf),
                        -np.where(allowed, sub, 0.0))
        d_n = max(0, R - C - d_p)
    cost = np.empty((R, C + d_p + d_n))
    cost[:, :C] = seat[:, slots]
    cost[:, C : C + d_p] = np.where(is_p, 0.0, np.inf)[:, None]
    cost[:, C + d_p :] = np.where(is_p, np.inf, 0.0)[:, None]
    r, c = linear_sum_assignment(cost)
    on_seat = c < C
    keep = on_seat.copy()
    keep[on_seat] = allowed[r[on_seat], slots[c[on_seat]]]
    out[r[keep]] = slots[c[keep]]
    return out


def _certify(sub: NDArray[np.float64], allowed: NDArray[np.bool_], cap: NDArray[np.int64],
             omega: NDArray[np.float64], match: NDArray[np.int64], forced_score: float,
             stats: dict[str, Any], m: int, useful: NDArray[np.intp]) -> tuple[str, float]:
    """Dual prices from the assignment, then the level and score bounds (all pairs)."""
    R = sub.shape[0]
    D = np.where(allowed, sub, -np.inf)
    fin = D[allowed]
    sigma = float(np.abs(fin).max()) if fin.size else 0.0
    ci, cj = np.nonzero(allowed)
    prices = dual_prices(R, cap, ci.astype(np.int64), cj.astype(np.int64), D[ci, cj],
                         omega, match, SWEEP_TOL * sigma)
    row_l, row_a, _ = dense_rowterms(D, omega, prices.b, prices.a,
                                     np.maximum(prices.a, 0.0))
    level = float(omega[match >= 0].sum())
    level_bound = float(row_l.sum() + (cap * prices.b).sum())
    matched = np.flatnonzero(match >= 0)
    obj = math.fsum(D[matched, match[matched]].tolist())
    A = math.fsum(row_a.tolist()) + math.fsum((cap * prices.a).tolist())
    err = rounding_error(R, sigma, prices.a, cap, A)
    tol = tolerance(R, sigma)
    bound_rest = max(A + err, obj)
    gap = bound_rest - obj
    ok = level_bound <= level + 0.5 and gap <= tol
    full_prices = np.full(m, np.inf)
    full_prices[useful] = prices.a
    levels = np.full(m, np.inf)
    levels[useful] = prices.b
    stats.update(level=level, level_bound=level_bound, gap=gap, tolerance=tol,
                 rounding_error=err, prices=full_prices, price_levels=levels,
                 converged=prices.converged)
    return ("optimal" if ok else "gap_limit"), forced_score + bound_rest

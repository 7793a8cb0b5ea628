r"""Optimality certificates without a big-M: lexicographic dual prices and bounds.

Every exact method maximises, lexicographically, first a *level* and then the total
score. The level of a matching is :math:`\sum_{i \text{ matched}} \omega_i` with a small
integer weight per mentee:

========================  ===========================================  ================
objective                 lexicographic goal                           :math:`\omega_i`
========================  ===========================================  ================
``"total"``               total score                                  0
``"total"`` + priority    priority mentees matched, then total score   1 if priority
``"coverage"``            pairs made, then total score                 1
``"coverage"`` + priority priority mentees matched, then pairs, then    2 if priority,
                          total score                                  else 1
========================  ===========================================  ================

(For the last row: the mentees a matching can serve form a matroid, so a matching of
greatest weight with weights 2 and 1 matches the most priority mentees and, among those,
the most mentees.)

Certificate
-----------
A price is a pair :math:`p_j = (b_j, a_j)` (level part, score part), compared
lexicographically. For prices :math:`p \ge_{\text{lex}} 0` let

.. math::

    r_i = \operatorname{lexmax}\Bigl((0, 0),\; \max_{j \text{ allowed}}
          (\omega_i - b_j,\; s_{ij} - a_j)\Bigr),

then :math:`L = \sum_i r_i^{(1)} + \sum_j c_j b_j` bounds the level of every matching,
and when a matching reaches level :math:`L` (so it is level-optimal),
:math:`A = \sum_i r_i^{(2)} + \sum_j c_j a_j` bounds the total score of every
level-optimal matching. (Proof: with :math:`\lambda` large enough, :math:`u_i = \lambda
r_i^{(1)} + r_i^{(2)}` and :math:`p_j = \lambda b_j + a_j` are feasible for the dual of
the linear relaxation with values :math:`\lambda \omega_i + s_{ij}`, whose bound is
:math:`\lambda L + A`.) No constant of the size of the scores' sum is ever added to a
score, so nothing is lost to rounding: the two parts are computed separately, the level
part in exact integers.

Tolerance
---------
The score part is computed in floating point; its rounding error is bounded (see
:func:`rounding_error`) and added to the bound. A result is declared optimal when the
level is proven and ``bound - objective <= tolerance(n_free, sigma)``,

.. math::

    \tau = (n_{\text{free}} + 1)\, \sigma\, \max(2^{-44}, 8 / L_{\text{int}}),

with :math:`\sigma` the largest absolute allowed score and :math:`L_{\text{int}}` the
integer cost range used by an integer min-cost flow (``inf`` for methods that work in
floating point). :math:`2^{-44} \approx 5.7 \times 10^{-14}`; :math:`8 / L_{\text{int}}`
exceeds it only for flows of more than about 8,000 nodes, whose integer costs are
coarser than :math:`2^{-47} \sigma`.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "REL_TOL",
    "DualPrices",
    "dense_rowterms",
    "dual_prices",
    "level_weights",
    "rounding_error",
    "tie_hash",
    "tolerance",
]

#: Relative tolerance of the optimality test (times ``(n_free + 1) * sigma``).
REL_TOL = 2.0**-44
#: Dual prices are found to within this (times ``sigma``) per constraint.
SWEEP_TOL = 2.0**-47
#: A pruned pair is added when its reduced value beats its mentee's utility by this.
PRICE_TOL = 2.0**-46
_EPS = float(np.finfo(np.float64).eps)


def level_weights(objective: str, priority: NDArray[np.bool_] | None) -> tuple[float, float]:
    """Return the level weights ``(priority mentee, other mentee)`` of an objective.

    Examples
    --------
    >>> level_weights("coverage", None), level_weights("total", None)
    ((1.0, 1.0), (0.0, 0.0))
    >>> level_weights("coverage", np.array([True, False]))
    (2.0, 1.0)
    """
    prio = priority is not None and bool(np.any(priority))
    if objective == "coverage":
        return (2.0, 1.0) if prio else (1.0, 1.0)
    return (1.0, 0.0) if prio else (0.0, 0.0)


def tolerance(n_free: int, sigma: float, int_range: float = math.inf) -> float:
    """Return the optimality tolerance ``(n_free + 1) * sigma * max(2**-44, 8 / int_range)``.

    Examples
    --------
    >>> tolerance(3, 0.5) == 4 * 0.5 * 2.0**-44
    True
    """
    return (n_free + 1) * sigma * max(REL_TOL, 8.0 / int_range)


def rounding_error(n_rows: int, sigma: float, a: NDArray[np.float64],
                   cap: NDArray[np.int64], total: float) -> float:
    """Bound the rounding error of a score bound ``A`` computed by :func:`dense_rowterms`.

    Each row term is one subtraction ``s - a_j`` (error at most ``eps * (sigma +
    max|a|)``), the products ``c_j a_j`` one rounding each, and the sums are exact
    (``math.fsum``) up to a final rounding of ``total``; the result doubles the sum of
    these.
    """
    amax = float(np.abs(a).max()) if a.size else 0.0
    ca = math.fsum(np.abs(cap * a).tolist()) if a.size else 0.0
    return 2.0 * _EPS * (n_rows * (sigma + amax) + ca + abs(total))


def tie_hash(rows: NDArray, cols: NDArray) -> NDArray[np.float64]:
    """Return a deterministic pseudo-random number in [0, 1) per pair (to spread ties).

    Injective in the column for a fixed row and in the row for a fixed column (an odd
    multiplier per axis, then MurmurHash3's 32-bit finaliser), so rows with identical
    scores rank their tied mentors in different orders. The numba kernels compute the
    same values.
    """
    x = (np.asarray(rows, dtype=np.uint64) * np.uint64(0x9E3779B1)
         + np.asarray(cols, dtype=np.uint64) * np.uint64(0x85EBCA77)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) * (1.0 / 2**32)


@attrs.frozen
class DualPrices:
    """Lexicographic dual prices of a matching on a set of arcs.

    Attributes
    ----------
    b, a : ndarray of shape (n_mentors,)
        Level and score parts of each mentor's price.
    beta, u : ndarray of shape (n_mentees,)
        Level and score parts of each mentee's utility (``(0, 0)`` when unmatched).
    converged : bool
        Whether the sweeps settled (they always do on an optimal matching).
    """

    b: NDArray[np.float64]
    a: NDArray[np.float64]
    beta: NDArray[np.float64]
    u: NDArray[np.float64]
    converged: bool


def dual_prices(
    n_rows: int, cap: NDArray[np.int64], ci: NDArray[np.int64], cj: NDArray[np.int64],
    s: NDArray[np.float64], omega: NDArray[np.float64], match: NDArray[np.int64],
    tol: float, rule: str = "high",
) -> DualPrices:
    r"""Optimal dual prices of the matching ``match`` on the arcs ``(ci, cj)`` with scores ``s``.

    With :math:`\mu(i)` the mentor of matched mentee :math:`i`, the prices satisfy
    :math:`p_k \ge p_{\mu(i)} + w_{ik} - w_{i\mu(i)}` for every arc of a matched mentee,
    :math:`p_k \ge w_{ik}` for every arc of an unmatched one, :math:`p_{\mu(i)} \le
    w_{i\mu(i)}`, :math:`p \ge 0` and :math:`p_j = 0` for a mentor with a free seat,
    where :math:`w_{ij} = (\omega_i, s_{ij})`. These are longest paths in the residual
    graph, found by vectorised Bellman-Ford sweeps (only the mentors whose price changed
    are revisited), first on the level part (exact: small integers) and then on the score
    part over the arcs tight in level.

    ``rule`` "high" takes the greatest such prices (sweeps from above, from each full
    mentor's least matched value), "low" the least (sweeps from 0), "mid" their average;
    "high" falls back to "low" if its sweeps do not settle. Arcs are mentee-major.
    """
    mu = int(cap.size)
    matched = match >= 0
    m_of = np.where(matched, match, 0)
    own = matched[ci] & (m_of[ci] == cj)
    s_own = np.zeros(n_rows)
    s_own[ci[own]] = s[own]
    w_lvl = omega
    inner = matched[ci] & ~own  # arcs of matched mentees to another mentor
    e_tail, e_head = m_of[ci[inner]], cj[inner]
    e_gain = s[inner] - s_own[ci[inner]]  # p_head >= p_tail + gain (level gain 0)
    root = ~matched[ci]  # arcs of unmatched mentees: p_k >= (omega_i, s_ik)
    r_head, r_lvl, r_val = cj[root], w_lvl[ci[root]], s[root]
    load = np.bincount(match[matched], minlength=mu)
    full = load >= cap
    rows_m = np.flatnonzero(matched)

    def low() -> tuple[NDArray, NDArray, bool]:
        b = np.zeros(mu)
        if r_head.size:
            np.maximum.at(b, r_head, r_lvl)
        b, ok1 = _sweep(b, e_tail, e_head, np.zeros(e_gain.size), 0.5, up=True)
        a = np.where(b == 0, 0.0, -np.inf)
        tight_r = r_lvl == b[r_head]
        if tight_r.any():
            np.maximum.at(a, r_head[tight_r], r_val[tight_r])
        tight = b[e_tail] == b[e_head]
        a, ok2 = _sweep(a, e_tail[tight], e_head[tight], e_gain[tight], tol, up=True)
        a[~np.isfinite(a)] = 0.0
        return b, a, ok1 and ok2

    def high() -> tuple[NDArray, NDArray, bool]:
        b = np.where(full, np.inf, 0.0)
        if rows_m.size:
            np.minimum.at(b, match[rows_m], w_lvl[rows_m])
        b[~full] = 0.0
        fm = full[e_tail]
        b, ok1 = _sweep(b, e_tail[fm], e_head[fm], np.zeros(int(fm.sum())), 0.5, up=False)
        a = np.where(full, np.inf, 0.0)
        on = w_lvl[rows_m] == b[match[rows_m]]
        if on.any():
            np.minimum.at(a, match[rows_m[on]], s_own[rows_m[on]])
        a[~full] = 0.0
        tight = fm & (b[e_tail] == b[e_head])
        a, ok2 = _sweep(a, e_tail[tight], e_head[tight], e_gain[tight], tol, up=False)
        a[~np.isfinite(a)] = 0.0
        a = np.where(b == 0, np.maximum(a, 0.0), a)
        return b, a, ok1 and ok2

    if rule == "low":
        b, a, ok = low()
    else:
        b, a, ok = high()
        if rule == "mid" and ok:
            b_lo, a_lo, ok_lo = low()
            if ok_lo:
                b, a = 0.5 * (b + b_lo), 0.5 * (a + a_lo)
        elif not ok:
            b, a, ok = low()
    beta = np.zeros(n_rows)
    u = np.zeros(n_rows)
    beta[rows_m] = omega[rows_m] - b[match[rows_m]]
    u[rows_m] = s_own[rows_m] - a[match[rows_m]]
    return DualPrices(b=b, a=a, beta=beta, u=u, converged=ok)


def _sweep(p: NDArray[np.float64], tail: NDArray, head: NDArray, gain: NDArray, tol: float,
           *, up: bool) -> tuple[NDArray[np.float64], bool]:
    """Settle ``p_head >= p_tail + gain`` on every arc.

    ``up``: raise heads (least solution above the start); otherwise lower tails (greatest
    solution below the start). Only nodes whose value changed are revisited.
    """
    n = p.size
    if tail.size == 0:
        return p, True
    key, other = (tail, head) if up else (head, tail)
    order = np.argsort(key, kind="stable")
    key, other, gain = key[order], other[order], gain[order]
    ptr = np.searchsorted(key, np.arange(n + 1))
    changed = np.flatnonzero(np.isfinite(p)) if up else np.arange(n)
    for _ in range(n + 2):
        if changed.size == 0:
            return p, True
        lens = ptr[changed + 1] - ptr[changed]
        starts = ptr[changed]
        arc = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        if arc.size == 0:
            return p, True
        if up:
            cand = np.full(n, -np.inf)
            np.maximum.at(cand, other[arc], p[key[arc]] + gain[arc])
            changed = np.flatnonzero(cand > p + tol)
        else:
            cand = np.full(n, np.inf)
            np.minimum.at(cand, other[arc], p[key[arc]] - gain[arc])
            changed = np.flatnonzero(cand < p - tol)
        p[changed] = cand[changed]
    return p, False


def dense_rowterms(
    D: NDArray[np.float64], omega: NDArray[np.float64], b: NDArray[np.float64],
    a: NDArray[np.float64], p0: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Row terms of the certificate over a dense block (``-inf`` = not allowed).

    Returns ``(level, score, plain)``: the lexicographic maximum of ``(0, 0)`` and
    ``(omega_i - b_j, s_ij - a_j)`` over each row's allowed pairs, and
    ``max(0, max_j (s_ij - p0_j))`` (the plain bound with prices ``p0 >= 0``).
    """
    allowed = np.isfinite(D)
    lvl = np.where(allowed, omega[:, None] - b[None, :], -np.inf)
    row_l = np.maximum(lvl.max(axis=1, initial=-np.inf), 0.0)
    on = allowed & (lvl == row_l[:, None])
    red = np.where(on, D - a[None, :], -np.inf)
    row_a = red.max(axis=1, initial=-np.inf)
    row_a = np.where(row_l == 0, np.maximum(row_a, 0.0), row_a)
    plain = np.maximum((D - p0[None, :]).max(axis=1, initial=-np.inf), 0.0)
    return row_l, row_a, plain


def describe(stats: dict[str, Any]) -> str:
    """One line on a certificate's statistics (for messages and reports)."""
    return (f"level {stats.get('level')} of {stats.get('level_bound')}, gap "
            f"{stats.get('gap', float('nan')):.3g} (tolerance {stats.get('tolerance', 0):.3g})")
